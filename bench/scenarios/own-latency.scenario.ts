import { comparisonDetail, measureAgainstBaseline, warmBaseline, type Comparison } from '../support/compare';
import { PROXY_ACCESS_TOKEN, QUIET_RECONCILER_ENV, startBenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { createPaymentBody, PHONE, SERVICE_KEY, SHOP } from '../support/graphql.client';
import { formatCpu, runLoad, type LoadOptions, type LoadResult } from '../support/load';
import { describeGateway } from './create-payment.scenario';
import { formatMb, formatMs, formatRate, formatRatio, passDurations, type Scenario, type TargetCheck } from './scenario';

const TARGET_P50_MS = 3;
const TARGET_P99_MS = 10;
/** The other reading of the target: a light pace, nothing queued, a 50 ms upstream taken away. */
const LIGHT_RATE = 20;
const UPSTREAM_DELAY_MS = 50;

/**
 * The gateway's own latency: `createKaspiPayment` one at a time (one connection, the next request
 * sent when the answer is in) with the sandbox answering at once, so that nothing queues and
 * what is measured is the time one payment takes: its CPU and its waits (database round trips,
 * commits, the upstream call). The sandbox alone, one call at a time, shows what of it is the
 * upstream's; the baseline one at a time, what of it any HTTP round trip costs.
 */
export const ownLatencyScenario: Scenario = {
  id: 'latency',
  title: "Gateway's own latency: one create at a time, sandbox answering at once",
  profiled: true,

  async run(ctx, pass) {
    const { warmupS, durationS } = passDurations(ctx.settings, pass);
    await ctx.control.reset();
    await ctx.control.configure({ latencyMs: 0, callLogLimit: 1_000 });

    let upstream: LoadResult | null = null;
    let light: LoadResult | null = null;
    let comparison: Comparison;
    let teardown: GatewayTeardown;
    const query = new URLSearchParams({
      access_token: PROXY_ACCESS_TOKEN,
      phone: PHONE,
      amount: '1500',
      organizationBin: SHOP.organizationBin,
      deviceToken: SHOP.deviceToken,
    });
    const sandboxAlone = (seconds: number) =>
      runLoad({ url: `${ctx.run.sandboxUrl}/proxy/create/?${query}`, connections: 1, durationS: seconds, verify: (body) => body.includes('"status":true') });

    const gateway = await startBenchGateway(ctx.run, {
      name: pass.profileDir ? 'latency_profiled' : 'latency',
      env: { ...QUIET_RECONCILER_ENV, ...ctx.settings.gatewayEnv },
      cpuProfileDir: pass.profileDir,
    });
    try {
      let sent = 0;
      const keyPrefix = `bench-latency-${ctx.run.runId}-${process.hrtime.bigint()}`;
      const load = (seconds: number, overallRate?: number): LoadOptions => ({
        url: gateway.graphqlUrl,
        connections: overallRate ? 4 : 1,
        durationS: seconds,
        overallRate,
        headers: { authorization: `Bearer ${SERVICE_KEY}` },
        body: () => createPaymentBody(`${keyPrefix}-${sent++}`),
        verify: (body) => body.includes('"errors":[]') && body.includes('"status":"WAITING"'),
      });
      ctx.log(`latency: warm-up ${warmupS} s, then ${durationS} s one at a time, interleaved with the baseline one at a time`);
      await runLoad(load(warmupS));
      if (!pass.profileDir) {
        await warmBaseline(ctx, { connections: 1 }, warmupS);
        upstream = await sandboxAlone(Math.ceil(durationS / 2));
      }
      comparison = await measureAgainstBaseline(ctx, pass, gateway.process, load(durationS));
      if (!pass.profileDir) {
        ctx.log(`latency: ${Math.ceil(durationS / 2)} s at ${LIGHT_RATE}/s with the sandbox answering after ${UPSTREAM_DELAY_MS} ms`);
        await ctx.control.configure({ latencyMs: UPSTREAM_DELAY_MS });
        light = await runLoad(load(Math.ceil(durationS / 2), LIGHT_RATE));
      }
    } finally {
      await ctx.control.configure({ latencyMs: 0 });
      teardown = await gateway.stop();
    }

    const measured = comparison.gateway;
    const ownP50 = measured.p50Ms - (upstream?.p50Ms ?? 0);
    const ownP99 = measured.p99Ms - (upstream?.p99Ms ?? 0);
    const less = upstream ? ` (${formatMs(measured.p50Ms)} / ${formatMs(measured.p99Ms)} end to end, less the sandbox's own ${formatMs(upstream.p50Ms)} / ${formatMs(upstream.p99Ms)})` : '';
    const targets: TargetCheck[] = [
      {
        target: `own p50 ≤ ${TARGET_P50_MS} ms, one create at a time`,
        measured: `${formatMs(ownP50)}${less}`,
        met: ownP50 <= TARGET_P50_MS,
        gap: ownP50 <= TARGET_P50_MS ? undefined : `${formatMs(ownP50 - TARGET_P50_MS)} over (×${(ownP50 / TARGET_P50_MS).toFixed(1)})`,
      },
      {
        target: `own p99 ≤ ${TARGET_P99_MS} ms, one create at a time`,
        measured: formatMs(ownP99),
        met: ownP99 <= TARGET_P99_MS,
        gap: ownP99 <= TARGET_P99_MS ? undefined : `${formatMs(ownP99 - TARGET_P99_MS)} over (×${(ownP99 / TARGET_P99_MS).toFixed(1)})`,
      },
    ];
    const baseline = comparison.baseline;
    const details = [
      `Gateway: ${describeGateway(gateway.settings)}. One connection; each create sent when the last answer is in.`,
      comparisonDetail(comparison),
    ];
    if (baseline) {
      details.push(
        `Against the baseline one at a time: the gateway's p50 is ${formatRatio(measured.p50Ms / baseline.p50Ms)} the baseline's (${formatMs(measured.p50Ms)} vs ${formatMs(baseline.p50Ms)}); its rate ${formatRatio(comparison.ratio)}.`,
      );
    }
    if (upstream) details.push(`The sandbox alone, one create at a time: p50 ${formatMs(upstream.p50Ms)}, p99 ${formatMs(upstream.p99Ms)} (${formatRate(upstream.throughput)}).`);
    if (light) {
      details.push(
        `At a light ${LIGHT_RATE}/s with the sandbox answering after ${UPSTREAM_DELAY_MS} ms: p50 ${formatMs(light.p50Ms)}, p99 ${formatMs(light.p99Ms)}; less the ${UPSTREAM_DELAY_MS} ms, own p50 ${formatMs(light.p50Ms - UPSTREAM_DELAY_MS)}, p99 ${formatMs(light.p99Ms - UPSTREAM_DELAY_MS)} (${formatRate(light.throughput)} achieved, ${light.failures} failures).`,
      );
    }
    details.push(`CPU in the gateway's slices: ${formatCpu(comparison.cpu)}.`);

    return {
      id: 'latency',
      title: this.title,
      rows: [
        {
          label: 'Own latency, one create at a time',
          load: `1 connection, ${durationS} s`,
          throughput: formatRate(measured.throughput),
          p50: `${formatMs(ownP50)} own (${formatMs(measured.p50Ms)} total)`,
          p99: `${formatMs(ownP99)} own (${formatMs(measured.p99Ms)} total)`,
          peakRss: formatMb(teardown.memory.peakRssMb),
          ...(baseline
            ? {
                baseline: `${formatRate(baseline.throughput)}, p50 ${formatMs(baseline.p50Ms)}, p99 ${formatMs(baseline.p99Ms)}`,
                ratio: `p50 **${formatRatio(measured.p50Ms / baseline.p50Ms)}** the baseline's`,
              }
            : {}),
        },
      ],
      targets,
      details,
      cpuProfile: teardown.cpuProfile,
      window: comparison.window,
      figures: { ownP50Ms: ownP50, ownP99Ms: ownP99 },
    };
  },
};
