import 'reflect-metadata';
import { startEmbeddedDatabase } from '../db/embedded-database';
import { migrate, MIGRATIONS_DIR, openOrm } from '../db/orm';

/**
 * Generates a migration from the difference between the entities and the schema the checked-in
 * migrations build, on a throw-away embedded database. Add the new class to src/migrations/index.ts.
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  const database = await startEmbeddedDatabase({ dataDir: null });
  const orm = await openOrm({ url: database.url, poolMax: 1, snapshot: true });
  try {
    await migrate(orm);
    const result = await orm.getMigrator().createMigration(MIGRATIONS_DIR, false, false, name);
    console.log(result.fileName ? `created ${result.fileName}` : 'no changes: the schema is up to date');
  } finally {
    await orm.close();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
