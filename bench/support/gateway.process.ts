import fs from 'node:fs';
import path from 'node:path';
import { generateEncryptionKeySpec, KeyRing, parseEncryptionKeys } from '../../src/crypto/key-ring';
import { freePort } from '../../test/support/ports';
import { BenchDatabase, type DatabaseActivity } from './bench-database';
import { ADMIN_KEY, CREATE_CONFIG, gql, SERVICE_KEY, SHOP } from './graphql.client';
import { NodeProcess, type MemoryReading } from './node-process';

export const PROXY_ACCESS_TOKEN = 'sandbox-access-token';

/** What every gateway in a run shares: where things go and what it talks to. */
export interface RunContext {
  runId: string;
  /** bench/.tmp/<run>: logs, data dirs, CPU profiles. */
  tmpDir: string;
  /** The PostgreSQL server; each gateway gets a fresh database on it. */
  serverUrl: string;
  sandboxUrl: string;
  /** How gateways are started: `npm start`'s way (TypeScript through swc) or `npm run start:prod`'s (built). */
  gateway: GatewayBuild;
}

export type GatewayBuild = 'source' | 'compiled';

const GATEWAY_COMMANDS: Record<GatewayBuild, { entry: string; nodeFlags: string[]; label: string }> = {
  source: { entry: 'src/index.ts', nodeFlags: [], label: 'node -r @swc-node/register src/index.ts' },
  compiled: { entry: 'dist/src/index.js', nodeFlags: ['--enable-source-maps'], label: 'node --enable-source-maps dist/src/index.js (npm run build)' },
};

/** The command line a run's gateways are started with, for the report. */
export function gatewayCommand(build: GatewayBuild): string {
  return GATEWAY_COMMANDS[build].label;
}

/**
 * Keeps the reconciler out of a scenario that is not about it: payments created during a load run
 * are first polled an hour later, after the scenario is over.
 */
export const QUIET_RECONCILER_ENV: Readonly<Record<string, string>> = {
  POLL_FAST_INTERVAL_MS: String(60 * 60_000),
  POLL_SLOW_INTERVAL_MS: String(60 * 60_000),
};

/**
 * Production limits that would turn benchmark load away: one API key sending thousands of requests
 * a second, and holding 10,000 WebSocket connections. Raised, not switched off, so that the cost of
 * checking them is still measured.
 */
export const HEADROOM_ENV: Readonly<Record<string, string>> = {
  RATE_LIMIT_PAYMENTS: '1000000',
  RATE_LIMIT_READS: '1000000',
  RATE_LIMIT_ADMIN: '1000000',
  WS_MAX_CONNECTIONS_PER_KEY: '100000',
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '10000',
};

/** The run's device-token key; rows the bench seeds are sealed with it too. */
export const ENCRYPTION_KEY_SPEC = generateEncryptionKeySpec('bench');

/** How a device token is stored at rest under the bench's key. */
export function sealForGateway(plaintext: string): string {
  return new KeyRing(parseEncryptionKeys(ENCRYPTION_KEY_SPEC)).seal(plaintext);
}

export interface BenchGateway {
  name: string;
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  process: NodeProcess;
  database: BenchDatabase;
  /** The environment it was started with, secrets left out. */
  settings: Record<string, string>;
  stop(): Promise<GatewayTeardown>;
}

export interface GatewayTeardown {
  memory: MemoryReading;
  exitCode: number | null;
  activity: DatabaseActivity;
  /** The .cpuprofile written on exit, when started with a profile directory. */
  cpuProfile: string | null;
}

export interface StartGatewayOptions {
  /** Also names its database and log. */
  name: string;
  env?: Record<string, string>;
  /** Runs it under `--cpu-prof`, the profile written here when it exits. */
  cpuProfileDir?: string;
  /** More Node flags, e.g. `--heapsnapshot-signal=SIGUSR2` for a look at memory. */
  nodeFlags?: string[];
  /** Reach PostgreSQL through this loopback port (a relay that counts what goes over the wire). */
  databaseRelayPort?: number;
  /** Another build's entry point than the run's, for a side-by-side comparison of two builds. */
  entry?: string;
  /** A command to run it under (see `NodeProcessOptions.wrapper`), with the time it may take to be ready. */
  wrapper?: { command: string[]; readyTimeoutMs: number };
}

