import { BigIntType, Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

export enum WebhookEndpointAction {
  CREATED = 'CREATED',
  UPDATED = 'UPDATED',
  SECRET_ROTATED = 'SECRET_ROTATED',
  TURNED_OFF = 'TURNED_OFF',
  DELETED = 'DELETED',
}

/**
 * The audit log of webhook endpoints: who created, changed, rotated, turned off or deleted one,
 * and why. Append-only like the payment audit log (a trigger refuses UPDATE, DELETE, TRUNCATE).
 * Never holds a secret.
 */
@Entity({ tableName: 'webhook_endpoint_log' })
@Index({ properties: ['endpointId', 'id'] })
export class WebhookEndpointLog {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  endpointId!: string;

  @Property({ type: 'string', length: 20 })
  action!: WebhookEndpointAction;

  /** An API key's label, or "webhooks" when the gateway acted by itself. */
  @Property({ type: 'string', length: 100 })
  actor!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  requestId: string | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  reason: string | null = null;

  @Property({ type: 'json', nullable: true })
  details: Record<string, unknown> | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
