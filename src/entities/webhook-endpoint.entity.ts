import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { EncryptedTextType, SEALED_COLUMN_COMMENT } from '../crypto/encrypted-text.type';
import type { WebhookEventType } from '../domain/webhook-delivery';

/** Where the merchant wants to hear of events, and the secret the gateway signs them with. */
@Entity({ tableName: 'webhook_endpoint' })
export class WebhookEndpoint {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 2048 })
  url!: string;

  @Property({ type: 'json' })
  events!: WebhookEventType[];

  /** Only events of these shops; null for every shop. */
  @Property({ type: 'json', nullable: true })
  shopIds: number[] | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  description: string | null = null;

  @Property({ type: 'boolean', default: true })
  isActive = true;

  /** Why the gateway turned the endpoint off by itself. */
  @Property({ type: 'string', length: 500, nullable: true })
  disabledReason: string | null = null;

  /** The signing secret (whsec_...), sealed at rest; shown once. */
  @Property({ type: EncryptedTextType, comment: SEALED_COLUMN_COMMENT })
  secret!: string;

  /** The secret before the last rotation, which keeps signing beside the new one until `previousSecretExpiresAt`. */
  @Property({ type: EncryptedTextType, nullable: true, comment: SEALED_COLUMN_COMMENT })
  previousSecret: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null = null;

  /** The first failure since the last success: an endpoint that only fails for long enough is turned off. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  failingSince: Date | null = null;

  /** The receiver asked us to slow down (429, 503, Retry-After): no attempt to it before then. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  throttledUntil: Date | null = null;

  /** Deleted endpoints stay, so that their deliveries keep their meaning; they are never listed or sent to. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
