import type { MikroORM, QueryResult } from '@mikro-orm/postgresql';
import type { KeyRing } from './key-ring';

/** The columns sealed with the key ring: every one of them is rewritten by a rotation. */
export const SEALED_COLUMNS = [
  { table: 'payment_config', column: 'device_token' },
  { table: 'payment', column: 'device_token' },
  { table: 'webhook_endpoint', column: 'secret' },
  { table: 'webhook_endpoint', column: 'previous_secret' },
  { table: 'payment_config', column: 'cloud_payments_api_secret' },
] as const;

export interface RotationReport {
  table: string;
  column: string;
  /** Rows resealed with the active key (older keys and plain text from before encryption). */
  rewritten: number;
  /** Rows still not under the active key afterwards: written meanwhile by an instance with an older ring. */
  remaining: number;
}

/**
 * Reseals every value of {@link SEALED_COLUMNS} that is not under the ring's active key: values
 * sealed with an older key of the ring, and plain text left from before encryption. Each row is
 * rewritten only if it still holds what was read, so a concurrent update is never overwritten,
 * and a run can be interrupted and started again.
 */
export async function rotateSealedColumns(orm: MikroORM, ring: KeyRing, batchSize = 500): Promise<RotationReport[]> {
  const connection = orm.em.getConnection();
  const activePrefix = `enc:v1:${ring.activeKeyId}:`;
  const reports: RotationReport[] = [];
  for (const { table, column } of SEALED_COLUMNS) {
    let rewritten = 0;
    let after: string | null = null;
    for (;;) {
      const rows: Array<{ id: string; value: string }> = await connection.execute(
        `select id::text as id, ${column} as value from ${table}
          where ${column} is not null and not starts_with(${column}, ?) ${after === null ? '' : 'and id > ?'}
          order by id limit ?`,
        after === null ? [activePrefix, batchSize] : [activePrefix, after, batchSize],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const resealed = ring.seal(ring.open(row.value));
        const result = await connection.execute<QueryResult>(
          `update ${table} set ${column} = ? where id = ? and ${column} = ?`,
          [resealed, row.id, row.value],
          'run',
        );
        rewritten += result.affectedRows;
      }
      after = rows[rows.length - 1].id;
    }
    const [{ remaining }]: Array<{ remaining: number }> = await connection.execute(
      `select count(*)::int as remaining from ${table} where ${column} is not null and not starts_with(${column}, ?)`,
      [activePrefix],
    );
    reports.push({ table, column, rewritten, remaining });
  }
  return reports;
}

/**
 * The ids of keys that sealed a stored value of {@link SEALED_COLUMNS} and that `ring` lacks: an
 * instance started without one of them would fail the first payment that needs such a value.
 */
export async function missingKeyIds(orm: MikroORM, ring: KeyRing): Promise<string[]> {
  const connection = orm.em.getConnection();
  const missing: string[] = [];
  for (const { table, column } of SEALED_COLUMNS) {
    // One row at a time, skipping every id already known: no aggregate over the whole table in memory.
    for (;;) {
      // Key ids are letters, digits, "-" and "_": a comma-joined list is unambiguous.
      const rows: Array<{ keyId: string }> = await connection.execute(
        `select split_part(${column}, ':', 3) as "keyId" from ${table}
          where starts_with(${column}, 'enc:') and split_part(${column}, ':', 3) <> all (string_to_array(?, ',')) limit 1`,
        [[...ring.keyIds, ...missing].join(',')],
      );
      if (rows.length === 0) break;
      missing.push(rows[0].keyId);
    }
  }
  return missing;
}
