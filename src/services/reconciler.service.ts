import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { PollingCadence } from '../config';
import { PaymentStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { LogOperation } from '../entities/payment-log.entity';
import { Refund } from '../entities/refund.entity';
import { RefundStatus } from '../domain/refund-status';
import { ErrorCode } from '../errors';
import type { Logger } from '../logger';
import { inTransaction } from './use-case-context';
import type { PaymentEventsService } from './payment-events.service';
import type { PaymentLifecycle } from './payment-lifecycle.service';
import type { PaymentStatusSyncService } from './payment-status-sync.service';
import type { RefundLifecycle } from './refund-lifecycle.service';
import type { RefundService } from './refund.service';
import { runLimited } from './limited-concurrency';
import { RepeatingPass } from './repeating-pass';

export interface ReconcilerSettings {
  tickMs: number;
  batchSize: number;
  concurrency: number;
  cadence: PollingCadence;
  /** A PENDING row older than this was left by a process that died mid-call. */
  pendingRecoveryMs: number;
  /**
   * How long a claimed payment is held by the instance that claimed it. Longer than one status
   * call, short enough that a dead instance's claims pass to another soon.
   */
  leaseMs: number;
}

const ACTOR = 'reconciler';
/** Status answers recorded per transaction. */
const CHUNK = 50;

/**
 * Learns what the provider knows without anyone asking: polls every payment that is not final on
 * the provider's cadence, and turns rows left PENDING by a crash into UNKNOWN (never FAILED, and
 * never sent again). Its schedule lives in the database (`next_poll_at`), so it survives restarts,
 * and due payments are claimed with `FOR UPDATE SKIP LOCKED` plus a lease, so that several
 * instances share the work without polling one payment twice.
 */
export class ReconcilerService {
  /** Passes every tick; a full batch means more is due, so the next pass goes at once instead of idling a tick behind. */
  private readonly passes = new RepeatingPass(
    async () => ((await this.tick()) >= this.settings.batchSize ? 0 : this.settings.tickMs),
    () => this.settings.tickMs,
    (error) => this.logger.error({ err: error }, 'reconciler pass failed'),
  );
  private lastRefundSweepAt = 0;
  lastTickAt: Date | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly statusSync: PaymentStatusSyncService,
    private readonly refunds: RefundService,
    private readonly paymentLifecycle: PaymentLifecycle,
    private readonly refundLifecycle: RefundLifecycle,
    private readonly events: PaymentEventsService,
    private readonly settings: ReconcilerSettings,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.passes.start(this.settings.tickMs);
  }

  /** Lets the batch in hand finish, then stops. */
  async stop(): Promise<void> {
    await this.passes.stop();
  }

  /** One pass: recover interrupted rows, then poll what is due. Returns how many payments it asked about. */
  async tick(): Promise<number> {
    await this.recoverInterruptedPayments();
    await this.recoverInterruptedRefunds();
    const due = await this.claimDuePayments();
    const chunks: string[][] = [];
    for (let start = 0; start < due.length; start += CHUNK) chunks.push(due.slice(start, start + CHUNK));
    // Two chunks in flight: one waits on Kaspi while the other writes its answers.
    await runLimited(chunks, 2, (chunk) =>
      this.statusSync
        .checkStatuses(this.em, chunk, () => ({ actor: ACTOR, requestId: randomUUID() }), this.settings.concurrency)
        .catch((error) => this.logger.error({ err: error, payments: chunk.length }, 'status checks failed')),
    );
    await this.sweepUnknownRefunds();
    this.lastTickAt = new Date();
    return due.length;
  }

  private async claimDuePayments(): Promise<string[]> {
    const rows = await this.em.fork().getConnection().execute<{ id: string }[]>(
      `update payment set next_poll_at = now() + (? * interval '1 millisecond'), last_polled_at = now()
        where id in (
          select id from payment
           where next_poll_at is not null and next_poll_at <= now()
             and status in (?, ?, ?)
             and (last_polled_at is null or last_polled_at <= now() - (? * interval '1 millisecond'))
           order by next_poll_at
           limit ?
           for update skip locked)
        returning id`,
      [
        this.settings.leaseMs,
        PaymentStatus.PENDING,
        PaymentStatus.WAITING,
        PaymentStatus.UNKNOWN,
        this.settings.cadence.minIntervalMs,
        this.settings.batchSize,
      ],
    );
    return rows.map((row) => row.id);
  }

  /** Asks the provider, where it can tell, what became of refunds whose outcome is unknown. */
  private async sweepUnknownRefunds(): Promise<void> {
    const interval = this.settings.cadence.minIntervalMs * 6;
    if (Date.now() - this.lastRefundSweepAt < interval) return;
    this.lastRefundSweepAt = Date.now();
    const rows = await this.em.fork().getConnection().execute<{ payment_id: string }[]>(
      `select distinct payment_id from refund where status = ? and updated_at < now() - (? * interval '1 millisecond') limit ?`,
      [RefundStatus.UNKNOWN, this.settings.cadence.minIntervalMs, this.settings.batchSize],
    );
    await runLimited(rows, this.settings.concurrency, (row) =>
      this.settleUnknownRefunds(row.payment_id).catch((error) => {
        this.logger.error({ err: error, paymentId: row.payment_id }, 'refund reconciliation failed');
      }),
    );
  }

  /** From what the provider can tell of the payment's refunds, or else by asking again under the same operation id. */
  private async settleUnknownRefunds(paymentId: string): Promise<void> {
    const origin = { actor: ACTOR, requestId: randomUUID() };
    if ((await this.refunds.reconcileUnknownRefunds(this.em, paymentId, origin)) > 0) return;
    await this.refunds.replayUnknownRefunds(this.em, paymentId, origin);
  }

  private async recoverInterruptedPayments(): Promise<void> {
    await inTransaction(this.em, async (tx) => {
      const stale = await tx.find(
        Payment,
        { status: PaymentStatus.PENDING, createdAt: { $lt: new Date(Date.now() - this.settings.pendingRecoveryMs) } },
        { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE, limit: this.settings.batchSize },
      );
      for (const payment of stale) {
        payment.errorCode = ErrorCode.PROVIDER_UNAVAILABLE;
        payment.errorMessage = 'the request was interrupted before the provider answered; whether the invoice exists is not known';
        const moved = await this.paymentLifecycle.transition(
          tx,
          payment,
          PaymentStatus.UNKNOWN,
          { operation: LogOperation.CREATE, amount: payment.amount, errorCode: payment.errorCode, errorMessage: payment.errorMessage },
          { actor: ACTOR, requestId: payment.requestId },
        );
        if (moved) {
          payment.nextPollAt = this.statusSync.nextCheckAt(payment);
          this.logger.warn({ paymentId: payment.id }, 'interrupted payment marked UNKNOWN');
        }
      }
    });
    this.events.wake();
  }

  private async recoverInterruptedRefunds(): Promise<void> {
    await inTransaction(this.em, async (tx) => {
      // The payment's row lock comes with the refund's, as for every writer of its events; skipping
      // what another writer holds keeps the two locks from being taken in opposite orders.
      const claimed = await tx.getConnection().execute<Array<{ id: string }>>(
        `select r.id from refund r join payment p on p.id = r.payment_id
          where r.status = ? and r.created_at < ?
          limit ? for no key update of r, p skip locked`,
        [RefundStatus.PENDING, new Date(Date.now() - this.settings.pendingRecoveryMs), this.settings.batchSize],
        'all',
        tx.getTransactionContext(),
      );
      const stale = claimed.length === 0 ? [] : await tx.find(Refund, { id: { $in: claimed.map((row) => row.id) } }, { populate: ['payment'] });
      for (const refund of stale) {
        const move = {
          to: RefundStatus.UNKNOWN,
          errorCode: ErrorCode.PROVIDER_UNAVAILABLE,
          errorMessage: 'the request was interrupted before the provider answered; the amount stays reserved',
        };
        await this.refundLifecycle.transition(
          tx,
          refund,
          refund.payment,
          move,
          { operation: LogOperation.REFUND, errorCode: move.errorCode, errorMessage: move.errorMessage },
          { actor: ACTOR, requestId: refund.requestId },
        );
      }
    });
    this.events.wake();
  }
}
