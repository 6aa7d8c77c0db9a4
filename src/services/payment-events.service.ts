import { createPubSub, Repeater } from '@graphql-yoga/subscription';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import { PaymentStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { PaymentEvent } from '../entities/payment-event.entity';
import type { OutboxNotifier } from './outbox-notifier';

/** A committed status change, as subscribers receive it. */
export interface StatusChange {
  eventId: bigint;
  payment: Payment;
  previousStatus: PaymentStatus | null;
  status: PaymentStatus;
  changedAt: Date;
}

export interface StatusChangeFilter {
  externalId?: string | null;
  shopId?: number | null;
}

type Topics = Record<string, [StatusChange]>;

/** A place in the outbox, as a reader keeps it; opaque outside this service. */
export type OutboxPosition = string;

/** One committed event, as the outbox reader hands it to a consumer. */
export interface OutboxRecord {
  eventId: string;
  paymentId: string;
  previousStatus: PaymentStatus | null;
  status: PaymentStatus;
  changedAt: Date;
}

const INITIAL_POSITION: OutboxPosition = '0:0';

const TAIL_BATCH = 1_000;
const REPLAY_LIMIT = 10_000;

/**
 * The transactional outbox of status changes. A change and its event are written in one
 * transaction ({@link recordChange}); every gateway process tails the event table and hands what
 * it finds to its own subscribers. A process that dies between the commit and the publish loses
 * nothing: the event is in the table, and a client that reconnects with `since` replays it.
 */
export class PaymentEventsService {
  private readonly pubsub = createPubSub<Topics>();
  /** The position of the last event handed to subscribers. */
  private cursor: OutboxPosition = INITIAL_POSITION;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private tailing: Promise<void> | null = null;
  private wakeRequested = false;

  constructor(
    private readonly em: EntityManager,
    private readonly pollMs: number,
    private readonly logger: Logger,
    private readonly notifier: OutboxNotifier | null = null,
  ) {
    notifier?.onNotify(() => this.wakeLocal());
  }

  /**
   * Writes the event for a status change into the transaction `tx`, which must also hold the
   * change itself: both commit, or neither.
   */
  async recordChange(tx: EntityManager, payment: Payment, previousStatus: PaymentStatus | null): Promise<void> {
    const event = tx.create(PaymentEvent, {
      paymentId: payment.id,
      shopId: payment.shopId,
      externalId: payment.externalId,
      previousStatus,
      status: payment.status,
      changedAt: new Date(),
    } as PaymentEvent);
    tx.persist(event);
  }

  /** Starts tailing from the newest event: live subscribers see what is committed from now on. */
  async start(): Promise<void> {
    this.cursor = await this.headPosition(this.em.fork());
    this.running = true;
    this.schedule(this.pollMs);
  }

  /**
   * The reader API for consumers that keep their own cursor (webhook deliveries): the position
   * after every event committed so far.
   */
  async headPosition(em: EntityManager): Promise<OutboxPosition> {
    const [newest] = await em.execute<Array<{ tx_id: string; id: string }>>(
      `select tx_id::text as tx_id, id::text as id from payment_event
        where tx_id < pg_snapshot_xmin(pg_current_snapshot())
        order by tx_id desc, id desc limit 1`,
    );
    return newest ? `${newest.tx_id}:${newest.id}` : INITIAL_POSITION;
  }

  /**
   * Events committed after `position`, in commit order and never skipping one whose transaction
   * commits late, at most `limit`; and the position after them. Runs in `em`'s transaction when it
   * has one.
   */
  async readAfter(em: EntityManager, position: OutboxPosition, limit: number): Promise<{ records: OutboxRecord[]; position: OutboxPosition }> {
    const [txId, id] = position.split(':');
    const rows = await em.execute<EventRow[]>(
      `select ${EVENT_COLUMNS} from payment_event
        where (tx_id, id) > (?::xid8, ?::bigint)
          and tx_id < pg_snapshot_xmin(pg_current_snapshot())
        order by tx_id, id limit ?`,
      [txId, id, limit],
    );
    if (rows.length === 0) return { records: [], position };
    const last = rows[rows.length - 1];
    return {
      records: rows.map((row) => ({
        eventId: row.id,
        paymentId: row.payment_id,
        previousStatus: row.previous_status,
        status: row.status,
        changedAt: new Date(row.changed_at),
      })),
      position: `${last.tx_id}:${last.id}`,
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tailing;
    await this.drain();
    await this.notifier?.close();
  }

  /**
   * Called after a commit that wrote events, so that subscribers, here and on the other instances,
   * do not wait for the next poll.
   */
  wake(): void {
    this.notifier?.notify();
    this.wakeLocal();
  }

  private wakeLocal(): void {
    if (!this.running) return;
    if (this.tailing) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** Delivers everything committed so far; for shutdown and for tests that need a settled state. */
  async drain(): Promise<void> {
    while ((await this.tailOnce()) === TAIL_BATCH) {
      // keep going until a short batch says we are level with the table
    }
  }

  /**
   * Status changes matching `filter`: first every change committed after `since` (when given),
   * then live ones, each exactly once.
   */
  subscribe(filter: StatusChangeFilter, since: Date | null): AsyncIterable<StatusChange> {
    const topic = topicFor(filter);
    const live = this.pubsub.subscribe(topic);
    const matches = (change: StatusChange) =>
      (filter.shopId == null || change.payment.shopId === filter.shopId) &&
      (filter.externalId == null || change.payment.externalId === filter.externalId);

    return new Repeater<StatusChange>(async (push, stop) => {
      const iterator = live[Symbol.asyncIterator]();
      stop.then(() => iterator.return?.());
      // The live listener is registered by the first next(): ask for it before the replay query,
      // so that nothing committed while the replay runs can fall between the two.
      let pending = iterator.next();
      const replayed = new Set<bigint>();
      try {
        if (since) {
          for (const change of await this.replay(filter, since)) {
            replayed.add(change.eventId);
            await push(change);
          }
        }
        for (;;) {
          const next = await pending;
          if (next.done) break;
          pending = iterator.next();
          const change = next.value;
          if (replayed.has(change.eventId) || !matches(change)) continue;
          await push(change);
        }
      } catch (error) {
        stop(error);
        return;
      }
      stop();
    });
  }

  private async replay(filter: StatusChangeFilter, since: Date): Promise<StatusChange[]> {
    const conditions = ['changed_at > ?'];
    const params: unknown[] = [since];
    if (filter.shopId != null) {
      conditions.push('shop_id = ?');
      params.push(filter.shopId);
    }
    if (filter.externalId != null) {
      conditions.push('external_id = ?');
      params.push(filter.externalId);
    }
    const em = this.em.fork();
    const rows = await em.getConnection().execute<EventRow[]>(
      `select ${EVENT_COLUMNS} from payment_event where ${conditions.join(' and ')}
        and tx_id < pg_snapshot_xmin(pg_current_snapshot())
        order by tx_id, id limit ?`,
      [...params, REPLAY_LIMIT],
    );
    return this.withPayments(
      em,
      rows.map((row) => ({ eventId: row.id, paymentId: row.payment_id, previousStatus: row.previous_status, status: row.status, changedAt: new Date(row.changed_at) })),
    );
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tailing = this.tailOnce()
        .then(() => undefined)
        .catch((error) => this.logger.error({ err: error }, 'outbox tail failed'))
        .finally(() => {
          this.tailing = null;
          if (!this.running) return;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 0 : this.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async tailOnce(): Promise<number> {
    const em = this.em.fork();
    const { records, position } = await this.readAfter(em, this.cursor, TAIL_BATCH);
    if (records.length === 0) return 0;
    const changes = await this.withPayments(em, records);
    this.cursor = position;
    for (const change of changes) {
      this.pubsub.publish(ALL_TOPIC, change);
      this.pubsub.publish(shopTopic(change.payment.shopId), change);
      if (change.payment.externalId) this.pubsub.publish(externalTopic(change.payment.externalId), change);
    }
    return records.length;
  }

  private async withPayments(em: EntityManager, records: OutboxRecord[]): Promise<StatusChange[]> {
    if (records.length === 0) return [];
    const ids = [...new Set(records.map((record) => record.paymentId))];
    const payments = await em.find(Payment, { id: { $in: ids } }, { populate: ['refunds'] });
    const byId = new Map(payments.map((payment) => [payment.id, payment]));
    return records.flatMap((record) => {
      const payment = byId.get(record.paymentId);
      if (!payment) return [];
      return [{ eventId: BigInt(record.eventId), payment, previousStatus: record.previousStatus, status: record.status, changedAt: record.changedAt }];
    });
  }
}

interface EventRow {
  id: string;
  tx_id: string;
  payment_id: string;
  previous_status: PaymentStatus | null;
  status: PaymentStatus;
  changed_at: Date | string;
}

const EVENT_COLUMNS = 'id::text as id, tx_id::text as tx_id, payment_id, previous_status, status, changed_at';

const ALL_TOPIC = 'status';
const shopTopic = (shopId: number) => `status:shop:${shopId}`;
const externalTopic = (externalId: string) => `status:external:${externalId}`;

function topicFor(filter: StatusChangeFilter): string {
  if (filter.externalId != null) return externalTopic(filter.externalId);
  if (filter.shopId != null) return shopTopic(filter.shopId);
  return ALL_TOPIC;
}
