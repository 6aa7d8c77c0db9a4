import { BigIntType, Entity, Enum, Index, ManyToOne, Property, Unique } from '@mikro-orm/core';
import type { Tiyn } from '../domain/money';
import { ProviderOperation } from './provider-operation.entity';
import type { Payment } from './payment.entity';

export enum RefundStatus {
  /** Recorded and reserved; the provider has not answered yet. */
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  /** The call broke off: the amount stays reserved until someone learns what happened. */
  UNKNOWN = 'UNKNOWN',
}

/** Refund statuses whose amount counts against what is left to refund. */
export const RESERVING_REFUND_STATUSES = [RefundStatus.PENDING, RefundStatus.SUCCEEDED, RefundStatus.UNKNOWN];

@Entity({ tableName: 'refund' })
@Unique({ properties: ['callerId', 'idempotencyKey'] })
export class Refund extends ProviderOperation {
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
