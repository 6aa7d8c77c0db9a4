import { BigIntType, Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import type { Tiyn } from '../domain/money';

export enum LogOperation {
  CREATE = 'CREATE',
  STATUS = 'STATUS',
  REFUND = 'REFUND',
  CONFIG_CREATE = 'CONFIG_CREATE',
  CONFIG_UPDATE = 'CONFIG_UPDATE',
  CONFIG_DEACTIVATE = 'CONFIG_DEACTIVATE',
  RESOLVE = 'RESOLVE',
}

/**
 * The audit log. Append-only: a trigger in the database refuses UPDATE, DELETE and TRUNCATE,
 * so not even a bug in this code can rewrite history.
 */
@Entity({ tableName: 'payment_log' })
@Index({ properties: ['shopId', 'id'] })
@Index({ properties: ['externalId'] })
@Index({ properties: ['paymentId'] })
export class PaymentLog {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Property({ type: 'integer' })
  shopId!: number;

  @Property({ type: 'string', length: 12 })
  organizationBin!: string;

  @Property({ type: 'string', length: 20 })
  operationType!: LogOperation;

  @Property({ type: 'string', length: 64, nullable: true })
  externalId: string | null = null;

  @Property({ type: new BigIntType('number'), nullable: true })
  amount: Tiyn | null = null;

  @Property({ type: 'string', length: 50, nullable: true })
  status: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  errorMessage: string | null = null;

  @Property({ type: 'string', length: 20 })
  provider!: string;

  @Property({ type: 'uuid', nullable: true })
  paymentId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  refundId: string | null = null;

  /** Who did it: an API key's label, or "reconciler". */
  @Property({ type: 'string', length: 100, nullable: true })
  actor: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  requestId: string | null = null;

  @Property({ type: 'json', nullable: true })
  details: Record<string, unknown> | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
