import { baselineCells, comparisonDetail, measureAgainstBaseline, ratioTarget, warmBaseline, type Comparison } from '../support/compare';
import { QUIET_RECONCILER_ENV, startBenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { createPaymentBody, SERVICE_KEY } from '../support/graphql.client';
import { formatCpu, runLoad, type LoadOptions } from '../support/load';
import { formatMb, formatMs, formatRate, formatRatio, passDurations, type Scenario, type TargetCheck } from './scenario';

const TARGET_RATIO = 0.3;
/** The p99 at that load, as a multiple of the baseline's p99 under the same load. */
const TARGET_P99_MULTIPLE = 10;

/**
 * `createKaspiPayment` with a new idempotency key each time and the sandbox answering at once, as
 * fast as it goes, against the baseline under the same number of connections.
 */
export const createPaymentScenario: Scenario = {
  id: 'create',
  title: 'createKaspiPayment, distinct idempotency keys, sandbox answering at once',
  profiled: true,

  async run(ctx, pass) {
    const { warmupS, durationS } = passDurations(ctx.settings, pass);
    const { connections } = ctx.settings;
    await ctx.control.reset();
    await ctx.control.configure({ latencyMs: 0, callLogLimit: 1_000 });
    const gateway = await startBenchGateway(ctx.run, {
      name: pass.profileDir ? 'create_profiled' : 'create',
      env: { ...QUIET_RECONCILER_ENV, ...ctx.settings.gatewayEnv },
      cpuProfileDir: pass.profileDir,
    });

    let sent = 0;
    const keyPrefix = `bench-${ctx.run.runId}-${process.hrtime.bigint()}`;
    const load = (seconds: number): LoadOptions => ({
      url: gateway.graphqlUrl,
      connections,
      durationS: seconds,
      headers: { authorization: `Bearer ${SERVICE_KEY}` },
      body: () => createPaymentBody(`${keyPrefix}-${sent++}`),
      verify: (body) => body.includes('"errors":[]') && body.includes('"status":"WAITING"'),
    });

    let comparison: Comparison;
    let teardown: GatewayTeardown;
    try {
      ctx.log(`create: warm-up ${warmupS} s, then ${durationS} s at ${connections} connections, interleaved with the baseline`);
      await runLoad(load(warmupS));
      if (!pass.profileDir) await warmBaseline(ctx, { connections }, warmupS);
      comparison = await measureAgainstBaseline(ctx, pass, gateway.process, load(durationS));
    } finally {
      teardown = await gateway.stop();
    }

    const measured = comparison.gateway;
    const targets: TargetCheck[] = [ratioTarget(comparison, TARGET_RATIO)];
    if (comparison.baseline) {
      const multiple = measured.p99Ms / comparison.baseline.p99Ms;
      const met = multiple <= TARGET_P99_MULTIPLE;
      targets.push({
        target: `p99 at that load ≤ ${TARGET_P99_MULTIPLE}× the baseline's p99`,
        measured: `${formatRatio(multiple)}: ${formatMs(measured.p99Ms)} vs ${formatMs(comparison.baseline.p99Ms)}`,
        met,
        gap: met ? undefined : `${formatMs(measured.p99Ms - TARGET_P99_MULTIPLE * comparison.baseline.p99Ms)} over`,
      });
    }
    const requests = sent;
    return {
      id: 'create',
      title: this.title,
      rows: [
        {
          label: 'createKaspiPayment, as fast as it goes',
          load: `${connections} connections, ${durationS} s`,
          throughput: formatRate(measured.throughput),
          p50: formatMs(measured.p50Ms),
          p99: formatMs(measured.p99Ms),
          peakRss: formatMb(teardown.memory.peakRssMb),
          ...baselineCells(comparison),
        },
      ],
      targets,
      details: [
        `Gateway: ${describeGateway(gateway.settings)}; reconciler kept out of the run (${Object.entries(QUIET_RECONCILER_ENV)
          .map(([key, value]) => `${key}=${value}`)
          .join(', ')}).`,
        comparisonDetail(comparison),
        `CPU in the gateway's slices: ${formatCpu(comparison.cpu)}.`,
        `Database: ${(teardown.activity.transactions / Math.max(1, requests)).toFixed(2)} committed transactions per request (statements outside a transaction count one each; pg_stat_database over ${requests.toLocaleString('en-US')} requests, warm-up included).`,
      ],
      cpuProfile: teardown.cpuProfile,
      window: comparison.window,
      figures: { throughput: measured.throughput, ratio: comparison.ratio, p99Ms: measured.p99Ms },
    };
  },
};

/** The settings that shape performance, for the details of a scenario. */
export function describeGateway(settings: Record<string, string>): string {
  const shown = ['NODE_ENV', 'KASPI_MODE', 'LOG_LEVEL', 'DATABASE_POOL_MAX', 'RECONCILE_TICK_MS', 'RECONCILE_BATCH_SIZE', 'RECONCILE_CONCURRENCY', 'EVENT_POLL_MS'];
  const parts = shown.filter((key) => settings[key] !== undefined).map((key) => `${key}=${settings[key]}`);
  const defaults = shown.filter((key) => settings[key] === undefined);
  return `${parts.join(', ')}${defaults.length ? `; defaults for ${defaults.join(', ')}` : ''}`;
}
