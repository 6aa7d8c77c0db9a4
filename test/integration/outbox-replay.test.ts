import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_KASPI_PAYMENT } from '../support/documents';
import { ADMIN_KEY, collect, eventually, SERVICE_KEY, startTestGateway, VIEWER_KEY, type TestGateway } from '../support/gateway';
import { routeShop } from '../support/sandbox';

const SHOP = 71;
const EVENTS = 450;
const CHANGES = `subscription ($since: DateTime) { paymentStatusChanged(shopId: ${SHOP}, since: $since) { id status changedAt replayCutShort } }`;

interface Change {
  paymentStatusChanged: { id: string; status: string; changedAt: string; replayCutShort: boolean | null };
}

/** The errors a subscription ended with, as the server sent them. */
async function endedWith(subscriber: { errors: unknown[] }): Promise<Array<{ message: string; extensions?: Record<string, unknown> }>> {
  return eventually(async () => (subscriber.errors.length > 0 ? (subscriber.errors.flat() as any[]) : undefined), 20_000, 'the subscription to end');
}

describe('a since replay is bounded: by a window, by a number of changes and by the caller’s read budget', () => {
  let gw: TestGateway;
  let since: string;

  beforeAll(async () => {
    gw = await startTestGateway({ EVENT_REPLAY_MAX_EVENTS: '250', RATE_LIMIT_READS: '4', RATE_LIMIT_WINDOW_SECONDS: '3600' });
    await routeShop(gw, { shopId: SHOP, organizationBin: '891027350515', deviceToken: '66cbf4e5-0193-45f3-8d97-362c98374466' });
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 10, phone: '77015211545' } });
    const { id, externalId } = created.data.createKaspiPayment.payment;
    since = new Date(Date.now() - 60_000).toISOString();
    // A long history of one payment, written straight into the outbox.
    await gw.gateway.orm.em
      .fork()
      .getConnection()
      .execute(
        `insert into payment_event (kind, payment_id, shop_id, external_id, previous_status, status)
          select 'payment.status_changed', ?, ?, ?, 'WAITING', 'WAITING' from generate_series(1, ?)`,
        [id, SHOP, externalId, EVENTS],
      );
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('refuses a since further back than the replay window with BAD_INPUT naming the field', async () => {
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3_600_000).toISOString();
    const subscriber = collect<Change>(gw.subscribe({ key: VIEWER_KEY }), CHANGES, { since: eightDaysAgo });
    const [error] = await endedWith(subscriber);
    expect(error.extensions).toMatchObject({ code: 'BAD_INPUT', field: ['since'] });
    expect(error.message).toMatch(/7 days/);
    expect(subscriber.events).toEqual([]);
  });

  it('stops a replay at EVENT_REPLAY_MAX_EVENTS, marks its last change and ends saying from where to resume', async () => {
    const subscriber = collect<Change>(gw.subscribe({ key: ADMIN_KEY }), CHANGES, { since });
    const [error] = await endedWith(subscriber);
    const changes = subscriber.events.map((event) => event.paymentStatusChanged);
    expect(changes.length).toBeGreaterThanOrEqual(250);
    const replayed = changes.slice(0, 250);
    expect(replayed.slice(0, -1).every((change) => change.replayCutShort === null)).toBe(true);
    expect(replayed.at(-1)!.replayCutShort).toBe(true);
    expect(replayed.map((change) => BigInt(change.id))).toEqual(replayed.map((change) => BigInt(change.id)).sort((a, b) => (a < b ? -1 : 1)));
    expect(error.extensions).toMatchObject({ code: 'REPLAY_CUT_SHORT', resumeSince: replayed.at(-1)!.changedAt });
  });

  it('charges a replay to the read budget, one read per hundred changes, and stops it when the budget is spent', async () => {
    // Two of the service key's four reads go elsewhere; the subscription takes the third.
    for (let i = 0; i < 2; i += 1) expect((await gw.gql('{ payment(id: "00000000-0000-4000-8000-000000000000") { id } }', {}, SERVICE_KEY)).status).toBe(200);
    const subscriber = collect<Change>(gw.subscribe({ key: SERVICE_KEY }), CHANGES, { since });
    const [error] = await endedWith(subscriber);
    const changes = subscriber.events.map((event) => event.paymentStatusChanged);
    // The fourth read paid for the first hundred; the next hundred found the budget spent.
    expect(changes).toHaveLength(100);
    expect(changes.at(-1)!.replayCutShort).toBe(true);
    expect(error.extensions).toMatchObject({ code: 'REPLAY_CUT_SHORT', resumeSince: changes.at(-1)!.changedAt });
    expect(error.extensions!.retryAfter).toBeGreaterThan(0);
  });
});
