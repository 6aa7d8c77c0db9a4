import { Migration } from '@mikro-orm/migrations';

export class Migration20261127040533_outbox_transaction_order extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "payment_event" add column "tx_id" xid8 not null default pg_current_xact_id();`);
    this.addSql(`create index "payment_event_tx_id_id_index" on "payment_event" ("tx_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "payment_event_tx_id_id_index";`);
    this.addSql(`alter table "payment_event" drop column "tx_id";`);
  }

}
