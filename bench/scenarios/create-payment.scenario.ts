import { QUIET_RECONCILER_ENV, startBenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { createPaymentBody, SERVICE_KEY } from '../support/graphql.client';
import { CpuMeter, formatCpu, runLoad, type CpuShare, type LoadResult } from '../support/load';
import {
  formatMb,
  formatMs,
  formatRate,
  passDurations,
  monotonicUs,
  percentBelow,
  type MeasuredWindow,
  type ResultRow,
  type Scenario,
  type TargetCheck,
} from './scenario';

const TARGET_RATE = 1_000;
const TARGET_P99_MS = 50;
/** Enough connections that 1,000/s is reachable even at a few tens of ms per request. */
const RATE_CONNECTIONS = 64;

/**
 * Scenario 1: `createKaspiPayment` with a new idempotency key each time and the sandbox answering
 * at once. First as fast as it goes, then, if that is anywhere near the target, at exactly 1,000/s.
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
    const load = (options: { connections: number; durationS: number; overallRate?: number }) =>
      runLoad({
        url: gateway.graphqlUrl,
        headers: { authorization: `Bearer ${SERVICE_KEY}` },
        body: () => createPaymentBody(`${keyPrefix}-${sent++}`),
        verify: (body) => body.includes('"errors":[]') && body.includes('"status":"WAITING"'),
        ...options,
      });

    let maximum: LoadResult;
    let atRate: LoadResult | null = null;
    let cpu: CpuShare;
    let teardown: GatewayTeardown;
    let window: MeasuredWindow;
    try {
      ctx.log(`create: warm-up ${warmupS} s`);
      await load({ connections, durationS: warmupS });
      ctx.log(`create: ${durationS} s at ${connections} connections, as fast as it goes`);
      const meter = new CpuMeter(gateway.process, ctx.sandbox);
      const startUs = monotonicUs();
      maximum = await load({ connections, durationS });
      window = { startUs, endUs: monotonicUs() };
      cpu = meter.stop();
      if (!pass.profileDir && maximum.throughput >= 0.8 * TARGET_RATE) {
        ctx.log(`create: ${durationS} s at ${TARGET_RATE}/s`);
        atRate = await load({ connections: RATE_CONNECTIONS, durationS, overallRate: TARGET_RATE });
      }
    } finally {
      teardown = await gateway.stop();
    }

    const peakRss = formatMb(teardown.memory.peakRssMb);
    const rows: ResultRow[] = [
      {
        label: '1. createKaspiPayment, as fast as it goes',
        load: `${connections} connections, ${durationS} s`,
        throughput: formatRate(maximum.throughput),
        p50: formatMs(maximum.p50Ms),
        p99: formatMs(maximum.p99Ms),
        peakRss,
      },
    ];
    if (atRate) {
      rows.push({
        label: `1. createKaspiPayment at ${TARGET_RATE.toLocaleString('en-US')}/s`,
        load: `${RATE_CONNECTIONS} connections, ${TARGET_RATE}/s offered, ${durationS} s`,
        throughput: formatRate(atRate.throughput),
        p50: formatMs(atRate.p50Ms),
        p99: formatMs(atRate.p99Ms),
        peakRss,
      });
    }

    const target = `≥ ${TARGET_RATE.toLocaleString('en-US')}/s sustained, p99 ≤ ${TARGET_P99_MS} ms`;
    let check: TargetCheck;
    if (atRate) {
      const met = atRate.throughput >= TARGET_RATE * 0.99 && atRate.p99Ms <= TARGET_P99_MS;
      check = {
        target,
        measured: `${formatRate(atRate.throughput)} at p99 ${formatMs(atRate.p99Ms)}`,
        met,
        gap: met
          ? undefined
          : atRate.throughput < TARGET_RATE * 0.99
            ? `throughput ${percentBelow(atRate.throughput, TARGET_RATE)}`
            : `p99 ${formatMs(atRate.p99Ms - TARGET_P99_MS)} over`,
      };
    } else {
      check = {
        target,
        measured: `at most ${formatRate(maximum.throughput)} (p99 ${formatMs(maximum.p99Ms)} at that load)`,
        met: false,
        gap: `throughput ${percentBelow(maximum.throughput, TARGET_RATE)}; the 1,000/s run was skipped as out of reach`,
      };
    }

    const requests = sent;
    const details = [
      `Gateway: ${describeGateway(gateway.settings)}; reconciler kept out of the run (${Object.entries(QUIET_RECONCILER_ENV)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ')}).`,
      `CPU while running as fast as it goes: ${formatCpu(cpu)}.`,
      `Database: ${(teardown.activity.transactions / Math.max(1, requests)).toFixed(1)} committed transactions per request (statements outside a transaction count one each; from pg_stat_database over ${requests.toLocaleString('en-US')} requests, warm-up included).`,
      `Failures (errors, non-2xx, bodies without the WAITING payment): ${maximum.failures + (atRate?.failures ?? 0)}.`,
      atRate
        ? `At ${TARGET_RATE}/s offered: p90 ${formatMs(atRate.p90Ms)}, max ${formatMs(atRate.maxMs)} (latencies as measured; the achieved rate shows whether the pace was held).`
        : `At full speed: p90 ${formatMs(maximum.p90Ms)}, max ${formatMs(maximum.maxMs)}.`,
    ];
    return {
      id: 'create',
      title: this.title,
      rows,
      targets: [check],
      details,
      cpuProfile: teardown.cpuProfile,
      window,
      figures: { throughput: maximum.throughput, p99Ms: maximum.p99Ms },
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
