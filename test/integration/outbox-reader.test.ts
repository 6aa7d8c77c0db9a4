import type { MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded-database';
import { migrate, openOrm } from '../../src/db/orm';
import { OutboxEventKind } from '../../src/domain/outbox-event';
import { hasRead, OutboxReader, type OutboxPosition } from '../../src/services/outbox-reader';
import { createTestDatabase, type TestDatabase } from '../support/database';

const GAP_WAIT_MS = 1_000;
const GAP_WINDOW_MS = 60_000;

/**
 * The outbox reader on a real database, with a clock the test moves. A gap is made the way
 * PostgreSQL makes one: a sequence number taken by a transaction that has not committed (here:
 * taken with nextval and inserted later, as a late commit would appear).
 */
describe('the outbox reader', () => {
  let database: TestDatabase;
  let embedded: EmbeddedDatabase | null = null;
  let orm: MikroORM;
  let now = 1_000_000;
  const reader = new OutboxReader({ gapWaitMs: GAP_WAIT_MS, gapWindowMs: GAP_WINDOW_MS, maxGaps: 8 }, () => now);
  const paymentId = randomUUID();

  const em = () => orm.em.fork();
  const sql = <T = unknown>(query: string, params: unknown[] = []) => em().getConnection().execute<T[]>(query, params);
  /** Takes the next sequence number without committing an event under it: a transaction in flight. */
  const takeNumber = async () => (await sql<{ id: string }>(`select nextval('payment_event_id_seq')::text as id`))[0].id;
  /** Commits an event, under the next number or under one taken earlier. */
  const commitEvent = async (status: string, id?: string) => {
    const rows = await sql<{ id: string }>(
      `insert into payment_event (${id ? 'id, ' : ''}kind, payment_id, shop_id, external_id, previous_status, status)
        values (${id ? '?, ' : ''}?, ?, 1, 'ext-1', null, ?) returning id::text as id`,
      [...(id ? [id] : []), OutboxEventKind.PAYMENT_STATUS_CHANGED, paymentId, status],
    );
    return rows[0].id;
  };
  const seqs = (events: Array<{ seq: string }>) => events.map((event) => event.seq);
  const readAll = async (position: OutboxPosition, limit = 500) => {
    const events: string[] = [];
    for (;;) {
      const batch = await reader.read(em(), position, { limit });
      events.push(...seqs(batch.events));
      position = batch.position;
      if (!batch.more) return { events, position, batch };
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    if (!database.url) embedded = await startEmbeddedDatabase({ dataDir: null });
    orm = await openOrm({ url: database.url ?? embedded!.url, poolMax: embedded ? 1 : 4 });
    await migrate(orm);
  });

  afterAll(async () => {
    await orm?.close();
    await embedded?.stop();
    await database?.drop();
  });

  beforeEach(async () => {
    await sql('delete from payment_event');
    now += GAP_WINDOW_MS * 10;
  });

  it('reads in numeric order, in batches, across a power of ten of sequence numbers', async () => {
    await sql(`select setval('payment_event_id_seq', 9995)`);
    const start = await reader.head(em());
    const written: string[] = [];
    for (let i = 0; i < 12; i += 1) written.push(await commitEvent('WAITING'));
    expect(written.at(0)).toBe('9996');
    expect(written.at(-1)).toBe('10007');

    const { events } = await readAll(start, 5);
    expect(events).toEqual(written);
  });

  it('holds events back behind a fresh gap, moves past it after the wait, and reads the late event once when it commits', async () => {
    const start = await reader.head(em());
    const first = await commitEvent('WAITING');
    const inFlight = await takeNumber();
    const after = await commitEvent('PROCESSED');

    const held = await reader.read(em(), start);
    expect(seqs(held.events)).toEqual([first]);
    expect(held.retryInMs).toBe(GAP_WAIT_MS);

    now += GAP_WAIT_MS / 2;
    const stillHeld = await reader.read(em(), held.position);
    expect(stillHeld.events).toEqual([]);
    expect(stillHeld.retryInMs).toBe(GAP_WAIT_MS / 2);

    now += GAP_WAIT_MS / 2;
    const moved = await reader.read(em(), stillHeld.position);
    expect(seqs(moved.events)).toEqual([after]);
    expect(moved.retryInMs).toBeNull();
    expect(hasRead(moved.position, inFlight)).toBe(false);

    // Read again as a restarted consumer would, from the position kept as JSON.
    const kept = JSON.parse(JSON.stringify(moved.position)) as OutboxPosition;
    expect((await reader.read(em(), kept)).events).toEqual([]);

    now += GAP_WINDOW_MS / 2;
    await commitEvent('FAILED', inFlight);
    const late = await reader.read(em(), kept);
    expect(seqs(late.events)).toEqual([inFlight]);
    expect(hasRead(late.position, inFlight)).toBe(true);
    expect((await reader.read(em(), late.position)).events).toEqual([]);
  });

  it('watches a gap for its window only, then gives it up', async () => {
    const start = await reader.head(em());
    const rolledBack = await takeNumber();
    const after = await commitEvent('WAITING');
    const held = await reader.read(em(), start);
    expect(held.events).toEqual([]);
    now += GAP_WAIT_MS;
    const moved = await reader.read(em(), held.position);
    expect(seqs(moved.events)).toEqual([after]);
    expect(hasRead(moved.position, rolledBack)).toBe(false);

    now += GAP_WINDOW_MS + 1;
    const givenUp = await reader.read(em(), moved.position);
    expect(givenUp.abandonedGaps).toBeGreaterThanOrEqual(1);
    expect(hasRead(givenUp.position, rolledBack)).toBe(true);
  });

  it('starts a new consumer after the newest event, still watching the numbers below it that are in flight', async () => {
    await commitEvent('WAITING');
    const inFlight = await takeNumber();
    await commitEvent('PROCESSED');
    const head = await reader.head(em());
    expect((await reader.read(em(), head)).events).toEqual([]);

    await commitEvent('FAILED', inFlight);
    const newer = await commitEvent('CANCELED');
    expect(seqs((await reader.read(em(), head)).events)).toEqual([inFlight, newer]);
  });

  it('gives two consumers the same events from the same position, each at its own pace', async () => {
    const start = await reader.head(em());
    const written = [await commitEvent('WAITING'), await commitEvent('PROCESSED'), await commitEvent('WAITING')];
    const fast = await readAll(start, 500);
    const slow = await readAll(start, 1);
    expect(fast.events).toEqual(written);
    expect(slow.events).toEqual(written);
    expect(fast.position).toEqual(slow.position);
  });

  it('keeps a refund event apart from a payment event, with the refund and its statuses', async () => {
    const start = await reader.head(em());
    const refundId = randomUUID();
    await sql(
      `insert into payment_event (kind, payment_id, shop_id, external_id, refund_id, previous_status, status) values (?, ?, 1, 'ext-1', ?, 'PENDING', 'SUCCEEDED')`,
      [OutboxEventKind.REFUND_STATUS_CHANGED, paymentId, refundId],
    );
    const [event] = (await reader.read(em(), start)).events;
    expect(event).toMatchObject({ kind: 'refund.status_changed', refundId, paymentId, previousStatus: 'PENDING', status: 'SUCCEEDED' });
  });
});
