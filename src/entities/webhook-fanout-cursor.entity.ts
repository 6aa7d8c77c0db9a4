import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * How far the webhook fan-out has read the outbox, kept in the database so that an event committed
 * before a crash still gets its deliveries after the restart. One row; the instance fanning out
 * holds its lock for the length of one batch.
 */
@Entity({ tableName: 'webhook_fanout_cursor' })
export class WebhookFanoutCursor {
  @PrimaryKey({ type: 'string', length: 32 })
  name!: string;

  /** The outbox reader's position, as it serialises it. */
  @Property({ type: 'text' })
  position!: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