/**
 * A gateway as production runs it (`NODE_ENV=production`, the built `dist/src/index.js`), in proxy mode
 * against the sandbox, on a fresh database, with the bench's shop configured.
 */
export async function startBenchGateway(run: RunContext, options: StartGatewayOptions): Promise<BenchGateway> {
  const database = await BenchDatabase.create(run.serverUrl, `bench_${run.runId}_${options.name}`.replace(/[^a-z0-9_]/g, '_'));
  const port = await freePort();
  const dataDir = path.join(run.tmpDir, `${options.name}-data`);
  fs.mkdirSync(dataDir, { recursive: true });
  const databaseUrl = new URL(database.url);
  if (options.databaseRelayPort) {
    databaseUrl.hostname = '127.0.0.1';
    databaseUrl.port = String(options.databaseRelayPort);
  }
  const settings: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    // Production's default: one line per operation is part of what a request costs.
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl.toString(),
    KASPI_MODE: 'proxy',
    PRODUCTION_API_URL: `${run.sandboxUrl}/proxy`,
    // Stopped only once its load is over: nothing to drain but the bench's own idle keep-alive sockets.
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...HEADROOM_ENV,
    ...options.env,
  };
  const secrets = {
    KASPI_ACCESS_TOKEN: PROXY_ACCESS_TOKEN,
    API_KEYS: `service:${SERVICE_KEY},admin:${ADMIN_KEY}`,
    ENCRYPTION_KEYS: ENCRYPTION_KEY_SPEC,
  };
  const url = `http://127.0.0.1:${port}`;
  let gatewayProcess: NodeProcess;
  try {
    gatewayProcess = await NodeProcess.start({
      name: `gateway ${options.name}`,
      entry: options.entry ?? GATEWAY_COMMANDS[run.gateway].entry,
      env: { ...settings, ...secrets },
      logFile: path.join(run.tmpDir, `gateway-${options.name}.log`),
      readyUrl: `${url}/readyz`,
      wrapper: options.wrapper?.command,
      readyTimeoutMs: options.wrapper?.readyTimeoutMs,
      nodeFlags: [
        ...GATEWAY_COMMANDS[run.gateway].nodeFlags,
        ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
        ...(options.nodeFlags ?? []),
      ],
    });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const graphqlUrl = `${url}/graphql`;
  try {
    await gql(graphqlUrl, CREATE_CONFIG, { input: { ...SHOP, description: 'Benchmark shop' } }, ADMIN_KEY);
  } catch (error) {
    await gatewayProcess.stop();
    await database.drop();
    throw new Error(`could not configure the shop: ${(error as Error).message}\n${gatewayProcess.tail()}`);
  }

  return {
    name: options.name,
    url,
    graphqlUrl,
    wsUrl: graphqlUrl.replace(/^http/, 'ws'),
    process: gatewayProcess,
    database,
    settings,
    async stop() {
      const memory = gatewayProcess.memory();
      // Under the profiler it must exit by itself to write the profile; otherwise a short grace is
      // enough, as the load is over by the time a scenario stops its gateway.
      const exitCode = await gatewayProcess.stop(options.cpuProfileDir ? 60_000 : 3_000);
      const activity = await database.activity().catch(() => ({ transactions: 0 }));
      await database.drop();
      return { memory, exitCode, activity, cpuProfile: options.cpuProfileDir ? newestProfile(options.cpuProfileDir) : null };
    },
  };
}

function newestProfile(dir: string): string | null {
  if (!fs.existsSync(dir)) return null;
  const files = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file) => path.join(dir, file))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return files[0] ?? null;
}
