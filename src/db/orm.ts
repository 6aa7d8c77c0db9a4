import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import path from 'node:path';
import { ENTITIES } from '../entities';
import { MIGRATIONS } from '../migrations';

export const MIGRATIONS_DIR = path.resolve(__dirname, '../migrations');

export interface OrmSettings {
  url: string;
  poolMax: number;
  debug?: boolean;
  /** Only the migration generator keeps a schema snapshot; a running gateway never writes into src. */
  snapshot?: boolean;
}

export function ormOptions(options: OrmSettings): Options {
  return defineConfig({
    clientUrl: options.url,
    entities: ENTITIES,
    extensions: [Migrator],
    pool: { min: 0, max: options.poolMax, acquireTimeoutMillis: 30_000 },
    forceUtcTimezone: true,
    debug: options.debug ?? false,
    // Entities are listed explicitly: no folder scanning, so the same config works from src and dist.
    discovery: { warnWhenNoEntities: true },
    allowGlobalContext: false,
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: options.snapshot ?? false,
      snapshotName: '.snapshot-gateway',
      emit: 'ts',
      silent: true,
    },
  });
}

export async function openOrm(options: OrmSettings): Promise<MikroORM> {
  return MikroORM.init(ormOptions(options));
}

export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((migration) => migration.name);
}
