import 'reflect-metadata';
import { loadConfig } from '../config';
import { bindKeyRing } from '../crypto/encrypted-text.type';
import { keyRingFor } from '../crypto/key-ring';
import { rotateSealedColumns } from '../crypto/rotate-sealed-columns';
import { withDatabase } from './database';

/**
 * `npm run rotate-keys`: reseals every device token with the first key of ENCRYPTION_KEYS, and
 * seals those stored before encryption. Run it after every instance runs with the new ring; the
 * old key may leave ENCRYPTION_KEYS once this reports nothing remaining.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const ring = keyRingFor(config);
  await withDatabase(config, async (orm) => {
    bindKeyRing(orm, ring);
    const reports = await rotateSealedColumns(orm, ring);
    for (const report of reports) {
      console.log(`${report.table}.${report.column}: ${report.rewritten} resealed with key "${ring.activeKeyId}", ${report.remaining} remaining`);
    }
    if (reports.some((report) => report.remaining > 0)) {
      console.log('Some rows were written meanwhile with an older key: make sure every instance runs with the new ring, then run this again.');
      process.exitCode = 2;
    }
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
