import type { MikroORM } from '@mikro-orm/postgresql';
import type { AppConfig } from '../config';
import { lockDataDir } from '../db/data-dir-lock';
import { startEmbeddedDatabase } from '../db/embedded-database';
import { migrate, openOrm } from '../db/orm';

/** Opens the gateway's database for a command-line tool, migrated; the embedded one is locked meanwhile. */
export async function withDatabase<T>(config: AppConfig, work: (orm: MikroORM) => Promise<T>): Promise<T> {
  let unlock: (() => void) | null = null;
  let embedded: Awaited<ReturnType<typeof startEmbeddedDatabase>> | null = null;
  let url = config.database.url;
  if (!url) {
    unlock = lockDataDir(config.dataDir);
    embedded = await startEmbeddedDatabase({ dataDir: config.dataDir });
    url = embedded.url;
  }
  const orm = await openOrm({ url, poolMax: embedded ? 1 : 2 });
  try {
    await migrate(orm);
    return await work(orm);
  } finally {
    await orm.close();
    await embedded?.stop();
    unlock?.();
  }
}
