import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { WebhookDeliveryStatus, WebhookEventType } from '../domain/webhook-delivery';
import type { WebhookEndpoint } from './webhook-endpoint.entity';

/**
 * One event for one endpoint, with the body as it is signed and sent on every attempt, and the
 * next attempt scheduled in the row: the dispatcher claims due rows with FOR UPDATE SKIP LOCKED.
 */
@Entity({ tableName: 'webhook_delivery' })
@Unique({ properties: ['eventId', 'endpoint'] })
@Index({ properties: ['endpoint', 'createdAt'] })
@Index({
  name: 'webhook_delivery_due_index',
  expression: `create index "webhook_delivery_due_index" on "webhook_delivery" ("next_attempt_at") where "status" = 'PENDING'`,
})
export class WebhookDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne('WebhookEndpoint', { deleteRule: 'restrict' })
  endpoint!: WebhookEndpoint;

  /** The outbox event this delivery announces. */
  @Property({ type: 'string', length: 64 })
  eventId!: string;

  /** The webhook-id header: the same on every attempt and redelivery, so that the receiver can drop duplicates. */
  @Property({ type: 'string', length: 64, unique: true })
  webhookId!: string;

  @Enum({ items: () => WebhookEventType, type: 'string', length: 32 })
  eventType!: WebhookEventType;

  @Property({ type: 'integer' })
  shopId!: number;

  /** The JSON body exactly as it is signed and sent. */
  @Property({ type: 'text' })
  body!: string;

  @Enum({ items: () => WebhookDeliveryStatus, type: 'string', length: 16 })
  status: WebhookDeliveryStatus = WebhookDeliveryStatus.PENDING;

  /** Attempts made (or under way); also the token that fences an attempt's outcome against a later claim. */
  @Property({ type: 'integer', default: 0 })
  attempts = 0;

  /** Attempts allowed before the delivery is FAILED; a redelivery allows one more. */
  @Property({ type: 'integer' })
  maxAttempts!: number;

  /** When the next attempt is due; while an attempt is under way, when its claim lapses. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null = null;

  @Property({ type: 'integer', nullable: true })
  lastResponseStatus: number | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  lastError: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deliveredAt: Date | null = null;
}
