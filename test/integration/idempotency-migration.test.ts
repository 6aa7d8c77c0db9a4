import type { MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded-database';
import { migrate, openOrm } from '../../src/db/orm';
import { PaymentSearchService } from '../../src/services/payment-search.service';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** The last migration under which idempotency keys were scoped to the API key. */
const BEFORE = 'Migration20261128224711_payment_methods';

/**
 * Data written while keys were scoped to the API key may hold one key twice on a shop, once per
 * API key: the move to keys scoped to the shop must keep every row and still apply.
 */
describe('the move of idempotency keys from the API key to the shop, over data written before it', () => {
  let database: TestDatabase;
  let embedded: EmbeddedDatabase | null = null;
  let orm: MikroORM;
  const ids = { first: randomUUID(), second: randomUUID(), otherShop: randomUUID(), refundFirst: randomUUID(), refundSecond: randomUUID(), refundOther: randomUUID() };

  const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(query, params);
  const insertPayment = (id: string, shopId: number, callerId: string, key: string, hoursAgo: number) =>
    sql(
      `insert into payment (id, shop_id, provider, organization_bin, amount, status, phone_masked, caller_id, idempotency_key, request_hash, created_at, updated_at)
       values (?, ?, 'kaspi', '891027350515', 10000, 'PROCESSED', '7701***1545', ?, ?, ?, now() - ? * interval '1 hour', now())`,
      [id, shopId, callerId, key, `hash-${id}`.slice(0, 64), hoursAgo],
    );
  const insertRefund = (id: string, paymentId: string, callerId: string, key: string, hoursAgo: number) =>
    sql(
      `insert into refund (id, payment_id, amount, status, caller_id, idempotency_key, request_hash, created_at, updated_at)
       values (?, ?, 500, 'SUCCEEDED', ?, ?, ?, now() - ? * interval '1 hour', now())`,
      [id, paymentId, callerId, key, `hash-${id}`.slice(0, 64), hoursAgo],
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    if (!database.url) embedded = await startEmbeddedDatabase({ dataDir: null });
    orm = await openOrm({ url: database.url ?? embedded!.url, poolMax: embedded ? 1 : 2 });
    await orm.getMigrator().up({ to: BEFORE });
    // Two backends of shop 8 with API keys of their own sent the same order id: two invoices.
    await insertPayment(ids.first, 8, 'env:backend-a', 'order-1', 3);
    await insertPayment(ids.second, 8, 'env:backend-b', 'order-1', 2);
    await insertPayment(ids.otherShop, 9, 'env:backend-c', 'order-1', 1);
    await insertRefund(ids.refundFirst, ids.first, 'env:backend-a', 'return-1', 2);
    await insertRefund(ids.refundSecond, ids.second, 'env:backend-b', 'return-1', 1);
    await insertRefund(ids.refundOther, ids.otherShop, 'env:backend-c', 'return-1', 1);
    await migrate(orm);
  }, 60_000);

  afterAll(async () => {
    await orm?.close();
    await embedded?.stop();
    await database?.drop();
  });

  it('leaves the key on the oldest payment of a shop, moves the later duplicate\'s aside, and keeps every row', async () => {
    const rows = await sql<{ id: string; idempotency_key: string | null; superseded_idempotency_key: string | null }>(
      'select id, idempotency_key, superseded_idempotency_key from payment order by created_at',
    );
    expect(rows).toEqual([
      { id: ids.first, idempotency_key: 'order-1', superseded_idempotency_key: null },
      { id: ids.second, idempotency_key: null, superseded_idempotency_key: 'order-1' },
      { id: ids.otherShop, idempotency_key: 'order-1', superseded_idempotency_key: null },
    ]);
  });

  it('gives every refund its payment\'s shop and scopes refund keys to it the same way', async () => {
    const rows = await sql<{ id: string; shop_id: number; idempotency_key: string | null; superseded_idempotency_key: string | null }>(
      'select id, shop_id, idempotency_key, superseded_idempotency_key from refund order by created_at, shop_id',
    );
    expect(rows).toEqual([
      { id: ids.refundFirst, shop_id: 8, idempotency_key: 'return-1', superseded_idempotency_key: null },
      { id: ids.refundSecond, shop_id: 8, idempotency_key: null, superseded_idempotency_key: 'return-1' },
      { id: ids.refundOther, shop_id: 9, idempotency_key: 'return-1', superseded_idempotency_key: null },
    ]);
  });

  it('refuses a second row with a shop\'s key from then on, whichever API key writes it', async () => {
    await expect(insertPayment(randomUUID(), 8, 'env:backend-d', 'order-1', 0)).rejects.toThrow(/payment_shop_id_idempotency_key_unique/);
    await expect(insertPayment(randomUUID(), 10, 'env:backend-a', 'order-1', 0)).resolves.toBeDefined();
  });

  it('still finds both invoices of the duplicated key by searching for it', async () => {
    const found = await new PaymentSearchService().search(orm.em.fork(), { search: 'order-1', shopId: 8, offset: 0, limit: 10 });
    expect(found.payments.map((payment) => payment.id).sort()).toEqual([ids.first, ids.second].sort());
    const byRefundKey = await new PaymentSearchService().search(orm.em.fork(), { search: 'return-1', shopId: 8, offset: 0, limit: 10 });
    expect(byRefundKey.payments.map((payment) => payment.id).sort()).toEqual([ids.first, ids.second].sort());
  });

  it('can be undone: superseded keys return to their rows under the API key scope', async () => {
    await orm.getMigrator().down({ to: BEFORE });
    const rows = await sql<{ id: string; idempotency_key: string | null }>('select id, idempotency_key from payment where shop_id in (8, 9) order by created_at');
    expect(rows.slice(0, 3)).toEqual([
      { id: ids.first, idempotency_key: 'order-1' },
      { id: ids.second, idempotency_key: 'order-1' },
      { id: ids.otherShop, idempotency_key: 'order-1' },
    ]);
    await migrate(orm);
  });
});
