import { BigIntType, Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { PaymentStatus } from '../domain/payment-status';

/**
 * The outbox of status changes: written in the same transaction as the change itself, then
 * delivered to subscribers after the commit by every gateway process that tails it.
 */
@Entity({ tableName: 'payment_event' })
@Index({ properties: ['changedAt'] })
@Index({ properties: ['txId', 'id'] })
export class PaymentEvent {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  /**
   * The writing transaction's id. Ids are handed out before commits happen, in another order; a
   * reader that only takes events of transactions older than every one still running, in
   * (txId, id) order, never skips one that commits late.
   */
  @Property({ type: 'string', columnType: 'xid8', defaultRaw: 'pg_current_xact_id()' })
  txId?: string;

  @Property({ type: 'uuid' })
  paymentId!: string;

  @Property({ type: 'integer' })
  shopId!: number;

  @Property({ type: 'string', length: 64, nullable: true })
  externalId: string | null = null;

  @Enum({ items: () => PaymentStatus, type: 'string', length: 16, nullable: true })
  previousStatus: PaymentStatus | null = null;

  @Enum({ items: () => PaymentStatus, type: 'string', length: 16 })
  status!: PaymentStatus;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  changedAt: Date = new Date();
}
