import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { EncryptedTextType, SEALED_COLUMN_COMMENT } from '../crypto/encrypted-text.type';
import type { MerchantAccount } from '../providers/provider';
import { DEFAULT_PROVIDER_ID } from '../providers/provider-ids';

/** Routes a shop to the organization (BIN) and Kaspi device that take its payments. */
@Entity({ tableName: 'payment_config' })
export class PaymentConfig {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Unique()
  @Property({ type: 'integer' })
  shopId!: number;

  @Property({ type: 'string', length: 12 })
  organizationBin!: string;

  /** Kept whole for the provider, sealed at rest (ENCRYPTION_KEYS); only ever shown masked. */
  @Property({ type: EncryptedTextType, nullable: true, comment: SEALED_COLUMN_COMMENT })
  deviceToken: string | null = null;

  @Property({ type: 'boolean', default: true })
  isActive = true;

  @Property({ type: 'string', length: 20, default: DEFAULT_PROVIDER_ID })
  provider: string = DEFAULT_PROVIDER_ID;

  @Property({ type: 'string', length: 500, nullable: true })
  description: string | null = null;

  /** The CloudPayments site's Public ID (not a secret), for a shop whose provider is CloudPayments. */
  @Property({ type: 'string', length: 64, nullable: true })
  cloudPaymentsPublicId: string | null = null;

  /** The site's API secret: authorises calls and signs notifications. Sealed at rest, never shown. */
  @Property({ type: EncryptedTextType, nullable: true, comment: SEALED_COLUMN_COMMENT })
  cloudPaymentsApiSecret: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** The shop's own account at its provider (the CloudPayments site), when it has one. */
export function merchantAccountOf(config: PaymentConfig | null | undefined): MerchantAccount | null {
  if (!config?.cloudPaymentsPublicId || !config.cloudPaymentsApiSecret) return null;
  return { id: config.cloudPaymentsPublicId, secret: config.cloudPaymentsApiSecret };
}
