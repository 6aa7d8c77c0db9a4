import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { createTestDatabase, reachablePostgres, redisAnswers, type TestDatabase } from '../support/database';
import { CREATE_CONFIG, CREATE_KASPI_PAYMENT, PAYMENT, PAYMENT_STATUS, PAYMENT_STATUS_CHANGED, REFUND } from '../support/documents';
import { collect, eventually, SERVICE_KEY, ADMIN_KEY } from '../support/gateway';
import { gql, startGatewayProcess, type GatewayProcess } from '../support/gateway-process';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const SHOP = 101;
const MIN_POLL_INTERVAL_MS = 1_000;
const METRICS_TOKEN = 'test-metrics-token-0123456789';

describe('several gateway instances on one PostgreSQL (skipped where no PostgreSQL server answers)', () => {
  let postgres: string | null = null;
  let sandbox: Awaited<ReturnType<typeof startKaspiSandbox>>;
  let database: TestDatabase;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const dataDirs: string[] = [];

  beforeAll(async () => {
    postgres = await reachablePostgres();
    if (!postgres) return;
    const redis = await redisAnswers('127.0.0.1', 6379);
    sandbox = await startKaspiSandbox({ autoAdvanceMs: 0 });
    database = await createTestDatabase(postgres);
    const env = (name: string) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `kaspi-gw-${name}-`));
      dataDirs.push(dataDir);
      return {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url!,
        ...(redis ? { REDIS_URL: 'redis://127.0.0.1:6379' } : {}),
        KASPI_MODE: 'direct',
        KASPI_BASE_URL: sandbox.url,
        METRICS_TOKEN,
        RECONCILE_TICK_MS: '100',
        POLL_FAST_INTERVAL_MS: String(MIN_POLL_INTERVAL_MS),
        POLL_MIN_INTERVAL_MS: String(MIN_POLL_INTERVAL_MS),
        KASPI_CREATE_TIMEOUT_MS: '2000',
        KASPI_STATUS_TIMEOUT_MS: '1000',
        KASPI_REFUND_TIMEOUT_MS: '2000',
        // With Redis, a change committed on one instance reaches the other through it: no polling to fall back on.
        EVENT_POLL_MS: redis ? '600000' : '100',
      };
    };
    a = await startGatewayProcess(env('a'), 'instance-a');
    b = await startGatewayProcess(env('b'), 'instance-b');
    const config = await gql(a.graphqlUrl, CREATE_CONFIG, { input: { shopId: SHOP, organizationBin: '891027350515', deviceToken: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f' } });
    expect(config.data.createConfig.errors).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await a?.kill();
    await b?.kill();
    await sandbox?.close();
    await database?.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows a subscriber on A the change of a payment created and resolved through B', async (ctx) => {
    if (!postgres) ctx.skip();
    const client = createClient({ url: a.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ADMIN_KEY}` }, retryAttempts: 0 });
    const subscriber = collect<any>(client, PAYMENT_STATUS_CHANGED, { shopId: SHOP });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const created = await gql(b.graphqlUrl, CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 10, phone: '77015211545' } });
    const { id, externalId } = created.data.createKaspiPayment.payment;
    sandbox.sandbox.simulateCustomer(externalId, 'confirm');
    await gql(b.graphqlUrl, PAYMENT_STATUS, { externalId });
    const events = await subscriber.waitFor((seen) => seen.some((event) => event.paymentStatusChanged.status === 'PROCESSED'));
    expect(events.filter((event) => event.paymentStatusChanged.payment.id === id).map((event) => event.paymentStatusChanged.status)).toEqual([
      'WAITING',
      'PROCESSED',
    ]);
    await client.dispose();
  });

  it('sends one invoice for concurrent duplicates of one idempotency key split across A and B', async (ctx) => {
    if (!postgres) ctx.skip();
    sandbox.sandbox.injectFault({ operation: 'create', fault: 'latency', latencyMs: 300 });
    const before = sandbox.sandbox.snapshot().counters.create ?? 0;
    const input = { shopId: SHOP, amount: 11, phone: '77015211545', idempotencyKey: 'split-across-instances' };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => gql((i % 2 ? a : b).graphqlUrl, CREATE_KASPI_PAYMENT, { input }, SERVICE_KEY)),
    );
    expect(new Set(results.map((result) => result.data.createKaspiPayment.payment.id)).size).toBe(1);
    expect((sandbox.sandbox.snapshot().counters.create ?? 0) - before).toBe(1);
  });

  it('never refunds above the amount with concurrent refunds split across A and B', async (ctx) => {
    if (!postgres) ctx.skip();
    const created = await gql(a.graphqlUrl, CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 100, phone: '77015211545' } });
    const { id, externalId } = created.data.createKaspiPayment.payment;
    sandbox.sandbox.simulateCustomer(externalId, 'confirm');
    await eventually(async () => ((await gql(a.graphqlUrl, PAYMENT, { id })).data.payment.status === 'PROCESSED' ? true : undefined));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => gql((i % 2 ? a : b).graphqlUrl, REFUND, { input: { shopId: SHOP, externalId, amount: 10 } }, SERVICE_KEY)),
    );
    expect(results.filter((result) => result.data.refund.errors.length === 0)).toHaveLength(10);
    expect(sandbox.sandbox.payment(externalId)?.refundedAmount).toBe(100);
  });

  it('answers a final payment from A with a refund made through B the moment B has answered, from memory while nothing changes', async (ctx) => {
    if (!postgres) ctx.skip();
    const FULL_STATUS = `query ($externalId: String!) { paymentStatus(externalId: $externalId) { id status refundedAmount refundableAmount refunds { id amount status } } }`;
    const created = await gql(b.graphqlUrl, CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 100, phone: '77015211545' } });
    const { id, externalId } = created.data.createKaspiPayment.payment;
    sandbox.sandbox.simulateCustomer(externalId, 'confirm');
    await eventually(async () => ((await gql(b.graphqlUrl, PAYMENT, { id })).data.payment.status === 'PROCESSED' ? true : undefined));

    const kept = await gql(a.graphqlUrl, FULL_STATUS, { externalId });
    expect(kept.data.paymentStatus).toEqual({ id, status: 'PROCESSED', refundedAmount: 0, refundableAmount: 100, refunds: [] });
    const before = await readCacheFigures(a.url);
    const again = await gql(a.graphqlUrl, FULL_STATUS, { externalId });
    expect(again.data.paymentStatus).toEqual(kept.data.paymentStatus);
    const afterHit = await readCacheFigures(a.url);
    expect(afterHit.hits).toBe(before.hits + 1);
    expect(afterHit.loads).toBe(before.loads);

    // No waiting between B's answer and A's read: whatever B committed is in A's very next answer.
    let reserved = 0;
    for (const amount of [30, 20]) {
      const refunded = await gql(b.graphqlUrl, REFUND, { input: { shopId: SHOP, externalId, amount } }, SERVICE_KEY);
      expect(refunded.data.refund.errors).toEqual([]);
      reserved += amount;
      const seen = (await gql(a.graphqlUrl, FULL_STATUS, { externalId })).data.paymentStatus;
      expect(seen.refunds.map((refund: { id: string }) => refund.id)).toContain(refunded.data.refund.refund.id);
      // Whether a refund has settled yet or not, what it holds back is already out of what is left.
      expect(seen.refundableAmount).toBe(100 - reserved);
      const succeeded = seen.refunds.filter((refund: { status: string }) => refund.status === 'SUCCEEDED');
      expect(seen.refundedAmount).toBe(succeeded.reduce((sum: number, refund: { amount: number }) => sum + refund.amount, 0));
    }
    const final = await gql(a.graphqlUrl, FULL_STATUS, { externalId });
    expect(final.data.paymentStatus.refundedAmount + final.data.paymentStatus.refundableAmount).toBe(100);
    expect(final.data.paymentStatus.refunds).toHaveLength(2);
    const afterRefunds = await readCacheFigures(a.url);
    expect(afterRefunds.loads).toBeGreaterThanOrEqual(afterHit.loads + 2);
  });

  it('lets B finish what A held when A is killed, without polling any payment faster than Kaspi allows', async (ctx) => {
    if (!postgres) ctx.skip();
    const ids: Array<{ id: string; externalId: string }> = [];
    for (let i = 0; i < 30; i += 1) {
      const created = await gql((i % 2 ? a : b).graphqlUrl, CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 20 + i, phone: '77015211545' } });
      ids.push(created.data.createKaspiPayment.payment);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await a.kill('SIGKILL');
    for (const { externalId } of ids) sandbox.sandbox.simulateCustomer(externalId, 'confirm');
    await eventually(async () => {
      for (const { id } of ids) {
        if ((await gql(b.graphqlUrl, PAYMENT, { id })).data.payment.status !== 'PROCESSED') return undefined;
      }
      return true;
    }, 30_000, 'B to see every payment paid');

    const statusCalls = sandbox.sandbox.snapshot().calls.filter((call) => call.operation === 'status');
    for (const { externalId } of ids) {
      const times = statusCalls
        .filter((call) => String(call.params.qrPaymentId) === externalId)
        .map((call) => new Date(call.at).getTime())
        .sort((x, y) => x - y);
      expect(times.length).toBeGreaterThan(1);
      const gaps = times.slice(1).map((time, index) => time - times[index]);
      // The database grants one check per interval; the rest is the jitter of getting the call out.
      expect(Math.min(...gaps), `status calls of ${externalId}`).toBeGreaterThanOrEqual(MIN_POLL_INTERVAL_MS - 50);
    }
  }, 90_000);
});

describe('the embedded database', () => {
  it('refuses a second gateway process on the same DATA_DIR with a clear message', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-gw-embedded-'));
    const first = await startGatewayProcess({ DATA_DIR: dataDir, DATABASE_URL: '' }, 'embedded-first');
    try {
      await expect(startGatewayProcess({ DATA_DIR: dataDir, DATABASE_URL: '' }, 'embedded-second')).rejects.toThrow(/exited with 1/);
      const logs = fs.readdirSync(path.join(os.tmpdir(), 'kaspi-gateway-test-logs')).filter((name) => name.startsWith('embedded-second'));
      const text = logs.map((name) => fs.readFileSync(path.join(os.tmpdir(), 'kaspi-gateway-test-logs', name), 'utf8')).join('\n');
      expect(text).toMatch(/is in use by another gateway process/);
      expect(text).toMatch(/DATABASE_URL/);
    } finally {
      await first.kill('SIGTERM');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** The status cache's figures from an instance's metrics. */
async function readCacheFigures(url: string): Promise<{ hits: number; loads: number }> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await response.text();
  const figure = (name: string) => Number(new RegExp(`^kaspi_gateway_payment_read_cache\\{figure="${name}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
  return { hits: figure('hits'), loads: figure('loads') };
}
