import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectKnownSecrets, scanForLeaks } from './support/leak-scan';

const ROOT = path.resolve(__dirname, '../..');
/** Built at run time: a UUID written in a test source counts as a known device token. */
const uuid = (...groups: string[]) => groups.join('-');
const PAYMENT_ID = uuid('0f1e2d3c', '4b5a', '4697', '8877', 'a78123456789');
const SENT_TOKEN = uuid('f00dbabe', '0000', '4000', '8000', '000000000001');
const UNKNOWN_TOKEN = uuid('9a8b7c6d', '5e4f', '4321', '9876', 'fedcba987654');

describe('the leak check run after the suite', () => {
  const dirs: string[] = [];
  const logDir = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-gw-leak-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('knows the device tokens, the access tokens and the passphrase the tests use', () => {
    const secrets = collectKnownSecrets(ROOT, logDir({ 'sent-secrets-1.txt': `${SENT_TOKEN}\n` }));
    expect(secrets.get('66cbf4e5-0193-45f3-8d97-362c98374466')).toBe('a device token from the tests');
    expect(secrets.get('proxy-secret-token-123')).toBe('a proxy access token');
    expect(secrets.get('sandbox-access-token')).toBe('a proxy access token');
    expect(secrets.get('correct horse battery staple')).toBe('a certificate passphrase');
    expect(secrets.get(SENT_TOKEN)).toBe('a secret a test sent');
    expect(secrets.has('00000000-0000-0000-0000-000000000000')).toBe(false);
  });

  it('finds a planted device token, access token, passphrase and phone number, and says where without repeating them', () => {
    const secrets = collectKnownSecrets(ROOT, logDir({}));
    const dir = logDir({
      'gateway.log': [
        `{"level":30,"msg":"clean line","paymentId":"${PAYMENT_ID}","durationMs":0.78123456789}`,
        '{"level":50,"msg":"create failed","routing":{"deviceToken":"66CBF4E5-0193-45F3-8D97-362C98374466"}}',
        '{"level":50,"msg":"GET /create/?access_token=proxy-secret-token-123"}',
        'plain text line with correct horse battery staple',
        '{"level":30,"msg":"invoice for 77015211545"}',
        `{"level":30,"note":"token ${UNKNOWN_TOKEN} in free text"}`,
      ].join('\n'),
      'responses-1.jsonl': [
        `{"data":{"payment":{"id":"${PAYMENT_ID}","phoneMasked":"7*********5","requestId":"${PAYMENT_ID}"}}}`,
        // A webhook id is random hex: eleven digits from 7 inside it are not a phone number.
        '{"data":{"webhookDeliveries":[{"eventId":"msg_cd80317f91f1440fb05f71079316043a"}]}}',
      ].join('\n'),
    });
    const leaks = scanForLeaks(dir, secrets);
    expect(leaks.map(({ file, line, kind }) => `${file}:${line} ${kind}`)).toEqual([
      'gateway.log:2 a device token from the tests',
      'gateway.log:2 a UUID under "deviceToken" (a device token?)',
      'gateway.log:3 a proxy access token',
      'gateway.log:4 a certificate passphrase',
      'gateway.log:5 a full phone number',
      'gateway.log:6 a UUID under "note" (a device token?)',
    ]);
    expect(JSON.stringify(leaks)).not.toMatch(/66cbf4e5|proxy-secret|horse|77015211545/i);
  });
});
