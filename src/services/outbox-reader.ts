import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxEventKind, type OutboxEvent } from '../domain/outbox-event';
import type { PaymentStatus } from '../domain/payment-status';
import type { RefundStatus } from '../domain/refund-status';

/**
 * A range of sequence numbers (`from` to `to`, both included) that a reader has not seen although
 * a later event was already visible: numbers taken by transactions still running (whose events
 * will appear late) or by transactions that rolled back (whose events never will).
 */
export interface OutboxGap {
  from: string;
  to: string;
  /** When the gap was first noticed, in milliseconds since the epoch. */
  seenAt: number;
}

/**
 * Where a reader stands in the outbox: every event up to `after` has been read, except those in
 * `gaps`, which are still watched for. Plain JSON, so a consumer can keep it anywhere (in memory,
 * or in a `jsonb` column next to the work it has done).
 */
export interface OutboxPosition {
  after: string;
  gaps: OutboxGap[];
}

export interface OutboxBatch {
  /** The events read, each exactly once for this chain of positions; one payment's in order. */
  events: OutboxEvent[];
  /** The position to read from next time; store it with whatever was done with `events`. */
  position: OutboxPosition;
  /** The batch was full: read again at once. */
  more: boolean;
  /**
   * Events are being held back behind a gap that may still fill: read again within this many
   * milliseconds even if nothing else wakes the reader. Null when nothing is held back.
   */
  retryInMs: number | null;
  /** Gaps given up on in this read: watched for the whole window and never filled. */
  abandonedGaps: number;
}

export interface OutboxReaderSettings {
  /** How long events after a gap are held back, hoping it fills, before the reader moves past it. */
  gapWaitMs: number;
  /** How long a gap the reader moved past is still watched, so that its event is read when it commits. */
  gapWindowMs: number;
  /** Most gaps one position watches; the oldest are given up first. */
  maxGaps: number;
}

export const DEFAULT_OUTBOX_READER_SETTINGS: OutboxReaderSettings = {
  gapWaitMs: 1_000,
  gapWindowMs: 10 * 60_000,
  maxGaps: 256,
};

/** How far below the last sequence number `head` looks for transactions still running. */
const HEAD_LOOKBACK = 1_000n;

/**
 * Reads the outbox (`payment_event`) in sequence order from a position, for any number of
 * independent consumers: live subscriptions keep their position in memory, a webhook fan-out keeps
 * its own in the database. All the cursor logic lives here; a consumer only stores the position it
 * is handed back.
 *
 * Events get their sequence number when they are inserted, but become visible when their
 * transaction commits, which may be later and in another order. A reader that simply took
 * everything after the highest number it has seen would skip an event that commits late; one that
 * waited for every older transaction on the server (the snapshot's xmin) would stall behind any
 * long transaction anywhere. Instead, a missing number below a visible event is a gap: the reader
 * holds the events after it back for `gapWaitMs` (about a second), then moves past it but keeps
 * watching it for `gapWindowMs`, and reads its event whenever it appears. So whatever other
 * sessions do, an event is read within about `gapWaitMs` of its commit (or, for a gap that fills
 * late, at the first read after its commit), never twice along one chain of positions, and one
 * payment's events keep their order (its writers hold the payment's row lock while numbering them,
 * so a later event of a payment can only become visible once the earlier ones are).
 *
 * The reader holds no state: the same position read twice gives the same events. A consumer that
 * must not lose or repeat events across restarts or between instances stores the position in the
 * same transaction as the work it derives from the events, under a lock that one instance holds at
 * a time.
 *
 * @example
 * // A consumer whose cursor lives in a row of its own (one row per consumer, created with
 * // `await reader.head(em)` as its first position):
 * await em.fork().transactional(async (tx) => {
 *   const cursor = await tx.findOneOrFail(ConsumerCursor, { name: 'webhooks' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
 *   const batch = await reader.read(tx, cursor.position);
 *   for (const event of batch.events) scheduleDeliveries(tx, event); // same transaction
 *   cursor.position = batch.position;
 * });
 * // then read again at once when `batch.more`, else within `batch.retryInMs`, else on the next wake-up.
 */
