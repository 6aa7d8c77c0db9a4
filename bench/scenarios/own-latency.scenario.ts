import { PROXY_ACCESS_TOKEN, QUIET_RECONCILER_ENV, startBenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { createPaymentBody, PHONE, SERVICE_KEY, SHOP } from '../support/graphql.client';
import { CpuMeter, formatCpu, runLoad, type CpuShare, type LoadResult } from '../support/load';
import { describeGateway } from './create-payment.scenario';
import { formatMb, formatMs, formatRate, monotonicUs, passDurations, type MeasuredWindow, type Scenario, type TargetCheck } from './scenario';

const UPSTREAM_DELAY_MS = 50;
const RATE = 500;
/** A pace at which nothing queues: what is left is the time the gateway needs for one payment. */
const LIGHT_RATE = 20;
/** 500/s at ~50 ms each needs 25 in flight; room for the gateway to be slower than that. */
const CONNECTIONS = 100;
const TARGET_P50_MS = 2;
const TARGET_P99_MS = 10;

/**
 * Scenario 4: the gateway's own latency. The sandbox holds every answer for a fixed 50 ms; the
 * gateway takes `createKaspiPayment` at 500/s, and what it adds is its latency less those 50 ms.
 * The sandbox is also measured alone at the same rate, to show what of the rest is the sandbox's.
 */
export const ownLatencyScenario: Scenario = {
  id: 'latency',
  title: "Gateway's own latency, sandbox answering after 50 ms, 500 creates/s",
  profiled: true,

  async run(ctx, pass) {
    const { warmupS, durationS } = passDurations(ctx.settings, pass);
    await ctx.control.reset();
    await ctx.control.configure({ latencyMs: UPSTREAM_DELAY_MS, callLogLimit: 1_000 });

    let direct: LoadResult | null = null;
    let light: LoadResult | null = null;
    let result: LoadResult;
    let cpu: CpuShare;
    let teardown: GatewayTeardown | null = null;
    let window: MeasuredWindow;
    let sent = 0;
    let settings: Record<string, string> = {};
    try {
      if (!pass.profileDir) {
        const query = new URLSearchParams({
          access_token: PROXY_ACCESS_TOKEN,
          phone: PHONE,
          amount: '1500',
          organizationBin: SHOP.organizationBin,
          deviceToken: SHOP.deviceToken,
        });
        ctx.log(`latency: the sandbox alone at ${RATE}/s for ${Math.ceil(durationS / 2)} s`);
        direct = await runLoad({
          url: `${ctx.run.sandboxUrl}/proxy/create/?${query}`,
          connections: CONNECTIONS,
          durationS: Math.ceil(durationS / 2),
          overallRate: RATE,
          verify: (body) => body.includes('"status":true'),
        });
      }

      const gateway = await startBenchGateway(ctx.run, {
        name: pass.profileDir ? 'latency_profiled' : 'latency',
        env: { ...QUIET_RECONCILER_ENV, ...ctx.settings.gatewayEnv },
        cpuProfileDir: pass.profileDir,
      });
      settings = gateway.settings;
      try {
        const keyPrefix = `bench-latency-${ctx.run.runId}-${process.hrtime.bigint()}`;
        const load = (seconds: number, rate = RATE) =>
          runLoad({
            url: gateway.graphqlUrl,
            connections: rate === RATE ? CONNECTIONS : 4,
            durationS: seconds,
            overallRate: rate,
            headers: { authorization: `Bearer ${SERVICE_KEY}` },
            body: () => createPaymentBody(`${keyPrefix}-${sent++}`),
            verify: (body) => body.includes('"errors":[]') && body.includes('"status":"WAITING"'),
          });
        const lightRun = pass.profileDir ? '' : `${Math.ceil(durationS / 2)} s at ${LIGHT_RATE}/s, `;
        ctx.log(`latency: warm-up ${warmupS} s, ${lightRun}then ${durationS} s at ${RATE}/s through the gateway`);
        await load(warmupS);
        // A pace the gateway cannot hold leaves requests queued after the client has gone.
        await gateway.process.waitUntilIdle();
        if (!pass.profileDir) {
          light = await load(Math.ceil(durationS / 2), LIGHT_RATE);
          await gateway.process.waitUntilIdle();
        }
        const meter = new CpuMeter(gateway.process, ctx.sandbox);
        const startUs = monotonicUs();
        result = await load(durationS);
        window = { startUs, endUs: monotonicUs() };
        cpu = meter.stop();
      } finally {
        teardown = await gateway.stop();
      }
    } finally {
      await ctx.control.configure({ latencyMs: 0 });
    }

    const ownP50 = result.p50Ms - UPSTREAM_DELAY_MS;
    const ownP99 = result.p99Ms - UPSTREAM_DELAY_MS;
    const heldRate = result.throughput >= RATE * 0.98;
    const targets: TargetCheck[] = [
      {
        target: `own p50 ≤ ${TARGET_P50_MS} ms at ${RATE}/s`,
        measured: formatMs(ownP50),
        met: heldRate && ownP50 <= TARGET_P50_MS,
        gap: ownP50 <= TARGET_P50_MS ? (heldRate ? undefined : `${RATE}/s not held`) : `${formatMs(ownP50 - TARGET_P50_MS)} over (×${(ownP50 / TARGET_P50_MS).toFixed(1)})`,
      },
      {
        target: `own p99 ≤ ${TARGET_P99_MS} ms at ${RATE}/s`,
        measured: formatMs(ownP99),
        met: heldRate && ownP99 <= TARGET_P99_MS,
        gap: ownP99 <= TARGET_P99_MS ? (heldRate ? undefined : `${RATE}/s not held`) : `${formatMs(ownP99 - TARGET_P99_MS)} over (×${(ownP99 / TARGET_P99_MS).toFixed(1)})`,
      },
    ];

    const details = [
      `Gateway: ${describeGateway(settings)}.`,
      `Through the gateway: p50 ${formatMs(result.p50Ms)}, p90 ${formatMs(result.p90Ms)}, p99 ${formatMs(result.p99Ms)}, max ${formatMs(result.maxMs)} at ${formatRate(result.throughput)} achieved of ${RATE}/s offered (${CONNECTIONS} connections, each waiting for its answer before the next request: latencies as measured, and a rate below the offered one when the gateway could not keep the pace). Own latency = these less the fixed ${UPSTREAM_DELAY_MS} ms.`,
    ];
    if (direct) {
      details.push(
        `The sandbox alone at ${RATE}/s: p50 ${formatMs(direct.p50Ms)}, p99 ${formatMs(direct.p99Ms)}; less that instead of the fixed delay, the gateway adds p50 ${formatMs(result.p50Ms - direct.p50Ms)}, p99 ${formatMs(result.p99Ms - direct.p99Ms)} (percentiles do not subtract exactly; a guide).`,
      );
    }
    if (light) {
      details.push(
        `At a light ${LIGHT_RATE}/s, where nothing queues: own p50 ${formatMs(light.p50Ms - UPSTREAM_DELAY_MS)}, p99 ${formatMs(light.p99Ms - UPSTREAM_DELAY_MS)} — the time one payment takes the gateway; above it, at ${RATE}/s, is queueing.`,
      );
    }
    details.push(`CPU at ${RATE}/s: ${formatCpu(cpu)}.`, `Failures: ${result.failures + (light?.failures ?? 0)}.`);

    return {
      id: 'latency',
      title: this.title,
      rows: [
        {
          label: `4. Own latency (gateway − ${UPSTREAM_DELAY_MS} ms upstream)`,
          load: `${RATE}/s offered, ${CONNECTIONS} connections, ${durationS} s`,
          throughput: formatRate(result.throughput),
          p50: `${formatMs(ownP50)} (total ${formatMs(result.p50Ms)})`,
          p99: `${formatMs(ownP99)} (total ${formatMs(result.p99Ms)})`,
          peakRss: formatMb(teardown.memory.peakRssMb),
        },
      ],
      targets,
      details,
      cpuProfile: teardown.cpuProfile,
      window,
      figures: { ownP50Ms: ownP50, ownP99Ms: ownP99 },
    };
  },
};
