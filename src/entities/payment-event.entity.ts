import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { OutboxEventKind } from '../domain/outbox-event';
import { PaymentStatus } from '../domain/payment-status';
import { RefundStatus } from '../domain/refund-status';

/** Every status an event may carry: a payment's or, for a refund event, the refund's. */
const EVENT_STATUSES = [...new Set<string>([...Object.values(PaymentStatus), ...Object.values(RefundStatus)])];

/**
 * The outbox: one row per status change of a payment or of one of its refunds, written in the
 * same transaction as the change itself, then read by every consumer (live subscriptions, webhook
 * deliveries) through `OutboxReader`.
 */
@Entity({ tableName: 'payment_event' })
@Index({ properties: ['changedAt'] })
export class PaymentEvent {
  /**
   * The event's place in the outbox, taken from a sequence when the row is inserted. Writers of a
   * payment's events hold the payment's row lock when they insert, so one payment's events are
   * numbered in the order they commit; events of different payments may commit out of order,
   * which readers handle as gaps (see `OutboxReader`).
   */
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Enum({ items: () => OutboxEventKind, type: 'string', length: 32, default: OutboxEventKind.PAYMENT_STATUS_CHANGED })
  kind: OutboxEventKind = OutboxEventKind.PAYMENT_STATUS_CHANGED;

  @Property({ type: 'uuid' })
  paymentId!: string;

  @Property({ type: 'integer' })
  shopId!: number;

  @Property({ type: 'string', length: 64, nullable: true })
  externalId: string | null = null;

  /** The refund whose status changed, for a refund event. */
  @Property({ type: 'uuid', nullable: true })
  refundId: string | null = null;

  /** The subject's status before the change: the payment's, or the refund's for a refund event. */
  @Enum({ items: EVENT_STATUSES, type: 'string', length: 16, nullable: true })
  previousStatus: string | null = null;

  @Enum({ items: EVENT_STATUSES, type: 'string', length: 16 })
  status!: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  changedAt: Date = new Date();
}
