import { baselineCells, comparisonDetail, measureAgainstBaseline, ratioTarget, warmBaseline, type Comparison } from '../support/compare';
import { QUIET_RECONCILER_ENV, startBenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { createPayment, gql, PAYMENT_STATUS, SERVICE_KEY } from '../support/graphql.client';
import { formatCpu, runLoad } from '../support/load';
import { describeGateway } from './create-payment.scenario';
import { formatMb, formatMs, formatRate, passDurations, type Scenario } from './scenario';

const TARGET_RATIO = 0.5;

/**
 * `paymentStatus` on a payment that is already final, so the answer needs no call to Kaspi: what
 * is left is GraphQL, authentication and the database read.
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

    let comparison: Comparison;
    let teardown: GatewayTeardown;
    let requests = 0;
    try {
      const payment = await createPayment(gateway.graphqlUrl, `bench-final-${ctx.run.runId}`);
      await ctx.control.forceStatus(payment.externalId, 'Processed');
      const first = await gql<{ paymentStatus: { status: string } }>(gateway.graphqlUrl, PAYMENT_STATUS, { externalId: payment.externalId });
      if (first.paymentStatus.status !== 'PROCESSED') {
        throw new Error(`expected the payment to be PROCESSED, got ${first.paymentStatus.status}`);
      }
      const load = (seconds: number) => ({
        url: gateway.graphqlUrl,
        connections,
        durationS: seconds,
        headers: { authorization: `Bearer ${SERVICE_KEY}` },
        body: JSON.stringify({ query: PAYMENT_STATUS, variables: { externalId: payment.externalId } }),
        verify: (body: string) => body.includes('"status":"PROCESSED"'),
      });
      ctx.log(`status: warm-up ${warmupS} s, then ${durationS} s at ${connections} connections, interleaved with the baseline`);
      requests += (await runLoad(load(warmupS))).requests;
      if (!pass.profileDir) await warmBaseline(ctx, { connections }, warmupS);
      comparison = await measureAgainstBaseline(ctx, pass, gateway.process, load(durationS));
      requests += comparison.gateway.requests;
    } finally {
      teardown = await gateway.stop();
    }

    const measured = comparison.gateway;
    return {
      id: 'status',
      title: this.title,
      rows: [
        {
          label: 'paymentStatus, final payment',
          load: `${connections} connections, ${durationS} s`,
          throughput: formatRate(measured.throughput),
          p50: formatMs(measured.p50Ms),
          p99: formatMs(measured.p99Ms),
          peakRss: formatMb(teardown.memory.peakRssMb),
          ...baselineCells(comparison),
        },
      ],
      targets: [ratioTarget(comparison, TARGET_RATIO)],
      details: [
        `Gateway: ${describeGateway(gateway.settings)}. One PROCESSED payment, asked for by its externalId with the service key; the query selects the payment, its amounts and its refunds.`,
        comparisonDetail(comparison),
        `CPU in the gateway's slices: ${formatCpu(comparison.cpu)}.`,
        `Database: ${(teardown.activity.transactions / Math.max(1, requests)).toFixed(2)} committed transactions per request (pg_stat_database, ${requests.toLocaleString('en-US')} requests, warm-up included).`,
      ],
      cpuProfile: teardown.cpuProfile,
      window: comparison.window,
      figures: { throughput: measured.throughput, ratio: comparison.ratio },
    };
  },
};
