import path from 'node:path';
import { CpuMeter, formatCpu, runLoad, type CpuShare, type LoadResult } from '../support/load';
import { freePort, NodeProcess } from '../support/node-process';
import { formatMb, formatMs, formatRate, passDurations, type Scenario } from './scenario';

/**
 * Scenario 3: a bare Apollo Server on the same HTTP stack, in its own process, under the same load
 * as `paymentStatus`, so that the gateway's figures can be read as a ratio on a noisy machine.
 */
export const baselineScenario: Scenario = {
  id: 'baseline',
  title: 'Baseline: bare Apollo Server 5 + Express 5 answering a trivial query',
  profiled: false,

  async run(ctx, pass) {
    const { warmupS, durationS } = passDurations(ctx.settings, pass);
    const { connections } = ctx.settings;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = await NodeProcess.start({
      name: 'baseline',
      entry: 'bench/baseline/baseline.server.ts',
      env: { NODE_ENV: 'production', PORT: String(port) },
      logFile: path.join(ctx.run.tmpDir, 'baseline.log'),
      readyUrl: `${url}/healthz`,
    });
    const load = (seconds: number) =>
      runLoad({
        url: `${url}/graphql`,
        connections,
        durationS: seconds,
        body: JSON.stringify({ query: 'query Ping { ping }' }),
        verify: (body) => body.includes('"ping":"pong"'),
      });

    let result: LoadResult;
    let cpu: CpuShare;
    try {
      ctx.log(`baseline: warm-up ${warmupS} s, then ${durationS} s at ${connections} connections`);
      await load(warmupS);
      const meter = new CpuMeter(server, ctx.sandbox);
      result = await load(durationS);
      cpu = meter.stop();
    } finally {
      await server.stop();
    }
    return {
      id: 'baseline',
      title: this.title,
      rows: [
        {
          label: '3. Baseline: bare Apollo Server, trivial query',
          load: `${connections} connections, ${durationS} s`,
          throughput: formatRate(result.throughput),
          p50: formatMs(result.p50Ms),
          p99: formatMs(result.p99Ms),
          peakRss: `${formatMb(server.memory().peakRssMb)} (baseline process)`,
        },
      ],
      targets: [],
      details: [
        'Apollo Server 5 with `expressMiddleware` from @as-integrations/express5 behind `express.json()`, `NODE_ENV=production`, one `ping` field; no context, no database, no authentication.',
        `CPU: ${formatCpu(cpu).replace('gateway', 'baseline server')}.`,
        `Failures: ${result.failures}.`,
      ],
      figures: { throughput: result.throughput },
    };
  },
};
