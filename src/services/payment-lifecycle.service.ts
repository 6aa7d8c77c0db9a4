import type { EntityManager } from '@mikro-orm/postgresql';
import { canTransition, isFinalStatus, type PaymentStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { LogOperation } from '../entities/payment-log.entity';
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
