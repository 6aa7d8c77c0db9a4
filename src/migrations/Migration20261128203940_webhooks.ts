import { Migration } from '@mikro-orm/migrations';

export class Migration20261128203940_webhooks extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "webhook_endpoint" ("id" uuid not null, "url" varchar(2048) not null, "events" jsonb not null, "shop_ids" jsonb null, "description" varchar(500) null, "is_active" boolean not null default true, "disabled_reason" varchar(500) null, "secret" text not null, "previous_secret" text null, "previous_secret_expires_at" timestamptz null, "failing_since" timestamptz null, "throttled_until" timestamptz null, "deleted_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "webhook_endpoint_pkey" primary key ("id"));`);
    this.addSql(`comment on column "webhook_endpoint"."secret" is 'sealed with AES-256-GCM under ENCRYPTION_KEYS (enc:v1:<keyId>:...); plain text only in rows written before encryption';`);
    this.addSql(`comment on column "webhook_endpoint"."previous_secret" is 'sealed with AES-256-GCM under ENCRYPTION_KEYS (enc:v1:<keyId>:...); plain text only in rows written before encryption';`);

    this.addSql(`create table "webhook_delivery" ("id" uuid not null, "endpoint_id" uuid not null, "event_id" varchar(64) not null, "webhook_id" varchar(64) not null, "event_type" text check ("event_type" in ('PAYMENT_STATUS_CHANGED', 'REFUND_STATUS_CHANGED')) not null, "shop_id" int not null, "body" text not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED')) not null default 'PENDING', "attempts" int not null default 0, "max_attempts" int not null, "next_attempt_at" timestamptz null, "last_attempt_at" timestamptz null, "last_response_status" int null, "last_error" varchar(500) null, "created_at" timestamptz not null default now(), "delivered_at" timestamptz null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_webhook_id_unique" unique ("webhook_id");`);
    this.addSql(`create index "webhook_delivery_due_index" on "webhook_delivery" ("next_attempt_at") where "status" = 'PENDING';`);
    this.addSql(`create index "webhook_delivery_endpoint_id_created_at_index" on "webhook_delivery" ("endpoint_id", "created_at");`);
    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_event_id_endpoint_id_unique" unique ("event_id", "endpoint_id");`);

    this.addSql(`create table "webhook_endpoint_log" ("id" bigserial primary key, "endpoint_id" uuid not null, "action" varchar(20) not null, "actor" varchar(100) not null, "request_id" varchar(64) null, "reason" varchar(500) null, "details" jsonb null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "webhook_endpoint_log_endpoint_id_id_index" on "webhook_endpoint_log" ("endpoint_id", "id");`);
    this.addSql(`create function "webhook_endpoint_log_refuse_change"() returns trigger language plpgsql as $$ begin raise exception 'webhook_endpoint_log is append-only: % is not allowed', tg_op using errcode = '42501'; end $$;`);
    this.addSql(`create trigger "webhook_endpoint_log_no_update_delete" before update or delete on "webhook_endpoint_log" for each row execute function "webhook_endpoint_log_refuse_change"();`);
    this.addSql(`create trigger "webhook_endpoint_log_no_truncate" before truncate on "webhook_endpoint_log" for each statement execute function "webhook_endpoint_log_refuse_change"();`);

    this.addSql(`create table "webhook_fanout_cursor" ("name" varchar(32) not null, "position" text not null, "updated_at" timestamptz not null default now(), constraint "webhook_fanout_cursor_pkey" primary key ("name"));`);

    this.addSql(`alter table "webhook_delivery" add constraint "webhook_delivery_endpoint_id_foreign" foreign key ("endpoint_id") references "webhook_endpoint" ("id") on update cascade on delete restrict;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhook_delivery" drop constraint "webhook_delivery_endpoint_id_foreign";`);

    this.addSql(`drop table if exists "webhook_endpoint" cascade;`);

    this.addSql(`drop table if exists "webhook_delivery" cascade;`);

    this.addSql(`drop table if exists "webhook_endpoint_log" cascade;`);
    this.addSql(`drop function if exists "webhook_endpoint_log_refuse_change"() cascade;`);

    this.addSql(`drop table if exists "webhook_fanout_cursor" cascade;`);
  }

}
