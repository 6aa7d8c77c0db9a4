import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_KEY, SERVICE_KEY, TEST_ENCRYPTION_KEYS, TEST_LOG_DIR, VIEWER_KEY } from './gateway';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '../..');

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  graphqlUrl: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The gateway as its own operating-system process, started the way `npm start` starts it, so that
 * a test can kill it mid-request and start it again on the same database.
 */
export async function startGatewayProcess(env: Record<string, string>, name = 'gateway'): Promise<GatewayProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  fs.mkdirSync(TEST_LOG_DIR, { recursive: true });
  const log = fs.openSync(path.join(TEST_LOG_DIR, `${name}-${port}-${Date.now()}.log`), 'a');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/index.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      API_KEYS: `admin:${ADMIN_KEY},service:${SERVICE_KEY},viewer:${VIEWER_KEY}`,
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode} while starting`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('gateway did not become ready');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    url,
    graphqlUrl: `${url}/graphql`,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function gql<T = any>(graphqlUrl: string, query: string, variables: Record<string, unknown> = {}, key = ADMIN_KEY) {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}
