import { BigIntType, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { Tiyn } from '../domain/money';
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
export class Refund {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Index()
  @ManyToOne('Payment', { deleteRule: 'restrict' })
  payment!: Payment;

  @Property({ type: new BigIntType('number') })
  amount!: Tiyn;

  @Enum({ items: () => RefundStatus, type: 'string', length: 16 })
  status: RefundStatus = RefundStatus.PENDING;

  @Property({ type: 'string', length: 64, nullable: true })
  returnOperationId: string | null = null;

  @Property({ type: 'string', length: 64 })
  callerId!: string;

  @Property({ type: 'string', length: 255, nullable: true })
  idempotencyKey: string | null = null;

  @Property({ type: 'string', length: 64 })
  requestHash!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  requestId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  errorMessage: string | null = null;

  @Property({ type: 'string', length: 32, nullable: true })
  providerCode: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
