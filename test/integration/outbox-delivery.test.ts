import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, reachablePostgres, type TestDatabase } from '../support/database';
import { CREATE_KASPI_PAYMENT, PAYMENT, PAYMENT_STATUS_CHANGED, REFUND } from '../support/documents';
import { collect, eventually, startTestGateway, type TestGateway } from '../support/gateway';
import { routeShop } from '../support/sandbox';

const ROUTING = { organizationBin: '891027350515', deviceToken: '66cbf4e5-0193-45f3-8d97-362c98374466' };

interface Change {
  paymentStatusChanged: { id: string; previousStatus: string | null; status: string; changedAt: string; payment: { id: string } };
}

async function createPayment(gw: TestGateway, shopId: number, amount = 100): Promise<{ id: string; externalId: string }> {
  const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId, amount, phone: '77015211545' } });
  expect(created.data.createKaspiPayment.errors).toEqual([]);
  return created.data.createKaspiPayment.payment;
}

/** Waits until the gateway has `count` subscriptions open, so that what follows is live. */
async function subscribed(gw: TestGateway, count: number): Promise<void> {
  await eventually(async () => {
    const { body } = await gw.gateway.metrics.render();
    const open = Number(/^kaspi_gateway_open_subscriptions (\d+)/m.exec(body)?.[1] ?? 0);
    return open >= count ? true : undefined;
  }, 10_000, `${count} open subscriptions`);
}

/** More transactions than this to the next power of ten, and the test leaves the counter alone. */
const MAX_TRANSACTIONS_TO_BURN = 50_000;

const ids = (events: Change[]) => events.map((event) => event.paymentStatusChanged.id);
const ofPayment = (events: Change[], paymentId: string) =>
  events.filter((event) => event.paymentStatusChanged.payment.id === paymentId).map((event) => event.paymentStatusChanged.status);

describe('status changes reach subscribers whatever the transaction counter and other sessions do', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('delivers every change once and in order, live and replayed, while transaction ids and sequence numbers cross a power of ten', async () => {
    const SHOP = 61;
    await routeShop(gw, { shopId: SHOP, ...ROUTING });
    const sql = <T>(query: string) => gw.gateway.orm.em.fork().getConnection().execute<T[]>(query);
    const currentXid = async () => Number((await sql<{ xid: string }>('select pg_current_xact_id()::text as xid'))[0].xid);
    const startXid = await currentXid();
    const xidBoundary = 10 ** Math.ceil(Math.log10(startXid + 50));
    // On a fresh embedded database the next power of ten is a few hundred transactions away; on a
    // shared server it may be millions, more than a test should spend there.
    const crossXids = xidBoundary - startXid <= MAX_TRANSACTIONS_TO_BURN;
    // Each statement of a simple query with its own begin/commit is a transaction of its own.
    while (crossXids && (await currentXid()) < xidBoundary - 12) {
      const burn = Math.min(2_000, xidBoundary - 12 - (await currentXid()));
      await sql(Array.from({ length: burn }, () => 'begin; select pg_current_xact_id(); commit;').join(' '));
    }
    // The outbox's own sequence crosses a power of ten as well.
    const [{ last }] = await sql<{ last: string }>(`select last_value::text as last from payment_event_id_seq`);
    const seqBoundary = 10 ** Math.ceil(Math.log10(Number(last) + 20));
    await sql(`select setval('payment_event_id_seq', ${seqBoundary - 4})`);

    const startedAt = new Date();
    const live = collect<Change>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: SHOP });
    await subscribed(gw, 1);
    const payments: Array<{ id: string; externalId: string }> = [];
    const written = async () =>
      (await sql<{ xid: string; seq: string }>(`select xmin::text as xid, id::text as seq from payment_event where shop_id = ${SHOP}`)).map((row) => ({
        xid: Number(row.xid),
        seq: Number(row.seq),
      }));
    const crossed = (rows: Array<{ xid: number; seq: number }>) =>
      rows.some((row) => row.seq > seqBoundary + 2) && (!crossXids || rows.some((row) => row.xid > xidBoundary + 2));
    // Changes are written on both sides of the boundaries; keep going until some are past them.
    while (payments.length < 4 || !crossed(await written())) {
      expect(payments.length, 'payments needed to cross the boundaries').toBeLessThan(60);
      const payment = await createPayment(gw, SHOP, 100 + payments.length);
      gw.gateway.sandbox!.simulateCustomer(payment.externalId, 'confirm');
      payments.push(payment);
    }
    const rows = await written();
    expect(rows.some((row) => row.seq < seqBoundary)).toBe(true);
    if (crossXids) expect(rows.some((row) => row.xid < xidBoundary)).toBe(true);
    else console.info(`transaction ids left as they are: the next power of ten is ${xidBoundary - startXid} transactions away`);

    for (const { id } of payments) {
      await eventually(async () => ((await gw.gql(PAYMENT, { id })).data.payment.status === 'PROCESSED' ? true : undefined), 20_000, 'a payment to be paid');
    }
    const seen = await live.waitFor((events) => events.length >= payments.length * 2, 20_000);
    await gw.gateway.services.events.drain();
    expect(new Set(ids(seen)).size).toBe(seen.length);
    for (const { id } of payments) expect(ofPayment(seen, id), `changes of ${id}`).toEqual(['WAITING', 'PROCESSED']);

    const replay = collect<Change>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: SHOP, since: new Date(startedAt.getTime() - 1_000).toISOString() });
    const replayed = await replay.waitFor((events) => events.length >= seen.length, 20_000);
    expect(ids(replayed)).toEqual([...ids(seen)].sort((a, b) => Number(BigInt(a) - BigInt(b))));
    expect(new Set(ids(replayed))).toEqual(new Set(ids(seen)));
  }, 120_000);

  it("writes a refund's status changes to the outbox for its readers, and keeps them from paymentStatusChanged subscribers", async () => {
    const SHOP = 63;
    await routeShop(gw, { shopId: SHOP, ...ROUTING });
    const reader = gw.gateway.services.events.reader;
    const start = await reader.head(gw.gateway.orm.em.fork());
    const live = collect<Change>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: SHOP });
    await subscribed(gw, 2);
    const payment = await createPayment(gw, SHOP);
    gw.gateway.sandbox!.simulateCustomer(payment.externalId, 'confirm');
    await eventually(async () => ((await gw.gql(PAYMENT, { id: payment.id })).data.payment.status === 'PROCESSED' ? true : undefined), 20_000, 'the payment to be paid');
    const refunded = await gw.gql(REFUND, { input: { shopId: SHOP, externalId: payment.externalId, amount: 40 } });
    expect(refunded.data.refund.errors).toEqual([]);
    const refundId = refunded.data.refund.refund.id;

    await gw.gateway.services.events.drain();
    const { events } = await reader.read(gw.gateway.orm.em.fork(), start);
    const ofThisPayment = events.filter((event) => event.paymentId === payment.id);
    expect(ofThisPayment.map((event) => [event.kind, event.refundId, event.previousStatus, event.status])).toEqual([
      ['payment.status_changed', null, 'PENDING', 'WAITING'],
      ['payment.status_changed', null, 'WAITING', 'PROCESSED'],
      ['refund.status_changed', refundId, null, 'PENDING'],
      ['refund.status_changed', refundId, 'PENDING', 'SUCCEEDED'],
    ]);
    const paymentChanges = ofThisPayment.filter((event) => event.kind === 'payment.status_changed').map((event) => event.seq);
    expect(ids(live.events)).toEqual(paymentChanges);

    const { body } = await gw.gateway.metrics.render();
    expect(body).toMatch(/^kaspi_gateway_outbox_lag_seconds 0$/m);
    expect(body).toMatch(/^kaspi_gateway_outbox_open_gaps \d+$/m);
  });
});

