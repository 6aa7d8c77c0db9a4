import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/**
 * What a payment and a refund share as calls to a provider that move money: who asked, under which
 * idempotency key and request, and how the call failed when it did.
 */
@Entity({ abstract: true })
export abstract class ProviderOperation {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The API key that asked. Idempotency keys are scoped to the shop, not to the key. */
  @Property({ type: 'string', length: 64 })
  callerId!: string;

  /** Unique per shop: a retry from any API key of the shop's backend finds the first request. */
  @Property({ type: 'string', length: 255, nullable: true })
  idempotencyKey: string | null = null;

  /**
   * The key this call was made under when keys were scoped to the API key, where another key had
   * already used it on the same shop: kept so that the call is still found by it, out of the
   * idempotency scope (the earlier call holds the key).
   */
  @Property({ type: 'string', length: 255, nullable: true })
  supersededIdempotencyKey: string | null = null;

  /** A digest of the request, to tell a retry from a different request under the same key. */
  @Property({ type: 'string', length: 64 })
  requestHash!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  requestId: string | null = null;

  @Property({ type: 'string', length: 40, nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'string', length: 500, nullable: true })
  errorMessage: string | null = null;

  /** The provider's own error code, e.g. Kaspi's "-1501". */
  @Property({ type: 'string', length: 32, nullable: true })
  providerCode: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
