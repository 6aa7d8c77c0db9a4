import 'reflect-metadata';
import { loadConfig } from '../config';
import { lockDataDir } from '../db/data-dir-lock';
import { startEmbeddedDatabase } from '../db/embedded-database';
import { migrate, openOrm } from '../db/orm';

/** `npm run migrate`: applies the checked-in migrations to DATABASE_URL, or to the embedded database. */
async function main(): Promise<void> {
  const config = loadConfig();
  let url = config.database.url;
  let unlock: (() => void) | null = null;
  let embedded: Awaited<ReturnType<typeof startEmbeddedDatabase>> | null = null;
  if (!url) {
    unlock = lockDataDir(config.dataDir);
    embedded = await startEmbeddedDatabase({ dataDir: config.dataDir });
    url = embedded.url;
  }
  const orm = await openOrm({ url, poolMax: 1 });
  try {
    const applied = await migrate(orm);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'the database is up to date');
  } finally {
    await orm.close();
    await embedded?.stop();
    unlock?.();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
