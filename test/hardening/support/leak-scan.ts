import fs from 'node:fs';
import path from 'node:path';

export interface Leak {
  file: string;
  line: number;
  /** What leaked, never the secret itself: a report must not become a leak of its own. */
  kind: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/**
 * 11 digits from 7 or 8 standing alone; a fraction's digits (after ".") are not a phone number, nor
 * are digits inside a random token (a webhook id `msg_…` is hex, and may hold 11 digits in a row).
 */
const PHONE = /(?<![\dA-Za-z.])[78]\d{10}(?![\dA-Za-z])/;
/** Fields where our own UUIDs (payment, refund, request ids) belong; anywhere else a UUID may be a device token. */
const IDENTIFIER_KEY = /^(id|requestId|upstreamRequestId|paymentId|refundId|callerId|eventId|configId|endpointId|deliveryId)$/;
const ACCESS_TOKEN_LITERAL = /(?:ACCESS_TOKEN|accessToken|AccessToken|access_token)\s*[:=]\s*'([^']{8,})'/g;
const PASSPHRASE_LITERAL = /passphrase\s*=\s*'([^']{8,})'/g;

/**
 * The secrets the test suite uses: every UUID written in a test source (they are device tokens),
 * the proxy access tokens, the certificate passphrase, and whatever the harness noted as sent.
 */
export function collectKnownSecrets(root: string, logDir: string): Map<string, string> {
  const secrets = new Map<string, string>();
  const sources = [...listFiles(path.join(root, 'test'), '.ts'), ...listFiles(path.join(root, 'bench'), '.ts'), path.join(root, 'src/sandbox/kaspi-sandbox.ts')];
  for (const file of sources) {
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const [uuid] of text.matchAll(UUID)) if (uuid !== NIL_UUID) secrets.set(uuid.toLowerCase(), 'a device token from the tests');
    for (const [, token] of text.matchAll(ACCESS_TOKEN_LITERAL)) secrets.set(token, 'a proxy access token');
    for (const [, passphrase] of text.matchAll(PASSPHRASE_LITERAL)) secrets.set(passphrase, 'a certificate passphrase');
  }
  for (const file of listFiles(logDir, '.txt').filter((name) => path.basename(name).startsWith('sent-secrets-'))) {
    for (const secret of fs.readFileSync(file, 'utf8').split('\n').map((line) => line.trim())) {
      if (secret.length >= 8 && !secrets.has(secret)) secrets.set(secret, 'a secret a test sent');
    }
  }
  return secrets;
}

/**
 * Every leak in the captured logs and answers: a known secret anywhere (in any letter case, so a
 * token upper-cased by some layer is still found), a full phone number, or a UUID outside the
 * fields that hold our own ids.
 */
export function scanForLeaks(logDir: string, secrets: Map<string, string>): Leak[] {
  const leaks: Leak[] = [];
  const needles = [...secrets].map(([secret, kind]) => ({ secret: secret.toLowerCase(), kind }));
  const files = listFiles(logDir).filter((file) => !path.basename(file).startsWith('sent-secrets-'));
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, index) => {
      const report = (kind: string) => leaks.push({ file: path.basename(file), line: index + 1, kind });
      const lower = text.toLowerCase();
      for (const needle of needles) if (lower.includes(needle.secret)) report(needle.kind);
      if (PHONE.test(text.replace(UUID, ''))) report('a full phone number');
      for (const key of keysHoldingUuids(text)) report(`a UUID under "${key}" (a device token?)`);
    });
  }
  return leaks;
}

function keysHoldingUuids(line: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return [];
  }
  const keys: string[] = [];
  const walk = (value: unknown, key: string) => {
    if (typeof value === 'string') {
      if (!IDENTIFIER_KEY.test(key) && new RegExp(UUID.source, 'i').test(value)) keys.push(key || '(top)');
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, key);
    } else if (value && typeof value === 'object') {
      for (const [childKey, child] of Object.entries(value)) walk(child, childKey);
    }
  };
  walk(parsed, '');
  return keys;
}

function listFiles(dir: string, extension?: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && (!extension || entry.name.endsWith(extension)))
    .map((entry) => path.join(entry.parentPath, entry.name));
}
