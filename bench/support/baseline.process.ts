import path from 'node:path';
import { freePort } from '../../test/support/ports';
import type { LoadOptions } from './load';
import { NodeProcess } from './node-process';

/**
 * The yardstick every throughput and latency target is read against: a bare Apollo Server 5 on the
 * gateway's HTTP stack (`bench/baseline/baseline.server.ts`), one trivial field, no context, no
 * database, no authentication. One process for the whole run, measured in slices that alternate
 * with the gateway's, so that both see the same machine.
 */
export interface Baseline {
  process: NodeProcess;
  graphqlUrl: string;
  /** The baseline's load with the given shape: `query Ping { ping }`, checked for its answer. */
  load(shape: Pick<LoadOptions, 'connections' | 'durationS' | 'overallRate'>): LoadOptions;
  stop(): Promise<void>;
}

export const BASELINE_DESCRIPTION =
  'Apollo Server 5 with `expressMiddleware` from @as-integrations/express5 behind `express.json()`, `NODE_ENV=production`, one `ping` field; no context, no database, no authentication';

export async function startBaseline(tmpDir: string): Promise<Baseline> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await NodeProcess.start({
    name: 'baseline',
    entry: 'bench/baseline/baseline.server.ts',
    env: { NODE_ENV: 'production', PORT: String(port) },
    logFile: path.join(tmpDir, 'baseline.log'),
    readyUrl: `${url}/healthz`,
  });
  const graphqlUrl = `${url}/graphql`;
  return {
    process: server,
    graphqlUrl,
    load: (shape) => ({
      ...shape,
      url: graphqlUrl,
      body: JSON.stringify({ query: 'query Ping { ping }' }),
      verify: (body) => body.includes('"ping":"pong"'),
    }),
    async stop() {
      await server.stop();
    },
  };
}
