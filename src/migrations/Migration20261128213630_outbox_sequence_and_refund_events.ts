import { Migration } from '@mikro-orm/migrations';

export class Migration20261128213630_outbox_sequence_and_refund_events extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "payment_event" drop constraint if exists "payment_event_previous_status_check";`);
    this.addSql(`alter table "payment_event" drop constraint if exists "payment_event_status_check";`);

    // Cursors kept by the former reader ("<transaction id>:<event id>") become positions of the
    // sequence reader: after the highest event they had read.
    this.addSql(`update "webhook_fanout_cursor" c set "position" = json_build_object(
      'after', coalesce((select max(e."id") from "payment_event" e
                          where (e."tx_id", e."id") <= (split_part(c."position", ':', 1)::xid8, split_part(c."position", ':', 2)::bigint)), 0)::text,
      'gaps', json_build_array())::text
      where c."position" like '%:%';`);

    this.addSql(`drop index "payment_event_tx_id_id_index";`);
    this.addSql(`alter table "payment_event" drop column "tx_id";`);

    this.addSql(`alter table "payment_event" add column "kind" text check ("kind" in ('payment.status_changed', 'refund.status_changed')) not null default 'payment.status_changed', add column "refund_id" uuid null;`);
    this.addSql(`alter table "payment_event" add constraint "payment_event_previous_status_check" check("previous_status" in ('PENDING', 'WAITING', 'PROCESSED', 'FAILED', 'CANCELED', 'EXPIRED', 'UNKNOWN', 'SUCCEEDED'));`);
    this.addSql(`alter table "payment_event" add constraint "payment_event_status_check" check("status" in ('PENDING', 'WAITING', 'PROCESSED', 'FAILED', 'CANCELED', 'EXPIRED', 'UNKNOWN', 'SUCCEEDED'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "payment_event" drop constraint if exists "payment_event_previous_status_check";`);
    this.addSql(`alter table "payment_event" drop constraint if exists "payment_event_status_check";`);

    this.addSql(`alter table "payment_event" drop column "kind", drop column "refund_id";`);

    this.addSql(`alter table "payment_event" add column "tx_id" xid8 not null default pg_current_xact_id();`);
    this.addSql(`alter table "payment_event" add constraint "payment_event_previous_status_check" check("previous_status" in ('PENDING', 'WAITING', 'PROCESSED', 'FAILED', 'CANCELED', 'EXPIRED', 'UNKNOWN'));`);
    this.addSql(`alter table "payment_event" add constraint "payment_event_status_check" check("status" in ('PENDING', 'WAITING', 'PROCESSED', 'FAILED', 'CANCELED', 'EXPIRED', 'UNKNOWN'));`);
    this.addSql(`create index "payment_event_tx_id_id_index" on "payment_event" ("tx_id", "id");`);
    this.addSql(`update "webhook_fanout_cursor" set "position" = pg_current_xact_id()::text || ':' || ("position"::json->>'after') where "position" like '{%';`);
  }

}
