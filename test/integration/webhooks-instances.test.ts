import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { createTestDatabase, reachablePostgres, type TestDatabase } from '../support/database';
import { CREATE_CONFIG, CREATE_KASPI_PAYMENT, CREATE_WEBHOOK_ENDPOINT } from '../support/documents';
import { eventually } from '../support/gateway';
import { gql, startGatewayProcess, type GatewayProcess } from '../support/gateway-process';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SHOP = 121;

describe('webhooks across a SIGKILL and across two instances on one PostgreSQL (skipped where no PostgreSQL server answers)', () => {
  let postgres: string | null = null;
  let sandbox: Awaited<ReturnType<typeof startKaspiSandbox>>;
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  let db: Client;
  const processes: GatewayProcess[] = [];
  const dataDirs: string[] = [];

  const start = async (name: string) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `kaspi-gw-webhooks-${name}-`));
    dataDirs.push(dataDir);
    const gateway = await startGatewayProcess(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url!,
        KASPI_MODE: 'direct',
        KASPI_BASE_URL: sandbox.url,
        EVENT_POLL_MS: '100',
        RECONCILE_TICK_MS: '100',
        POLL_FAST_INTERVAL_MS: '300',
        POLL_MIN_INTERVAL_MS: '100',
        WEBHOOK_POLL_MS: '100',
        WEBHOOK_RETRY_SCHEDULE_MS: '0,200,200',
        WEBHOOK_TIMEOUT_MS: '2000',
      },
      `webhooks-${name}`,
    );
    processes.push(gateway);
    return gateway;
  };
  const createPayment = async (gateway: GatewayProcess, amount: number) => {
    const created = await gql(gateway.graphqlUrl, CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount, phone: '77015211545' } });
    expect(created.data.createKaspiPayment.errors).toEqual([]);
    return created.data.createKaspiPayment.payment as { id: string; externalId: string };
  };
  const hooksFor = (paymentId: string) => receiver.received.filter((hook) => hook.body.data.payment.id === paymentId);

  beforeAll(async () => {
    postgres = await reachablePostgres();
    if (!postgres) return;
    sandbox = await startKaspiSandbox({ autoAdvanceMs: 0 });
    database = await createTestDatabase(postgres);
    receiver = await startWebhookReceiver();
    db = new Client({ connectionString: database.url });
    const first = await start('first');
    await db.connect();
    const config = await gql(first.graphqlUrl, CREATE_CONFIG, { input: { shopId: SHOP, organizationBin: '891027350515', deviceToken: '4a5b6c7d-8e9f-4a0b-8c1d-2e3f4a5b6c7d' } });
    expect(config.data.createConfig.errors).toEqual([]);
    const endpoint = await gql(first.graphqlUrl, CREATE_WEBHOOK_ENDPOINT, { input: { url: `${receiver.url}/backend`, events: ['PAYMENT_STATUS_CHANGED'], shopIds: [SHOP] } });
    expect(endpoint.data.createWebhookEndpoint.errors).toEqual([]);
    receiver.secrets.push(endpoint.data.createWebhookEndpoint.secret);
  }, 120_000);

  afterAll(async () => {
    for (const gateway of processes) await gateway.kill();
    await db?.end();
    await receiver?.close();
    await sandbox?.close();
    await database?.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers, after the restart, an event committed just before the gateway was killed with SIGKILL', async (ctx) => {
    if (!postgres) ctx.skip();
    const gateway = processes[0];
    await eventually(async () => ((await db.query('select 1 from webhook_fanout_cursor')).rowCount ? true : undefined), 10_000, 'the fan-out cursor');
    // Hold the fan-out's cursor, so that the event is committed and the process dies before any delivery exists.
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select * from webhook_fanout_cursor for update');
    const payment = await createPayment(gateway, 31);
    expect(payment).toMatchObject({ status: 'WAITING' });
    await gateway.kill('SIGKILL');
    expect((await db.query('select count(*)::int as n from webhook_delivery')).rows[0].n).toBe(0);
    expect((await db.query('select count(*)::int as n from payment_event where payment_id = $1', [payment.id])).rows[0].n).toBeGreaterThan(0);
    await holder.query('rollback');
    await holder.end();

    await start('restarted');
    const [hook] = await receiver.waitFor((received) => received.some((candidate) => candidate.body.data.payment.id === payment.id), 20_000, 'the event after the restart');
    expect(hook.body.data).toMatchObject({ previousStatus: 'PENDING', status: 'WAITING' });
    expect(hook.verifiedWith).toEqual([true]);
    expect(hooksFor(payment.id)).toHaveLength(1);
  }, 90_000);

  it('sends each event once with two instances delivering from one PostgreSQL', async (ctx) => {
    if (!postgres) ctx.skip();
    const a = processes[processes.length - 1];
    const b = await start('second');
    const payments = [];
    for (let i = 0; i < 8; i += 1) payments.push(await createPayment(i % 2 ? a : b, 40 + i));
    for (const { externalId } of payments.slice(0, 4)) sandbox.sandbox.simulateCustomer(externalId, 'confirm');
    // Four payments go WAITING then PROCESSED, four stay WAITING: twelve events.
    const ids = new Set(payments.map((payment) => payment.id));
    await eventually(async () => {
      const { rows } = await db.query(
        `select count(*) filter (where d.status = 'SUCCEEDED')::int as done, count(*)::int as total
           from webhook_delivery d join payment_event e on e.id::text = d.event_id where e.payment_id = any($1::uuid[])`,
        [[...ids]],
      );
      return rows[0].total === 12 && rows[0].done === 12 ? true : undefined;
    }, 30_000, 'every delivery to succeed');
    const received = receiver.received.filter((hook) => ids.has(hook.body.data.payment.id));
    expect(received).toHaveLength(12);
    expect(new Set(received.map((hook) => hook.webhookId)).size).toBe(12);
    expect(received.every((hook) => hook.verifiedWith[0])).toBe(true);
    const attempts = await db.query(`select max(attempts)::int as most from webhook_delivery`);
    expect(attempts.rows[0].most).toBe(1);
  }, 90_000);
  it('lets another instance deliver, with the same webhook-id, an attempt whose instance was killed in the middle of it', async (ctx) => {
    if (!postgres) ctx.skip();
    // One instance alone, so that it is the one holding the attempt when it dies.
    const [alone, other] = processes.slice(-2);
    await other.kill('SIGTERM');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    receiver.answer = () => ({ status: 200, after: held });
    const payment = await createPayment(alone, 61);
    await receiver.waitFor(() => hooksFor(payment.id).length === 1, 20_000, 'the attempt that is held open');
    await alone.kill('SIGKILL');
    receiver.answer = () => ({ status: 200 });
    release();

    // The dead instance's claim lapses (twice WEBHOOK_TIMEOUT_MS and 5 s), then another instance sends it again.
    await start('after-kill');
    await receiver.waitFor(() => hooksFor(payment.id).length === 2, 40_000, 'the attempt made again by another instance');
    const [first, again] = hooksFor(payment.id);
    expect(again.webhookId).toBe(first.webhookId);
    expect(again.body).toEqual(first.body);
    expect(again.verifiedWith).toEqual([true]);
    const delivery = await eventually(async () => {
      const { rows } = await db.query(
        `select d.status, d.attempts from webhook_delivery d join payment_event e on e.id::text = d.event_id where e.payment_id = $1`,
        [payment.id],
      );
      return rows[0]?.status === 'SUCCEEDED' ? rows[0] : undefined;
    }, 10_000, 'the delivery to be recorded');
    expect(delivery).toEqual({ status: 'SUCCEEDED', attempts: 2 });
  }, 120_000);
});
