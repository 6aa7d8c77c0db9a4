import { Migration } from '@mikro-orm/migrations';

export class Migration20261127031836_device_token_encryption extends Migration {

  override async up(): Promise<void> {
    this.addSql(`comment on column "payment"."device_token" is 'sealed with AES-256-GCM under ENCRYPTION_KEYS (enc:v1:<keyId>:...); plain text only in rows written before encryption';`);

    this.addSql(`comment on column "payment_config"."device_token" is 'sealed with AES-256-GCM under ENCRYPTION_KEYS (enc:v1:<keyId>:...); plain text only in rows written before encryption';`);
  }

  override async down(): Promise<void> {
    this.addSql(`comment on column "payment"."device_token" is null;`);

    this.addSql(`comment on column "payment_config"."device_token" is null;`);
  }

}
