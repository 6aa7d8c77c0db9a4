import { Migration } from '@mikro-orm/migrations';

export class Migration20261127030308_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "api_key" ("id" uuid not null, "label" varchar(100) not null, "role" varchar(16) not null, "key_hash" varchar(64) not null, "created_at" timestamptz not null default now(), "revoked_at" timestamptz null, constraint "api_key_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_key" add constraint "api_key_key_hash_unique" unique ("key_hash");`);

    this.addSql(`create table "payment" ("id" uuid not null, "shop_id" int not null, "provider" varchar(20) not null, "organization_bin" varchar(12) not null, "device_token" text null, "external_id" varchar(64) null, "amount" bigint not null, "refunded_amount" bigint not null default 0, "status" text check ("status" in ('PENDING', 'WAITING', 'PROCESSED', 'FAILED', 'CANCELED', 'EXPIRED', 'UNKNOWN')) not null default 'PENDING', "provider_status" varchar(64) null, "phone_masked" varchar(16) not null, "message" varchar(255) null, "caller_id" varchar(64) not null, "idempotency_key" varchar(255) null, "request_hash" varchar(64) not null, "request_id" varchar(64) null, "error_code" varchar(40) null, "error_message" varchar(500) null, "provider_code" varchar(32) null, "anomaly" varchar(500) null, "next_poll_at" timestamptz null, "last_polled_at" timestamptz null, "poll_failures" int not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "payment_pkey" primary key ("id"));`);
    this.addSql(`create index "payment_next_poll_at_index" on "payment" ("next_poll_at") where "next_poll_at" is not null;`);
    this.addSql(`create index "payment_shop_id_created_at_index" on "payment" ("shop_id", "created_at");`);
    this.addSql(`alter table "payment" add constraint "payment_caller_id_idempotency_key_unique" unique ("caller_id", "idempotency_key");`);
    this.addSql(`alter table "payment" add constraint "payment_provider_external_id_unique" unique ("provider", "external_id");`);

    this.addSql(`create table "payment_config" ("id" serial primary key, "shop_id" int not null, "organization_bin" varchar(12) not null, "device_token" text null, "is_active" boolean not null default true, "provider" varchar(20) not null default 'kaspi', "description" varchar(500) null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`);
    this.addSql(`alter table "payment_config" add constraint "payment_config_shop_id_unique" unique ("shop_id");`);

    this.addSql(`create table "payment_event" ("id" bigserial primary key, "payment_id" uuid not null, "shop_id" int not null, "external_id" varchar(64) null, "previous_status" text check ("previous_status" in ('PENDING', 'WAITING', 'PROCESSED', 'FAILED', 'CANCELED', 'EXPIRED', 'UNKNOWN')) null, "status" text check ("status" in ('PENDING', 'WAITING', 'PROCESSED', 'FAILED', 'CANCELED', 'EXPIRED', 'UNKNOWN')) not null, "changed_at" timestamptz not null default now());`);
    this.addSql(`create index "payment_event_changed_at_index" on "payment_event" ("changed_at");`);

    this.addSql(`create table "payment_log" ("id" bigserial primary key, "shop_id" int not null, "organization_bin" varchar(12) not null, "operation_type" varchar(20) not null, "external_id" varchar(64) null, "amount" bigint null, "status" varchar(50) null, "error_code" varchar(40) null, "error_message" varchar(500) null, "provider" varchar(20) not null, "payment_id" uuid null, "refund_id" uuid null, "actor" varchar(100) null, "request_id" varchar(64) null, "details" jsonb null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "payment_log_payment_id_index" on "payment_log" ("payment_id");`);
    this.addSql(`create index "payment_log_external_id_index" on "payment_log" ("external_id");`);
    this.addSql(`create index "payment_log_shop_id_id_index" on "payment_log" ("shop_id", "id");`);

    this.addSql(`create table "refund" ("id" uuid not null, "payment_id" uuid not null, "amount" bigint not null, "status" text check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED', 'UNKNOWN')) not null default 'PENDING', "return_operation_id" varchar(64) null, "caller_id" varchar(64) not null, "idempotency_key" varchar(255) null, "request_hash" varchar(64) not null, "request_id" varchar(64) null, "error_code" varchar(40) null, "error_message" varchar(500) null, "provider_code" varchar(32) null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "refund_pkey" primary key ("id"));`);
    this.addSql(`create index "refund_payment_id_index" on "refund" ("payment_id");`);
    this.addSql(`alter table "refund" add constraint "refund_caller_id_idempotency_key_unique" unique ("caller_id", "idempotency_key");`);

    this.addSql(`alter table "refund" add constraint "refund_payment_id_foreign" foreign key ("payment_id") references "payment" ("id") on update cascade on delete restrict;`);
    // The audit log is append-only, enforced by the database itself.
    this.addSql(`create function "payment_log_refuse_change"() returns trigger language plpgsql as $$ begin raise exception 'payment_log is append-only: % is not allowed', tg_op using errcode = '42501'; end $$;`);
    this.addSql(`create trigger "payment_log_no_update_delete" before update or delete on "payment_log" for each row execute function "payment_log_refuse_change"();`);
    this.addSql(`create trigger "payment_log_no_truncate" before truncate on "payment_log" for each statement execute function "payment_log_refuse_change"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "refund" drop constraint "refund_payment_id_foreign";`);

    this.addSql(`drop table if exists "api_key" cascade;`);
    this.addSql(`drop function if exists "payment_log_refuse_change"() cascade;`);

    this.addSql(`drop table if exists "payment" cascade;`);

    this.addSql(`drop table if exists "payment_config" cascade;`);

    this.addSql(`drop table if exists "payment_event" cascade;`);

    this.addSql(`drop table if exists "payment_log" cascade;`);

    this.addSql(`drop table if exists "refund" cascade;`);
  }

}
