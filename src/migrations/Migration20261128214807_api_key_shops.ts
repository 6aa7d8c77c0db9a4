import { Migration } from '@mikro-orm/migrations';

export class Migration20261128214807_api_key_shops extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "api_key_log" ("id" bigserial primary key, "api_key_id" uuid not null, "action" varchar(20) not null, "actor" varchar(100) not null, "request_id" varchar(64) null, "details" jsonb not null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "api_key_log_api_key_id_id_index" on "api_key_log" ("api_key_id", "id");`);

    this.addSql(`create function "api_key_log_refuse_change"() returns trigger language plpgsql as $$ begin raise exception 'api_key_log is append-only: % is not allowed', tg_op using errcode = '42501'; end $$;`);
    this.addSql(`create trigger "api_key_log_no_update_delete" before update or delete on "api_key_log" for each row execute function "api_key_log_refuse_change"();`);
    this.addSql(`create trigger "api_key_log_no_truncate" before truncate on "api_key_log" for each statement execute function "api_key_log_refuse_change"();`);

    this.addSql(`alter table "api_key" add column "shop_ids" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_key_log" cascade;`);
    this.addSql(`drop function if exists "api_key_log_refuse_change"() cascade;`);

    this.addSql(`alter table "api_key" drop column "shop_ids";`);
  }

}
