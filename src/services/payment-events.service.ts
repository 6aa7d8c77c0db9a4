import { createPubSub, Repeater } from '@graphql-yoga/subscription';
import type { EntityManager } from '@mikro-orm/postgresql';
import { GraphQLError } from 'graphql';
import type { Logger } from '../logger';
import { InputCheck } from './input-check';
import { OutboxEventKind, type OutboxEvent, type PaymentStatusChangedEvent } from '../domain/outbox-event';
import type { PaymentStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { PaymentEvent } from '../entities/payment-event.entity';
import type { RefundStatus } from '../domain/refund-status';
import type { Refund } from '../entities/refund.entity';
import type { OutboxNotifier } from './outbox-notifier';
import { hasRead, OutboxReader, type OutboxPosition } from './outbox-reader';
import { RepeatingPass } from './repeating-pass';

/** A committed status change, as subscribers receive it. */
export interface StatusChange {
  eventId: bigint;
  payment: Payment;
  previousStatus: PaymentStatus | null;
  status: PaymentStatus;
  changedAt: Date;
  /** Set on the last change of a replay that stopped before reaching the live changes. */
  replayCutShort?: boolean;
}

export interface StatusChangeFilter {
  externalId?: string | null;
  shopId?: number | null;
}

/** Why a replay may stop early: the caller's budget said no, with when to come back. */
export type ReplayCharge = (events: number) => Promise<{ retryAfterSeconds: number } | null>;

export interface PaymentEventsSettings {
  /** How often the tail reads the outbox when nothing wakes it. */
  pollMs: number;
  /** How far back `since` may reach. */
  replayWindowMs: number;
  /** Most changes one subscription replays before it is cut short. */
  replayMaxEvents: number;
}

type Topics = Record<string, [StatusChange]>;

const TAIL_BATCH = 500;
/** Changes read per page of a replay; each page is charged before it is read. */
export const REPLAY_PAGE = 100;

/**
 * The transactional outbox of status changes. A change and its event are written in one
 * transaction ({@link recordChange}, {@link recordRefundChange}); every gateway process tails the
 * event table through an {@link OutboxReader} and hands payment changes to its own subscribers. A
 * process that dies between the commit and the publish loses nothing: the event is in the table,
 * and a client that reconnects with `since` replays it.
 */
export class PaymentEventsService {
  /** The reader every consumer of the outbox uses, each with a position of its own. */
  readonly reader = new OutboxReader();
  private readonly pubsub = createPubSub<Topics>();
  private readonly wakeListeners: Array<() => void> = [];
  private position: OutboxPosition = { after: '0', gaps: [] };
  /** Live subscriptions on this instance; with none, the tail has nobody to load payments for. */
  private liveSubscriptions = 0;
  /** The tail: again at once while batches come full, sooner than the poll while a gap is watched. */
  private readonly tail = new RepeatingPass(
    async () => {
      const batch = await this.tailOnce();
      if (batch.more) return 0;
      return Math.min(this.settings.pollMs, batch.retryInMs ?? Infinity);
    },
    () => this.settings.pollMs,
    (error) => this.logger.error({ err: error }, 'outbox tail failed'),
  );

  constructor(
    private readonly em: EntityManager,
    private readonly settings: PaymentEventsSettings,
    private readonly logger: Logger,
    private readonly notifier: OutboxNotifier | null = null,
  ) {
    notifier?.onNotify(() => this.wakeLocal());
  }

  /**
   * Writes the event for a payment's status change into the transaction `tx`, which must also hold
   * the change itself: both commit, or neither. Takes the payment's row lock (a no-op when `tx`
   * holds it already), so that its events are numbered in the order they commit.
   */
  async recordChange(tx: EntityManager, payment: Payment, previousStatus: PaymentStatus | null): Promise<void> {
    await holdRowLock(tx, payment.id);
    tx.persist(
      tx.create(PaymentEvent, {
        kind: OutboxEventKind.PAYMENT_STATUS_CHANGED,
        paymentId: payment.id,
        shopId: payment.shopId,
        externalId: payment.externalId,
        previousStatus,
        status: payment.status,
        changedAt: new Date(),
      } as PaymentEvent),
    );
  }

  /**
   * Writes the event for a refund's status change (`previous` is null for a refund just recorded)
   * into the transaction `tx` that holds the change, under the payment's row lock like
   * {@link recordChange}. Refund events go to the outbox's readers (webhooks), not to
   * `paymentStatusChanged` subscribers.
   */
  async recordRefundChange(tx: EntityManager, refund: Refund, payment: Payment, previous: RefundStatus | null): Promise<void> {
    await holdRowLock(tx, payment.id);
    tx.persist(
      tx.create(PaymentEvent, {
        kind: OutboxEventKind.REFUND_STATUS_CHANGED,
        paymentId: payment.id,
        shopId: payment.shopId,
        externalId: payment.externalId,
        refundId: refund.id,
        previousStatus: previous,
        status: refund.status,
        changedAt: new Date(),
      } as PaymentEvent),
    );
  }

  /** Starts tailing from the newest event: live subscribers see what is committed from now on. */
  async start(): Promise<void> {
    this.position = await this.reader.head(this.em.fork());
    this.tail.start(this.settings.pollMs);
  }

  async stop(): Promise<void> {
    await this.tail.stop();
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

  /**
   * Calls `listener` whenever events may have been committed, by this instance or (through the
   * notifier) another one: a consumer with a reader of its own reads then instead of polling fast.
   * A wake-up may be lost; a consumer still reads now and then.
   *
   * @returns a function that stops the calls.
   */
  onWake(listener: () => void): () => void {
    this.wakeListeners.push(listener);
    return () => {
      const index = this.wakeListeners.indexOf(listener);
      if (index >= 0) this.wakeListeners.splice(index, 1);
    };
  }

  /** The age in seconds of the oldest committed event this instance's subscribers have not been handed. */
  lagSeconds(): Promise<number> {
    return this.reader.lagSeconds(this.em.fork(), this.position);
  }

  /** Gaps in the sequence this instance is still watching for a late commit. */
  openGaps(): number {
    return this.position.gaps.length;
  }

  private wakeLocal(): void {
    for (const listener of this.wakeListeners) listener();
    this.tail.wake();
  }

  /** Delivers everything committed so far; for shutdown and for tests that need a settled state. */
  async drain(): Promise<void> {
    while ((await this.tailOnce()).more) {
      // keep going until a short batch says we are level with the table
    }
  }

  /**
   * Status changes matching `filter`: first every change committed after `since` (when given),
   * then live ones, each exactly once. The replay is read in pages of {@link REPLAY_PAGE}, each
   * charged through `charge` before it is read; when the charge is refused or the replay reaches
   * `replayMaxEvents`, its last change says `replayCutShort` and the subscription ends with a
   * REPLAY_CUT_SHORT error saying from where to resume.
   *
   * @throws GraphQLError BAD_INPUT when `since` is further back than the replay window.
   */
  subscribe(filter: StatusChangeFilter, since: Date | null, charge: ReplayCharge | null = null): AsyncIterable<StatusChange> {
    if (since) this.checkSince(since);
    checkFilter(filter);
    const topic = topicFor(filter);
    const live = this.pubsub.subscribe(topic);
    const matches = (change: StatusChange) =>
      (filter.shopId == null || change.payment.shopId === filter.shopId) &&
      (filter.externalId == null || change.payment.externalId === filter.externalId);

    return new Repeater<StatusChange>(async (push, stop) => {
      const iterator = live[Symbol.asyncIterator]();
      stop.then(() => iterator.return?.());
      // The live listener is registered by the first next(): ask for it before the replay query,
      // so that nothing committed while the replay runs can fall between the two. From then on,
      // live hands over every event the tail has not read yet.
      let pending = iterator.next();
      const liveFrom = this.position;
      this.liveSubscriptions += 1;
      // Only replayed events the live side may still hand over need remembering.
      const replayed = new Set<bigint>();
      try {
        if (since) {
          const cut = await this.replay(filter, since, charge, async (change) => {
            if (!hasRead(liveFrom, change.eventId.toString())) replayed.add(change.eventId);
            await push(change);
          });
          if (cut) {
            stop(cut);
            return;
          }
        }
        for (;;) {
          const next = await pending;
          if (next.done) break;
          pending = iterator.next();
          const change = next.value;
          if (!matches(change)) continue;
          if (replayed.delete(change.eventId)) continue;
          await push(change);
        }
      } catch (error) {
        stop(error);
        return;
      } finally {
        this.liveSubscriptions -= 1;
      }
      stop();
    });
  }

  private checkSince(since: Date): void {
    const oldest = Date.now() - this.settings.replayWindowMs;
    if (Number.isNaN(since.getTime()) || since.getTime() < oldest) {
      throw new GraphQLError(
        `since may reach back at most ${describeWindow(this.settings.replayWindowMs)} (to ${new Date(oldest).toISOString()}); ` +
          'read older changes from the payments and the audit log',
        { extensions: { code: 'BAD_INPUT', field: ['since'] } },
      );
    }
  }

  /**
   * Replays the matching payment changes committed after `since`, page by page, each page charged
   * first and read on a fresh fork so that little is held between pages.
   *
   * @returns the error that ends the subscription when the replay was cut short, else null.
   */
  private async replay(
    filter: StatusChangeFilter,
    since: Date,
    charge: ReplayCharge | null,
    emit: (change: StatusChange) => Promise<void>,
  ): Promise<GraphQLError | null> {
    let after = '0';
    let sent = 0;
    // The last change of a page is held until it is known whether the replay goes on.
    let held: StatusChange | null = null;
    const cutShort = async (reason: string, retryAfterSeconds: number | null): Promise<GraphQLError> => {
      if (held) await emit({ ...held, replayCutShort: true });
      const resumeSince = held?.changedAt.toISOString() ?? since.toISOString();
      return new GraphQLError(
        `the replay stopped after ${sent} changes (${reason}); subscribe again with since: "${resumeSince}"` +
          (retryAfterSeconds ? ` in ${retryAfterSeconds} s` : '') +
          ' for the rest',
        { extensions: { code: 'REPLAY_CUT_SHORT', resumeSince, ...(retryAfterSeconds ? { retryAfter: retryAfterSeconds } : {}) } },
      );
    };
    for (;;) {
      if (sent >= this.settings.replayMaxEvents) return cutShort(`at most ${this.settings.replayMaxEvents} are replayed at once`, null);
      const refusal = charge ? await charge(REPLAY_PAGE) : null;
      if (refusal) return cutShort("this API key's read budget is spent", refusal.retryAfterSeconds);
      const em = this.em.fork();
      const page = Math.min(REPLAY_PAGE, this.settings.replayMaxEvents - sent);
      const events = await this.reader.history(em, { ...filter, since, kind: OutboxEventKind.PAYMENT_STATUS_CHANGED }, after, page);
      const changes = await this.withPayments(em, events.filter(isPaymentChange));
      for (const change of changes) {
        if (held) await emit(held);
        held = change;
        sent += 1;
      }
      if (events.length < page) break;
      after = events[events.length - 1].seq;
      // Let requests and other subscriptions have the event loop between pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (held) await emit(held);
    return null;
  }

  private async tailOnce(): Promise<{ more: boolean; retryInMs: number | null }> {
    const em = this.em.fork();
    const batch = await this.reader.read(em, this.position, { limit: TAIL_BATCH });
    if (batch.abandonedGaps > 0) {
      this.logger.warn({ gaps: batch.abandonedGaps }, 'outbox gaps never filled within the window; given up');
    }
    // Only subscribers need the payments. One that registers after this check takes the position
    // below, set without an await in between, so it never expects these changes.
    const changes = this.liveSubscriptions > 0 ? await this.withPayments(em, batch.events.filter(isPaymentChange)) : [];
    // No await from here on: a subscriber registering now sees either the old position and these
    // changes, or the new position and not them.
    this.position = batch.position;
    for (const change of changes) {
      this.pubsub.publish(ALL_TOPIC, change);
      this.pubsub.publish(shopTopic(change.payment.shopId), change);
      if (change.payment.externalId) this.pubsub.publish(externalTopic(change.payment.externalId), change);
    }
    return batch;
  }

  private async withPayments(em: EntityManager, events: PaymentStatusChangedEvent[]): Promise<StatusChange[]> {
    if (events.length === 0) return [];
    const ids = [...new Set(events.map((event) => event.paymentId))];
    const payments = await em.find(Payment, { id: { $in: ids } }, { populate: ['refunds'] });
    const byId = new Map(payments.map((payment) => [payment.id, payment]));
    return events.flatMap((event) => {
      const payment = byId.get(event.paymentId);
      if (!payment) return [];
      return [{ eventId: BigInt(event.seq), payment, previousStatus: event.previousStatus, status: event.status, changedAt: event.changedAt }];
    });
  }
}

/**
 * Takes the payment's row lock in `tx` before its event is numbered. Every writer of a payment's
 * statuses already holds it (the lock is re-entrant, so this costs a round trip); a payment that
 * `tx` is creating has no row yet, and nobody else can write its events.
 */
async function holdRowLock(tx: EntityManager, paymentId: string): Promise<void> {
  await tx.getConnection().execute(`select 1 from payment where id = ? for no key update`, [paymentId], 'all', tx.getTransactionContext());
}

function isPaymentChange(event: OutboxEvent): event is PaymentStatusChangedEvent {
  return event.kind === OutboxEventKind.PAYMENT_STATUS_CHANGED;
}

function describeWindow(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 24 && hours % 24 === 0 ? `${hours / 24} days` : `${Math.round(ms / 60_000)} minutes`;
}

const ALL_TOPIC = 'status';
const shopTopic = (shopId: number) => `status:shop:${shopId}`;
/** A provider id in the filter is checked like any other: a NUL byte or half a surrogate pair would otherwise reach SQL. */
function checkFilter(filter: StatusChangeFilter): void {
  if (filter.externalId == null) return;
  const check = new InputCheck();
  check.externalId(filter.externalId, ['externalId']);
  const [error] = check.errors;
  if (error) throw new GraphQLError(error.message, { extensions: { code: error.code, field: error.field } });
}

const externalTopic = (externalId: string) => `status:external:${externalId}`;

function topicFor(filter: StatusChangeFilter): string {
  if (filter.externalId != null) return externalTopic(filter.externalId);
  if (filter.shopId != null) return shopTopic(filter.shopId);
  return ALL_TOPIC;
}
