import { BigIntType, Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

export enum ApiKeyAction {
  CREATED = 'CREATED',
  REVOKED = 'REVOKED',
}

/**
 * The audit log of API keys: who created or revoked which key, with its role, label and shops.
 * Append-only like the payment audit log (a trigger refuses UPDATE, DELETE, TRUNCATE). Never holds
 * a key or its digest.
 */
@Entity({ tableName: 'api_key_log' })
@Index({ properties: ['apiKeyId', 'id'] })
export class ApiKeyLog {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  apiKeyId!: string;

  @Property({ type: 'string', length: 20 })
  action!: ApiKeyAction;

  /** An API key's label, or "command line" for `npm run apikey`. */
  @Property({ type: 'string', length: 100 })
  actor!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  requestId: string | null = null;

  @Property({ type: 'json' })
  details!: { role: string; label: string; shopIds: number[] | null };

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
