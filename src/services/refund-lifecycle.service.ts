import type { EntityManager } from '@mikro-orm/postgresql';
import type { Tiyn } from '../domain/money';
import { canRefundTransition, isFinalRefundStatus, RefundStatus } from '../domain/refund-status';
import { LogOperation } from '../entities/payment-log.entity';
import type { Payment } from '../entities/payment.entity';
import { Refund } from '../entities/refund.entity';
import type { UserError } from '../errors';
import type { AuditChange, AuditService } from './audit.service';
import type { Origin } from './use-case-context';
import type { PaymentEventsService } from './payment-events.service';

/** The fields a new refund is recorded with; it starts PENDING, its amount reserved. */
export type NewRefund = Pick<Refund, 'amount' | 'callerId' | 'idempotencyKey' | 'requestHash'>;

/**
 * A refund's move to another status, with what it learned on the way. A field left out keeps its
 * value; `null` clears it.
 */
export interface RefundMove {
  to: RefundStatus;
  errorCode?: string | null;
  errorMessage?: string | null;
  providerCode?: string | null;
  returnOperationId?: string | null;
}

/**
 * The only writer of a refund's status and of its payment's refunded amount. Every move is
 * checked against the refund transition table and written in the caller's transaction with its
 * outbox event and its audit row. Callers wake the outbox after the commit.
 */
export class RefundLifecycle {
  constructor(
    private readonly events: PaymentEventsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Records a new refund of `payment`, PENDING, which reserves its amount from then on. The caller
   * has checked it against `refundableAmount` under the payment's row lock. `reason`, why the money
   * goes back, is kept in the audit row.
   */
  async open(tx: EntityManager, payment: Payment, fields: NewRefund, reason: string | null, origin: Origin): Promise<Refund> {
    const refund = tx.create(Refund, { ...fields, payment, shopId: payment.shopId, requestId: origin.requestId } as Refund);
    tx.persist(refund);
    await this.events.recordRefundChange(tx, refund, payment, null);
    this.audit.refund(tx, payment, refund, { operation: LogOperation.REFUND, details: reason ? { reason } : null }, origin);
    return refund;
  }

  /** Records a refund request refused before it became a refund: nothing is reserved. */
  refuse(tx: EntityManager, payment: Payment, amount: Tiyn, error: UserError, origin: Origin): void {
    this.audit.refund(
      tx,
      payment,
      null,
      { operation: LogOperation.REFUND, amount, status: RefundStatus.FAILED, errorCode: error.code, errorMessage: error.message },
      origin,
    );
  }

  /**
   * Applies `move` where the table allows it (an UNKNOWN refund told again that its outcome is
   * unknown takes the new details; a settled refund keeps its outcome) and writes the audit row of
   * the operation either way, with the refund's status after it. A refund that enters SUCCEEDED
   * counts toward its payment's refunded amount.
   *
   * @returns whether the status changed.
   */
  async transition(tx: EntityManager, refund: Refund, payment: Payment, move: RefundMove, change: AuditChange, origin: Origin): Promise<boolean> {
    const from = refund.status;
    const applies = canRefundTransition(from, move.to) || (from === move.to && !isFinalRefundStatus(from));
    if (applies) {
      if (move.errorCode !== undefined) refund.errorCode = move.errorCode;
      if (move.errorMessage !== undefined) refund.errorMessage = move.errorMessage?.slice(0, 500) ?? null;
      if (move.providerCode !== undefined) refund.providerCode = move.providerCode;
      if (move.returnOperationId !== undefined) refund.returnOperationId = move.returnOperationId;
      refund.status = move.to;
      if (move.to === RefundStatus.SUCCEEDED && from !== RefundStatus.SUCCEEDED) payment.refundedAmount += refund.amount;
    }
    const moved = applies && from !== move.to;
    if (moved) await this.events.recordRefundChange(tx, refund, payment, from);
    this.audit.refund(tx, payment, refund, change, origin);
    return moved;
  }
}