describe('status changes while other sessions hold transactions open (skipped where no PostgreSQL server answers)', () => {
  let postgres: string | null = null;
  let gw: TestGateway;
  let own: TestDatabase;
  let elsewhere: TestDatabase;
  const clients: Client[] = [];
  const SHOP = 62;

  const session = async (url: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    postgres = await reachablePostgres();
    if (!postgres) return;
    elsewhere = await createTestDatabase(postgres);
    own = await createTestDatabase(postgres);
    gw = await startTestGateway({ DATABASE_URL: own.url!, DATABASE_POOL_MAX: '10' });
    await routeShop(gw, { shopId: SHOP, ...ROUTING });
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await gw?.stop();
    await elsewhere?.drop();
    await own?.drop();
  });

  it('delivers a change while a transaction in another database stays open', async (ctx) => {
    if (!postgres) ctx.skip();
    const other = await session(elsewhere.url!);
    await other.query('begin');
    await other.query('select pg_current_xact_id()');

    const live = collect<Change>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: SHOP });
    await subscribed(gw, 1);
    const payment = await createPayment(gw, SHOP);
    const committedAt = Date.now();
    await live.waitFor((events) => ofPayment(events, payment.id).includes('WAITING'));
    const delayMs = Date.now() - committedAt;
    // Still open: the change did not wait for it.
    expect((await other.query('select pg_current_xact_id_if_assigned() is not null as open')).rows[0].open).toBe(true);
    console.info(`change delivered ${delayMs} ms after its commit while another database held a transaction open`);
    await other.query('rollback');
  });

  it('delivers the changes after a gap while the gap stays open, then the late change once when it commits', async (ctx) => {
    if (!postgres) ctx.skip();
    const witness = collect<Change>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: SHOP });
    await subscribed(gw, 2);
    const earlier = await createPayment(gw, SHOP, 201);
    // Once a subscriber has heard it, the tail is past it: a subscription started now begins after it.
    await witness.waitFor((events) => ofPayment(events, earlier.id).includes('WAITING'));
    const live = collect<Change>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: SHOP });
    await subscribed(gw, 3);

    // A writer of the gateway's own database takes a sequence number and does not commit yet.
    const writer = await session(own.url!);
    await writer.query('begin');
    await writer.query(
      `insert into payment_event (kind, payment_id, shop_id, external_id, previous_status, status) values ('payment.status_changed', $1, $2, $3, 'WAITING', 'WAITING')`,
      [earlier.id, SHOP, earlier.externalId],
    );
    const later = await createPayment(gw, SHOP, 202);
    await live.waitFor((events) => ofPayment(events, later.id).includes('WAITING'));
    expect(ofPayment(live.events, earlier.id)).toEqual([]);

    await writer.query('commit');
    await live.waitFor((events) => ofPayment(events, earlier.id).length > 0);
    const third = await createPayment(gw, SHOP, 203);
    await live.waitFor((events) => ofPayment(events, third.id).includes('WAITING'));
    await gw.gateway.services.events.drain();
    expect(ofPayment(live.events, earlier.id)).toEqual(['WAITING']);
    expect(new Set(ids(live.events)).size).toBe(live.events.length);
  });
});
