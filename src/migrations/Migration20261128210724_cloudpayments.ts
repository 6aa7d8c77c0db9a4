import { Migration } from '@mikro-orm/migrations';

export class Migration20261128210724_cloudpayments extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "payment" add column "provider_transaction_id" varchar(64) null;`);

    this.addSql(`alter table "payment_config" add column "cloud_payments_public_id" varchar(64) null, add column "cloud_payments_api_secret" text null;`);
    this.addSql(`comment on column "payment_config"."cloud_payments_api_secret" is 'sealed with AES-256-GCM under ENCRYPTION_KEYS (enc:v1:<keyId>:...); plain text only in rows written before encryption';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "payment" drop column "provider_transaction_id";`);

    this.addSql(`alter table "payment_config" drop column "cloud_payments_public_id", drop column "cloud_payments_api_secret";`);
  }

}
