import { createClient, type Client as WsClient } from 'graphql-ws';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { startGateway, type Gateway } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createTestDatabase } from './database';
import { TEST_LOG_DIR } from './test-log-dir';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const SERVICE_KEY = 'test-service-key-0123456789abcdef';
export const VIEWER_KEY = 'test-viewer-key-0123456789abcdef';
/** One device-token key for gateway processes that share a database, as instances in production do. */
export const TEST_ENCRYPTION_KEYS = `test:${Buffer.alloc(32, 'kaspi-gateway-test-key').toString('base64')}`;

export { TEST_LOG_DIR };
/** Every answer the gateways under test gave, checked for secrets like the logs. */
export const RESPONSES_FILE = (pid = process.pid) => path.join(TEST_LOG_DIR, `responses-${pid}.jsonl`);
/** Device tokens and access tokens the tests sent, which must never come back in a log or an answer. */
export const SENT_SECRETS_FILE = (pid = process.pid) => path.join(TEST_LOG_DIR, `sent-secrets-${pid}.txt`);

/**
 * Notes what a test sends that is secret (device tokens in variables or query text, the proxy
 * access token) and what the gateway answered, for the leak check that runs after the suite.
 */
export function recordExchange(sent: { query?: string; variables?: unknown; env?: Record<string, string> }, answer?: unknown): void {
  fs.mkdirSync(TEST_LOG_DIR, { recursive: true });
  const secrets = new Set<string>();
  collectSentSecrets(sent.variables, '', secrets);
  for (const match of sent.query?.matchAll(/deviceToken:\s*"([^"]+)"/g) ?? []) collectSentSecrets(match[1], 'deviceToken', secrets);
  if (sent.env?.KASPI_ACCESS_TOKEN) secrets.add(sent.env.KASPI_ACCESS_TOKEN);
  if (sent.env?.KASPI_CLIENT_PASSPHRASE) secrets.add(sent.env.KASPI_CLIENT_PASSPHRASE);
  const worthKeeping = [...secrets].filter((secret) => secret.trim().length >= 8);
  if (worthKeeping.length > 0) fs.appendFileSync(SENT_SECRETS_FILE(), `${worthKeeping.join('\n')}\n`);
  if (answer !== undefined) fs.appendFileSync(RESPONSES_FILE(), `${JSON.stringify(answer)}\n`);
}

function collectSentSecrets(value: unknown, key: string, into: Set<string>): void {
  if (typeof value === 'string') {
    // Only well-formed tokens are secrets; a fuzzed "deviceToken" of random text is not.
    if (key === 'deviceToken' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value.trim())) into.add(value.trim());
    if ((key === 'accessToken' || key === 'passphrase' || key === 'apiSecret') && value.length >= 8) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectSentSecrets(item, key, into);
  } else if (value && typeof value === 'object') {
    for (const [childKey, child] of Object.entries(value)) collectSentSecrets(child, childKey, into);
  }
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GqlResponse<T>>;
  subscribe(options?: { key?: string | null }): WsClient;
  stop(): Promise<void>;
}

export interface GqlResponse<T> {
  status: number;
  data: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/**
 * A real gateway on a loopback port, with a database of its own (embedded, or a fresh database
 * on the PostgreSQL server named by DATABASE_URL) and, by default, its own Kaspi sandbox.
 */
export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const database = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-gw-'));
  fs.mkdirSync(TEST_LOG_DIR, { recursive: true });
  const logFile = path.join(TEST_LOG_DIR, `${path.basename(dataDir)}.log`);
  const logger = createLogger('info', { destination: pino.destination({ dest: logFile, sync: true }) });
  recordExchange({ env });
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: dataDir,
    EMBEDDED_DATABASE: 'memory',
    ...(database.url ? { DATABASE_URL: database.url, DATABASE_POOL_MAX: '10' } : {}),
    API_KEYS: `admin:${ADMIN_KEY},service:${SERVICE_KEY},viewer:${VIEWER_KEY}`,
    SANDBOX_AUTO_ADVANCE_MS: '0',
    RECONCILE_TICK_MS: '100',
    POLL_FAST_INTERVAL_MS: '200',
    POLL_SLOW_INTERVAL_MS: '1000',
    POLL_MIN_INTERVAL_MS: '100',
    EVENT_POLL_MS: '50',
    KASPI_CREATE_TIMEOUT_MS: '1500',
    KASPI_STATUS_TIMEOUT_MS: '1500',
    KASPI_REFUND_TIMEOUT_MS: '1500',
    // One test key sends far more than a merchant would; the limits have tests of their own.
    RATE_LIMIT_PAYMENTS: '1000000',
    RATE_LIMIT_ADMIN: '1000000',
    RATE_LIMIT_READS: '1000000',
    ...env,
  });
  const gateway = await startGateway(config, { logger });
  const graphqlUrl = gateway.graphqlUrl;
  const clients: WsClient[] = [];

  return {
    gateway,
    url: gateway.url,
    graphqlUrl,
    wsUrl: graphqlUrl.replace(/^http/, 'ws'),
    async gql(query, variables, key = ADMIN_KEY) {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data: any; errors?: GqlResponse<unknown>['errors'] };
      recordExchange({ query, variables }, body);
      return { status: response.status, data: body.data, errors: body.errors };
    },
    subscribe({ key = ADMIN_KEY } = {}) {
      const client = createClient({
        url: graphqlUrl.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: key ? { authorization: `Bearer ${key}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((client) => client.dispose()));
      await gateway.stop();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects the events of one subscription; `next(n)` waits for the n-th. */
export function collect<T>(client: WsClient, query: string, variables: Record<string, unknown> = {}) {
  const events: T[] = [];
  const errors: unknown[] = [];
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((wake) => wake());
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        recordExchange({ query, variables }, value);
        if (value.errors) errors.push(...value.errors);
        if (value.data) events.push(value.data as T);
        notify();
      },
      error: (error) => {
        errors.push(error);
        notify();
      },
      complete: notify,
    },
  );
  return {
    events,
    errors,
    unsubscribe,
    async waitFor(predicate: (events: T[]) => boolean, timeoutMs = 10_000): Promise<T[]> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (errors.length > 0) throw new Error(`subscription failed: ${JSON.stringify(errors)}`);
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`timed out; received ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return events;
    },
  };
}

/** Polls until `check` returns a value that is not undefined, or fails after the timeout. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
