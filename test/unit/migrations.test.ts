import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/migrations';

const MIGRATIONS_DIR = path.resolve(__dirname, '../../src/migrations');

/** The migration files on disk, by name: what `npm run migration:create` writes. */
function migrationFiles(): string[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^Migration\d{14}_.*\.ts$/.test(file))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();
}

// The gateway runs the list in src/migrations/index.ts, never a folder scan (the same list serves
// src, dist and tests): a generated file left out of it would silently never be applied.
describe('the registered migrations', () => {
  it('register every migration file in src/migrations, and nothing that is not on disk', () => {
    expect(MIGRATIONS.map((migration) => migration.name).sort()).toEqual(migrationFiles());
  });

  it('are listed in the order their timestamps give, each name once', () => {
    const names = MIGRATIONS.map((migration) => migration.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it('register under each name the class its file exports', async () => {
    for (const migration of MIGRATIONS) {
      const module = (await import(path.join(MIGRATIONS_DIR, `${migration.name}.ts`))) as Record<string, unknown>;
      expect(migration.class, migration.name).toBe(module[migration.name]);
    }
  });
});