export class OutboxReader {
  constructor(
    private readonly settings: OutboxReaderSettings = DEFAULT_OUTBOX_READER_SETTINGS,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The position of a consumer that starts now: after the last sequence number handed out, still
   * watching the recent numbers below it that have no visible event yet, so that an event of a
   * transaction already running is read when it commits.
   */
  async head(em: EntityManager): Promise<OutboxPosition> {
    const connection = em.getConnection();
    const context = em.getTransactionContext();
    const [sequence] = await connection.execute<Array<{ last_value: string; is_called: boolean }>>(
      `select last_value::text as last_value, is_called from payment_event_id_seq`,
      [],
      'all',
      context,
    );
    // The last number handed out, whether its event has committed, is still in flight or rolled back.
    const top = sequence.is_called ? BigInt(sequence.last_value) : BigInt(sequence.last_value) - 1n;
    if (top <= 0n) return { after: '0', gaps: [] };
    const floor = top > HEAD_LOOKBACK ? top - HEAD_LOOKBACK : 0n;
    const rows = await connection.execute<Array<{ id: string }>>(
      `select id::text as id from payment_event where id > ? and id <= ? order by payment_event.id`,
      [floor.toString(), top.toString()],
      'all',
      context,
    );
    // Numbers below the head are older than the reader: past the wait, watched for the window.
    const seenAt = this.clock() - this.settings.gapWaitMs;
    const gaps: Gap[] = [];
    let expected = floor + 1n;
    for (const id of [...rows.map((row) => BigInt(row.id)), top + 1n]) {
      if (id > expected) gaps.push({ from: expected, to: id - 1n, seenAt });
      expected = id + 1n;
    }
    return { after: top.toString(), gaps: this.capped(gaps).kept.map(serialize) };
  }

  /**
   * Reads up to `limit` events after `position`: first those of watched gaps that have appeared
   * since, then new ones in sequence order, stopping before a gap younger than `gapWaitMs`.
   * Runs in `em`'s transaction when it has one.
   */
  async read(em: EntityManager, position: OutboxPosition, options: { limit?: number } = {}): Promise<OutboxBatch> {
    const limit = options.limit ?? 500;
    const now = this.clock();
    const after = BigInt(position.after);
    let abandonedGaps = 0;
    const watched: Gap[] = [];
    const pending: Gap[] = [];
    for (const gap of position.gaps.map(parse)) {
      if (gap.to <= after) {
        if (now - gap.seenAt > this.settings.gapWindowMs) abandonedGaps += 1;
        else watched.push(gap);
      } else {
        pending.push(gap);
      }
    }

    const rows = await em.getConnection().execute<EventRow[]>(
      `select ${EVENT_COLUMNS} from payment_event
        where id > ?${watched.map(() => ' or id between ? and ?').join('')}
        order by payment_event.id limit ?`,
      [after.toString(), ...watched.flatMap((gap) => [gap.from.toString(), gap.to.toString()]), limit],
      'all',
      em.getTransactionContext(),
    );

    const events: OutboxEvent[] = [];
    let cursor = after;
    let held: Gap | null = null;
    for (const row of rows) {
      const id = BigInt(row.id);
      if (id <= after) {
        // A late commit in a gap the reader had already moved past.
        removeFrom(watched, id);
        events.push(toEvent(row));
        continue;
      }
      if (id > cursor + 1n) {
        const from = cursor + 1n;
        const to = id - 1n;
        const seenAt = Math.min(now, ...pending.filter((gap) => gap.from <= to && gap.to >= from).map((gap) => gap.seenAt));
        if (now - seenAt < this.settings.gapWaitMs) {
          held = { from, to, seenAt };
          break;
        }
        watched.push({ from, to, seenAt });
      }
      events.push(toEvent(row));
      cursor = id;
    }

    // Gaps ahead that this read did not reach (the batch was full) keep their age.
    const ahead = pending.filter((gap) => gap.from > (held ? held.to : cursor));
    const { kept, dropped } = this.capped(watched);
    abandonedGaps += dropped;
    return {
      events,
      position: { after: cursor.toString(), gaps: [...kept, ...(held ? [held] : []), ...ahead].map(serialize) },
      more: rows.length === limit && !held,
      retryInMs: held ? Math.max(1, this.settings.gapWaitMs - (now - held.seenAt)) : null,
      abandonedGaps,
    };
  }

  /**
   * How far behind `position` is: the age, in seconds, of the oldest committed event it has not
   * read (0 when it is level with the outbox).
   */
  async lagSeconds(em: EntityManager, position: OutboxPosition): Promise<number> {
    const gaps = position.gaps.map(parse).filter((gap) => gap.to <= BigInt(position.after));
    const [row] = await em.getConnection().execute<Array<{ lag: number | string | null }>>(
      `select extract(epoch from (now() - min(changed_at)))::float8 as lag from payment_event
        where id > ?${gaps.map(() => ' or id between ? and ?').join('')}`,
      [position.after, ...gaps.flatMap((gap) => [gap.from.toString(), gap.to.toString()])],
      'all',
      em.getTransactionContext(),
    );
    return Math.max(0, Number(row?.lag ?? 0));
  }

  /**
   * Committed events matching `filter`, in sequence order, after the sequence number `after`: for
   * a replay of the past read page by page (pass the last `seq` of a page as the next `after`).
   * Events still uncommitted are not there; a live reader started before hands them over.
   */
  async history(em: EntityManager, filter: OutboxHistoryFilter, after: string, limit: number): Promise<OutboxEvent[]> {
    const conditions = ['changed_at > ?', 'id > ?'];
    const params: unknown[] = [filter.since, after];
    if (filter.kind) {
      conditions.push('kind = ?');
      params.push(filter.kind);
    }
    if (filter.shopId != null) {
      conditions.push('shop_id = ?');
      params.push(filter.shopId);
    }
    if (filter.externalId != null) {
      conditions.push('external_id = ?');
      params.push(filter.externalId);
    }
    const rows = await em.getConnection().execute<EventRow[]>(
      `select ${EVENT_COLUMNS} from payment_event where ${conditions.join(' and ')} order by payment_event.id limit ?`,
      [...params, limit],
      'all',
      em.getTransactionContext(),
    );
    return rows.map(toEvent);
  }

  private capped(gaps: Gap[]): { kept: Gap[]; dropped: number } {
    if (gaps.length <= this.settings.maxGaps) return { kept: gaps.sort(bySequence), dropped: 0 };
    const newest = [...gaps].sort((a, b) => b.seenAt - a.seenAt).slice(0, this.settings.maxGaps);
    return { kept: newest.sort(bySequence), dropped: gaps.length - newest.length };
  }
}

export interface OutboxHistoryFilter {
  /** Only events committed with `changedAt` after this moment. */
  since: Date;
  kind?: OutboxEventKind;
  shopId?: number | null;
  externalId?: string | null;
}

/** A position as text, for a consumer that keeps it in a text column. */
export function encodePosition(position: OutboxPosition): string {
  return JSON.stringify(position);
}

/** The position `encodePosition` wrote. */
export function decodePosition(text: string): OutboxPosition {
  const parsed = JSON.parse(text) as OutboxPosition;
  return { after: String(parsed.after), gaps: (parsed.gaps ?? []).map((gap) => ({ from: String(gap.from), to: String(gap.to), seenAt: Number(gap.seenAt) })) };
}

/** Whether a reader at `position` has already read the event numbered `seq`. */
export function hasRead(position: OutboxPosition, seq: string): boolean {
  const id = BigInt(seq);
  if (id > BigInt(position.after)) return false;
  return !position.gaps.some((gap) => BigInt(gap.from) <= id && id <= BigInt(gap.to));
}

interface Gap {
  from: bigint;
  to: bigint;
  seenAt: number;
}

const parse = (gap: OutboxGap): Gap => ({ from: BigInt(gap.from), to: BigInt(gap.to), seenAt: gap.seenAt });
const serialize = (gap: Gap): OutboxGap => ({ from: gap.from.toString(), to: gap.to.toString(), seenAt: gap.seenAt });
const bySequence = (a: Gap, b: Gap) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0);

