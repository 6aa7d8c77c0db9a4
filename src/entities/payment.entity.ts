import { BigIntType, Collection, Entity, Enum, Index, OneToMany, Property, Unique } from '@mikro-orm/core';
import { EncryptedTextType, SEALED_COLUMN_COMMENT } from '../crypto/encrypted-text.type';
import { PaymentMethod } from '../domain/payment-method';
import { PaymentStatus } from '../domain/payment-status';
import type { Tiyn } from '../domain/money';
import { ProviderOperation } from './provider-operation.entity';
import { Refund } from './refund.entity';

/**
 * One payment, with the routing it was created with. A refund must go out with the same BIN and
 * device token, whatever the shop's configuration says later, so they are copied here.
 */
@Entity({ tableName: 'payment' })
@Unique({ properties: ['provider', 'externalId'] })
@Unique({ properties: ['shopId', 'idempotencyKey'] })
@Index({ properties: ['shopId', 'createdAt'] })
@Index({
  name: 'payment_next_poll_at_index',
  expression: 'create index "payment_next_poll_at_index" on "payment" ("next_poll_at") where "next_poll_at" is not null',
})
export class Payment extends ProviderOperation {
  @Property({ type: 'integer' })
  shopId!: number;

  @Property({ type: 'string', length: 20 })
  provider!: string;

  @Property({ type: 'string', length: 12 })
  organizationBin!: string;

  /** Sealed at rest like the configuration's. */
  @Property({ type: EncryptedTextType, nullable: true, comment: SEALED_COLUMN_COMMENT })
  deviceToken: string | null = null;

  /** The provider's payment id (Kaspi QrPaymentId), null until the provider has answered. */
  @Property({ type: 'string', length: 64, nullable: true })
  externalId: string | null = null;

  /**
   * The provider's id of the transaction that paid, where it differs from `externalId`
   * (CloudPayments: the TransactionId, while `externalId` is the order's id); refunds go by it.
   */
  @Property({ type: 'string', length: 64, nullable: true })
  providerTransactionId: string | null = null;

  @Property({ type: new BigIntType('number') })
  amount!: Tiyn;

  /** Sum of the refunds the provider confirmed. */
  @Property({ type: new BigIntType('number'), default: 0 })
  refundedAmount: Tiyn = 0;

  @Enum({ items: () => PaymentStatus, type: 'string', length: 16 })
  status: PaymentStatus = PaymentStatus.PENDING;

  @Property({ type: 'string', length: 64, nullable: true })
  providerStatus: string | null = null;

  /** How the customer pays. */
  @Enum({ items: () => PaymentMethod, type: 'string', length: 24, default: PaymentMethod.KASPI_REMOTE })
  method: PaymentMethod = PaymentMethod.KASPI_REMOTE;

  /** The customer's phone, masked: the whole number is only ever sent to the provider. Empty without one. */
  @Property({ type: 'string', length: 16 })
  phoneMasked!: string;

  /** The page where the customer pays (a payment link), when the method has one. */
  @Property({ type: 'text', nullable: true })
  paymentUrl: string | null = null;

  /** The text to draw as a QR code, when the method has one. */
  @Property({ type: 'text', nullable: true })
  qrToken: string | null = null;

  /** When the provider stops taking new customers for the payment; null when it says nothing. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  /** After this the provider can no longer complete the payment; null: the gateway's own lifetime applies. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  settlesBy: Date | null = null;

  /** How often the provider asked to be polled about this payment. */
  @Property({ type: 'integer', nullable: true })
  pollIntervalMs: number | null = null;

  @Property({ type: 'string', length: 255, nullable: true })
  message: string | null = null;

  /** Set when the provider reported something the transition table forbids; kept for a human. */
  @Property({ type: 'string', length: 500, nullable: true })
  anomaly: string | null = null;

  /** When the reconciler should next ask the provider; null when there is nothing to ask. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  nextPollAt: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastPolledAt: Date | null = null;

  @Property({ type: 'integer', default: 0 })
  pollFailures = 0;

  @OneToMany(() => Refund, (refund) => refund.payment, { orderBy: { createdAt: 'asc' } })
  refunds = new Collection<Refund>(this);
}
