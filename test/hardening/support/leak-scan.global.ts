import fs from 'node:fs';
import path from 'node:path';
import { TEST_LOG_DIR } from '../../support/test-log-dir';
import { collectKnownSecrets, scanForLeaks } from './leak-scan';

const ROOT = path.resolve(__dirname, '../../..');

/** Each run starts with no captured logs, so that a leak is found in the run that caused it. */
export function setup(): void {
  fs.rmSync(TEST_LOG_DIR, { recursive: true, force: true });
  fs.mkdirSync(TEST_LOG_DIR, { recursive: true });
}

/**
 * After every test file: no captured log line or answer may hold a device token, an access
 * token, a passphrase or a full phone number. Vitest ignores an error thrown here, so a leak
 * fails the run through the exit code.
 */
export function teardown(): void {
  const leaks = scanForLeaks(TEST_LOG_DIR, collectKnownSecrets(ROOT, TEST_LOG_DIR));
  if (leaks.length === 0) return;
  const shown = leaks.slice(0, 50).map((leak) => `  ${leak.file}:${leak.line}: ${leak.kind}`);
  console.error([`\nSECRET LEAK CHECK FAILED: ${leaks.length} leak(s) in the logs and answers under ${TEST_LOG_DIR}`, ...shown, ''].join('\n'));
  process.exitCode = 1;
}
