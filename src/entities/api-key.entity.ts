import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { ApiRole } from '../config';

/** An API key stored as a SHA-256 digest: the key itself is shown once, when it is created. */
@Entity({ tableName: 'api_key' })
export class ApiKey {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100 })
  label!: string;

  @Property({ type: 'string', length: 16 })
  role!: ApiRole;

  @Unique()
  @Property({ type: 'string', length: 64 })
  keyHash!: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  /** The shops this key may see and act on; null for every shop. */
  @Property({ type: 'json', nullable: true })
  shopIds: number[] | null = null;
}
