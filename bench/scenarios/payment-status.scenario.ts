import { QUIET_RECONCILER_ENV, startBenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { createPayment, gql, PAYMENT_STATUS, SERVICE_KEY } from '../support/graphql.client';
import { CpuMeter, formatCpu, runLoad, type CpuShare, type LoadResult } from '../support/load';
import { describeGateway } from './create-payment.scenario';
import {
  formatMb,
  formatMs,
  formatRate,
  monotonicUs,
  passDurations,
  percentBelow,
  type MeasuredWindow,
  type Scenario,
  type TargetCheck,
} from './scenario';

const TARGET_RATE = 3_000;
const TARGET_SHARE_OF_BASELINE = 0.5;

/**
 * Scenario 2: `paymentStatus` on a payment that is already final, so the answer needs no call to
 * Kaspi: what is left is GraphQL, authentication and the database read.
 */
export const paymentStatusScenario: Scenario = {
  id: 'status',
  title: 'paymentStatus on a final payment (no upstream call)',
  profiled: true,

  async run(ctx, pass) {
    const { warmupS, durationS } = passDurations(ctx.settings, pass);
    const { connections } = ctx.settings;
    await ctx.control.reset();
    await ctx.control.configure({ latencyMs: 0, callLogLimit: 1_000 });
    const gateway = await startBenchGateway(ctx.run, {
      name: pass.profileDir ? 'status_profiled' : 'status',
      env: { ...QUIET_RECONCILER_ENV, ...ctx.settings.gatewayEnv },
      cpuProfileDir: pass.profileDir,
    });

    let result: LoadResult;
    let cpu: CpuShare;
    let teardown: GatewayTeardown;
    let window: MeasuredWindow;
    let requests = 0;
    try {
      const payment = await createPayment(gateway.graphqlUrl, `bench-final-${ctx.run.runId}`);
      await ctx.control.forceStatus(payment.externalId, 'Processed');
      const first = await gql<{ paymentStatus: { status: string } }>(gateway.graphqlUrl, PAYMENT_STATUS, { externalId: payment.externalId });
      if (first.paymentStatus.status !== 'PROCESSED') {
        throw new Error(`expected the payment to be PROCESSED, got ${first.paymentStatus.status}`);
      }
      const load = (seconds: number) =>
        runLoad({
          url: gateway.graphqlUrl,
          connections,
          durationS: seconds,
          headers: { authorization: `Bearer ${SERVICE_KEY}` },
          body: JSON.stringify({ query: PAYMENT_STATUS, variables: { externalId: payment.externalId } }),
          verify: (body) => body.includes('"status":"PROCESSED"'),
        });
      ctx.log(`status: warm-up ${warmupS} s, then ${durationS} s at ${connections} connections`);
      requests += (await load(warmupS)).requests;
      const meter = new CpuMeter(gateway.process, ctx.sandbox);
      const startUs = monotonicUs();
      result = await load(durationS);
      window = { startUs, endUs: monotonicUs() };
      cpu = meter.stop();
      requests += result.requests;
    } finally {
      teardown = await gateway.stop();
    }

    const targets: TargetCheck[] = [
      {
        target: `≥ ${TARGET_RATE.toLocaleString('en-US')}/s`,
        measured: formatRate(result.throughput),
        met: result.throughput >= TARGET_RATE,
        gap: result.throughput >= TARGET_RATE ? undefined : percentBelow(result.throughput, TARGET_RATE),
      },
    ];
    const baseline = ctx.results.get('baseline')?.figures.throughput;
    if (baseline) {
      const ratio = result.throughput / baseline;
      targets.push({
        target: '≥ ½ of the baseline',
        measured: `${(ratio * 100).toFixed(0)}% of ${formatRate(baseline)}`,
        met: ratio >= TARGET_SHARE_OF_BASELINE,
        gap: ratio >= TARGET_SHARE_OF_BASELINE ? undefined : `${formatRate(TARGET_SHARE_OF_BASELINE * baseline - result.throughput)} short of half the baseline`,
      });
    }

    return {
      id: 'status',
      title: this.title,
      rows: [
        {
          label: '2. paymentStatus, final payment',
          load: `${connections} connections, ${durationS} s`,
          throughput: formatRate(result.throughput),
          p50: formatMs(result.p50Ms),
          p99: formatMs(result.p99Ms),
          peakRss: formatMb(teardown.memory.peakRssMb),
        },
      ],
      targets,
      details: [
        `Gateway: ${describeGateway(gateway.settings)}. One PROCESSED payment, asked for by its externalId with the service key; the query selects the payment, its amounts and its refunds.`,
        `CPU: ${formatCpu(cpu)}.`,
        `Database: ${(teardown.activity.transactions / Math.max(1, requests)).toFixed(1)} committed transactions per request (pg_stat_database, ${requests.toLocaleString('en-US')} requests).`,
        `Failures: ${result.failures}. p90 ${formatMs(result.p90Ms)}, max ${formatMs(result.maxMs)}.`,
      ],
      cpuProfile: teardown.cpuProfile,
      window,
      figures: { throughput: result.throughput },
    };
  },
};
