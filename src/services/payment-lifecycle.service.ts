import type { EntityManager } from '@mikro-orm/postgresql';
import { boundColumns, scalarValues } from '../db/bound-columns';
import { OutboxEventKind } from '../domain/outbox-event';
import { canTransition, isFinalStatus, PaymentStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { PaymentEvent } from '../entities/payment-event.entity';
import { LogOperation, PaymentLog } from '../entities/payment-log.entity';
import type { AuditChange, AuditService } from './audit.service';
import type { Origin } from './use-case-context';
import type { PaymentEventsService } from './payment-events.service';

/** The fields a new payment is recorded with; its status starts PENDING. */
export type NewPayment = Pick<
  Payment,
  'shopId' | 'provider' | 'organizationBin' | 'deviceToken' | 'amount' | 'method' | 'phoneMasked' | 'message' | 'callerId' | 'idempotencyKey' | 'requestHash'
>;

/**
 * The only writer of a payment's status. Every move is checked against the transition table and
 * written in the caller's transaction with its outbox event and its audit row, so that no status
 * changes without both.
 */
export class PaymentLifecycle {
  constructor(
    private readonly events: PaymentEventsService,
    private readonly audit: AuditService,
  ) {}

  /** Records a new payment, PENDING, with the audit row of the attempt. */
  open(tx: EntityManager, fields: NewPayment, origin: Origin): Payment {
    const payment = tx.create(Payment, { ...fields, requestId: origin.requestId } as Payment);
    tx.persist(payment);
    this.audit.payment(tx, payment, { operation: LogOperation.CREATE, amount: payment.amount, status: payment.status }, origin);
    return payment;
  }

  /**
   * {@link open} in one statement outside any transaction: the payment and the audit row of the
   * attempt are inserted together, all or nothing, and are durable when it returns, as a committed
   * unit of work would be, in one round trip instead of four. When `fields` carry an idempotency
   * key the caller has already used, nothing is written (the insert waits for a concurrent request
   * with that key to commit or roll back first) and null is returned: the caller replays the
   * earlier request.
   */
  async openAtOnce(em: EntityManager, fields: NewPayment, origin: Origin): Promise<Payment | null> {
    const payment = Object.assign(new Payment(), fields, { requestId: origin.requestId });
    const row = boundColumns(em, Payment, scalarValues(em, Payment, payment));
    const audit = boundColumns(
      em,
      PaymentLog,
      this.audit.paymentRow(em, payment, { operation: LogOperation.CREATE, amount: payment.amount, status: payment.status }, origin),
    );
    const inserted = await em.getConnection().execute<Array<{ id: string }>>(
      `with created as (
         insert into "payment" (${row.columns.join(', ')}) values (${row.columns.map(() => '?').join(', ')})
         on conflict ("shop_id", "idempotency_key") do nothing
         returning "id"
       )
       insert into "payment_log" (${audit.columns.join(', ')}) select ${audit.typedPlaceholders.join(', ')} from created returning "id"`,
      [...row.params, ...audit.params],
    );
    return inserted.length === 1 ? payment : null;
  }

  /**
   * Records what a payment's create call came back with, for a payment still PENDING as its
   * {@link openAtOnce} left it, in one statement outside any transaction: `changes` and the move to
   * `to` on the payment's row, the outbox event of the move and the audit row, all or nothing and
   * durable when it returns, in one round trip instead of seven. The update takes the payment's row
   * lock before the event is numbered, as {@link PaymentEventsService.recordChange} requires.
   *
   * @returns the payment as written, or null when nothing was written because the payment has left
   * PENDING meanwhile or the move is one the table refuses: the caller records it with
   * {@link record} in a transaction, which handles both.
   */
  async settleCreate(
    em: EntityManager,
    payment: Payment,
    changes: Partial<Payment>,
    to: PaymentStatus,
    change: AuditChange,
    origin: Origin,
    nextPollAt: (after: Payment) => Date | null,
  ): Promise<Payment | null> {
    if (payment.status !== PaymentStatus.PENDING || (to !== PaymentStatus.PENDING && !canTransition(PaymentStatus.PENDING, to))) return null;
    const after = Object.assign(new Payment(), payment, changes, { status: to, updatedAt: new Date() });
    if (isFinalStatus(to)) after.nextPollAt = null;
    after.nextPollAt = nextPollAt(after);
    const set = boundColumns(em, Payment, { ...changes, status: to, nextPollAt: after.nextPollAt, updatedAt: after.updatedAt });
    const audit = boundColumns(em, PaymentLog, this.audit.paymentRow(em, after, { status: after.status, ...change }, origin));
    const moved = to !== PaymentStatus.PENDING;
    const event = boundColumns(em, PaymentEvent, {
      kind: OutboxEventKind.PAYMENT_STATUS_CHANGED,
      paymentId: after.id,
      shopId: after.shopId,
      externalId: after.externalId,
      previousStatus: PaymentStatus.PENDING,
      status: to,
      changedAt: new Date(),
    });
    const written = await em.getConnection().execute<Array<{ id: string }>>(
      `with moved as (
         update "payment" set ${set.columns.map((column) => `${column} = ?`).join(', ')}
          where "id" = ? and "status" = ?
         returning "id"
       )${
         moved
           ? `, event as (insert into "payment_event" (${event.columns.join(', ')}) select ${event.typedPlaceholders.join(', ')} from moved)`
           : ''
       }
       insert into "payment_log" (${audit.columns.join(', ')}) select ${audit.typedPlaceholders.join(', ')} from moved returning "id"`,
      [...set.params, payment.id, PaymentStatus.PENDING, ...(moved ? event.params : []), ...audit.params],
    );
    return written.length === 1 ? after : null;
  }

  /**
   * Records an operation on a payment (the outcome of its create, a status check, a resolution)
   * with its audit row, and the move to `to` it led to, if any. The row's status is the payment's
   * after the move unless `change` names one.
   *
   * @returns whether the status changed.
   */
  async record(tx: EntityManager, payment: Payment, change: AuditChange, origin: Origin, to?: PaymentStatus): Promise<boolean> {
    const moved = to === undefined ? false : await this.move(tx, payment, to);
    this.audit.payment(tx, payment, { status: payment.status, ...change }, origin);
    return moved;
  }

  /**
   * Moves a payment to `to` on the gateway's own account (expiry, an interrupted request) and
   * writes the audit row of the move; a move that does not happen writes none.
   */
  async transition(tx: EntityManager, payment: Payment, to: PaymentStatus, change: AuditChange, origin: Origin): Promise<boolean> {
    if (!(await this.move(tx, payment, to))) return false;
    this.audit.payment(tx, payment, { status: payment.status, ...change }, origin);
    return true;
  }

  /**
   * A move the table forbids is not applied; it is kept on the payment as an anomaly for a human
   * to look at.
   */
  private async move(tx: EntityManager, payment: Payment, to: PaymentStatus): Promise<boolean> {
    const from = payment.status;
    if (from === to) return false;
    if (!canTransition(from, to)) {
      payment.anomaly = `refused transition ${from} -> ${to} at ${new Date().toISOString()}`;
      return false;
    }
    payment.status = to;
    if (isFinalStatus(to)) payment.nextPollAt = null;
    await this.events.recordChange(tx, payment, from);
    return true;
  }
}
