import { BigIntType, Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import type { Tiyn } from '../domain/money';
import { RefundStatus } from '../domain/refund-status';
import { ProviderOperation } from './provider-operation.entity';
import type { Payment } from './payment.entity';

@Entity({ tableName: 'refund' })
@Unique({ properties: ['shopId', 'idempotencyKey'] })
export class Refund extends ProviderOperation {
  /** The payment's shop, the scope of the refund's idempotency key. */
  @Property({ type: 'integer' })
  shopId!: number;

  @Index()
  @ManyToOne('Payment', { deleteRule: 'restrict' })
  payment!: Payment;

  @Property({ type: new BigIntType('number') })
  amount!: Tiyn;

  @Enum({ items: () => RefundStatus, type: 'string', length: 16 })
  status: RefundStatus = RefundStatus.PENDING;

  @Property({ type: 'string', length: 64, nullable: true })
  returnOperationId: string | null = null;
}
