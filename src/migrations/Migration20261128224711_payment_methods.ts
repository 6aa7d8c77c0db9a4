import { Migration } from '@mikro-orm/migrations';

export class Migration20261128224711_payment_methods extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "payment" add column "method" text check ("method" in ('KASPI_REMOTE', 'KASPI_QR', 'KASPI_LINK', 'CLOUDPAYMENTS_LINK')) not null default 'KASPI_REMOTE', add column "payment_url" text null, add column "qr_token" text null, add column "expires_at" timestamptz null, add column "settles_by" timestamptz null, add column "poll_interval_ms" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "payment" drop column "method", drop column "payment_url", drop column "qr_token", drop column "expires_at", drop column "settles_by", drop column "poll_interval_ms";`);
  }

}