/** Takes a number that has appeared out of the watched gaps, splitting the gap that held it. */
function removeFrom(gaps: Gap[], id: bigint): void {
  const index = gaps.findIndex((gap) => gap.from <= id && id <= gap.to);
  if (index < 0) return;
  const gap = gaps[index];
  const parts: Gap[] = [];
  if (gap.from < id) parts.push({ ...gap, to: id - 1n });
  if (id < gap.to) parts.push({ ...gap, from: id + 1n });
  gaps.splice(index, 1, ...parts);
}

interface EventRow {
  id: string;
  kind: OutboxEventKind;
  payment_id: string;
  shop_id: number;
  external_id: string | null;
  refund_id: string | null;
  previous_status: string | null;
  status: string;
  changed_at: Date | string;
}

// Ids leave as text (bigint is wider than a JS number), so ORDER BY must name the table's column:
// a bare `id` would sort the text alias, and 10000 would come before 9999.
const EVENT_COLUMNS = 'id::text as id, kind, payment_id, shop_id, external_id, refund_id, previous_status, status, changed_at';

function toEvent(row: EventRow): OutboxEvent {
  const base = {
    seq: row.id,
    paymentId: row.payment_id,
    shopId: row.shop_id,
    externalId: row.external_id,
    changedAt: new Date(row.changed_at),
  };
  if (row.kind === OutboxEventKind.REFUND_STATUS_CHANGED) {
    return {
      ...base,
      kind: OutboxEventKind.REFUND_STATUS_CHANGED,
      refundId: row.refund_id!,
      previousStatus: row.previous_status as RefundStatus | null,
      status: row.status as RefundStatus,
    };
  }
  return {
    ...base,
    kind: OutboxEventKind.PAYMENT_STATUS_CHANGED,
    refundId: null,
    previousStatus: row.previous_status as PaymentStatus | null,
    status: row.status as PaymentStatus,
  };
}
