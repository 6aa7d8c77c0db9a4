import type { PaymentStatus } from './payment-status';
import type { RefundStatus } from './refund-status';

/** What an outbox event is about: its subject and which status of it changed. */
export enum OutboxEventKind {
  PAYMENT_STATUS_CHANGED = 'payment.status_changed',
  REFUND_STATUS_CHANGED = 'refund.status_changed',
}

interface OutboxEventBase {
  /**
   * The event's place in the outbox's sequence, as a decimal string: unique, and increasing from
   * one change of a payment (or of its refunds) to the next. It is also the event's public id.
   */
  seq: string;
  paymentId: string;
  shopId: number;
  externalId: string | null;
  changedAt: Date;
}

export interface PaymentStatusChangedEvent extends OutboxEventBase {
  kind: OutboxEventKind.PAYMENT_STATUS_CHANGED;
  refundId: null;
  previousStatus: PaymentStatus | null;
  status: PaymentStatus;
}

export interface RefundStatusChangedEvent extends OutboxEventBase {
  kind: OutboxEventKind.REFUND_STATUS_CHANGED;
  refundId: string;
  /** The refund's status before the change; null when the refund was just recorded. */
  previousStatus: RefundStatus | null;
  status: RefundStatus;
}

/** One committed change, as every reader of the outbox receives it. */
export type OutboxEvent = PaymentStatusChangedEvent | RefundStatusChangedEvent;
