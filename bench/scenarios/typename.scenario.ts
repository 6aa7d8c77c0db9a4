import { baselineCells, comparisonDetail, measureAgainstBaseline, ratioTarget, warmBaseline } from '../support/compare';
import { QUIET_RECONCILER_ENV, startBenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { SERVICE_KEY } from '../support/graphql.client';
import { formatCpu, runLoad } from '../support/load';
import { describeGateway } from './create-payment.scenario';
import { formatMb, formatMs, formatRate, passDurations, type Scenario } from './scenario';

const TARGET_RATIO = 0.85;
export const TYPENAME_QUERY = '{ __typename }';

/**
 * `{ __typename }` with a valid API key: no resolver, no database, but every part of the gateway's
 * front a request goes through — authentication, the query limits, the rate limit, metrics and
 * the per-operation log line. What it costs over bare Apollo is the price of that front.
 */
export const typenameScenario: Scenario = {
  id: 'typename',
  title: '`{ __typename }` with a valid key, through every plugin',
  profiled: true,

  async run(ctx, pass) {
    const { warmupS, durationS } = passDurations(ctx.settings, pass);
    const { connections } = ctx.settings;
    const gateway = await startBenchGateway(ctx.run, {
      name: pass.profileDir ? 'typename_profiled' : 'typename',
      env: { ...QUIET_RECONCILER_ENV, ...ctx.settings.gatewayEnv },
      cpuProfileDir: pass.profileDir,
    });
    let teardown: GatewayTeardown;
    let comparison;
    try {
      const load = (seconds: number) => ({
        url: gateway.graphqlUrl,
        connections,
        durationS: seconds,
        headers: { authorization: `Bearer ${SERVICE_KEY}` },
        body: JSON.stringify({ query: TYPENAME_QUERY }),
        verify: (body: string) => body.includes('"__typename":"Query"'),
      });
      ctx.log(`typename: warm-up ${warmupS} s, then ${durationS} s at ${connections} connections, interleaved with the baseline`);
      await runLoad(load(warmupS));
      if (!pass.profileDir) await warmBaseline(ctx, { connections }, warmupS);
      comparison = await measureAgainstBaseline(ctx, pass, gateway.process, load(durationS));
    } finally {
      teardown = await gateway.stop();
    }
    const { gateway: measured } = comparison;
    return {
      id: 'typename',
      title: this.title,
      rows: [
        {
          label: '`{ __typename }`, valid key, every plugin',
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
        `Gateway: ${describeGateway(gateway.settings)}. The query \`${TYPENAME_QUERY}\` with the service key in \`Authorization\`: authentication, query limits (graphql-armor), rate limit, metrics and the operation's log line all run; no resolver, no database.`,
        comparisonDetail(comparison),
        `CPU in the gateway's slices: ${formatCpu(comparison.cpu)}.`,
      ],
      cpuProfile: teardown.cpuProfile,
      window: comparison.window,
      figures: { throughput: measured.throughput, ratio: comparison.ratio },
    };
  },
};
