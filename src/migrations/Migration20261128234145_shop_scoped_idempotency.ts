import { Migration } from '@mikro-orm/migrations';

/**
 * Idempotency keys are scoped to the shop instead of the API key: a backend whose key was rotated,
 * or two backends of one shop with keys of their own, must find the first request under a key and
 * not send a second invoice or refund.
 *
 * Rows written under the old scope may share a shop and a key across API keys: each of them is a
 * call that really went to the provider, so none is deleted or merged. The oldest of each group
 * keeps the key (a retry now gets the first call's answer, as a retry from its own caller did);
 * the later ones move their key to `superseded_idempotency_key`, where search still finds them by
 * it, so the migration cannot fail on old data and nothing is lost.
 */
export class Migration20261128234145_shop_scoped_idempotency extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "payment" drop constraint "payment_caller_id_idempotency_key_unique";`);
    this.addSql(`alter table "payment" add column "superseded_idempotency_key" varchar(255) null;`);
    this.addSql(supersedeLaterDuplicates('payment', 'shop_id'));
    this.addSql(`alter table "payment" add constraint "payment_shop_id_idempotency_key_unique" unique ("shop_id", "idempotency_key");`);

    this.addSql(`alter table "refund" drop constraint "refund_caller_id_idempotency_key_unique";`);
    this.addSql(`alter table "refund" add column "superseded_idempotency_key" varchar(255) null, add column "shop_id" int null;`);
    this.addSql(`update "refund" set "shop_id" = "payment"."shop_id" from "payment" where "payment"."id" = "refund"."payment_id";`);
    this.addSql(`alter table "refund" alter column "shop_id" set not null;`);
    this.addSql(supersedeLaterDuplicates('refund', 'shop_id'));
    this.addSql(`alter table "refund" add constraint "refund_shop_id_idempotency_key_unique" unique ("shop_id", "idempotency_key");`);
  }

  /**
   * Back to keys scoped to the API key. Superseded keys return to their rows; a key one API key
   * used on two shops (allowed since) stays on the oldest of its rows only.
   */
  override async down(): Promise<void> {
    for (const table of ['payment', 'refund']) {
      this.addSql(`alter table "${table}" drop constraint "${table}_shop_id_idempotency_key_unique";`);
      this.addSql(`update "${table}" set "idempotency_key" = "superseded_idempotency_key" where "superseded_idempotency_key" is not null;`);
      this.addSql(supersedeLaterDuplicates(table, 'caller_id'));
      this.addSql(`alter table "${table}" drop column "superseded_idempotency_key";`);
      this.addSql(`alter table "${table}" add constraint "${table}_caller_id_idempotency_key_unique" unique ("caller_id", "idempotency_key");`);
    }
    this.addSql(`alter table "refund" drop column "shop_id";`);
  }

}

/** Of the rows of `table` sharing `scope` and a key, all but the oldest give the key up. */
function supersedeLaterDuplicates(table: string, scope: string): string {
  return `update "${table}" set "superseded_idempotency_key" = "${table}"."idempotency_key", "idempotency_key" = null
    from (select "id", row_number() over (partition by "${scope}", "idempotency_key" order by "created_at", "id") as "rank"
          from "${table}" where "idempotency_key" is not null) as "ranked"
    where "ranked"."id" = "${table}"."id" and "ranked"."rank" > 1;`;
}
