import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { bindKeyRing } from '../../src/crypto/encrypted-text.type';
import { DecryptionError, generateEncryptionKeySpec, keyRingFor, KeyRing, parseEncryptionKeys } from '../../src/crypto/key-ring';
import { missingKeyIds, rotateSealedColumns, type RotationReport } from '../../src/crypto/rotate-sealed-columns';
import { startGateway } from '../../src/app';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { createTestDatabase, reachablePostgres } from '../support/database';
import { CREATE_CONFIG, CREATE_KASPI_PAYMENT, PAYMENT_STATUS, REFUND } from '../support/documents';
import { ADMIN_KEY, eventually, startTestGateway, type TestGateway } from '../support/gateway';
import { sandboxOf } from '../support/sandbox';

const OLD_KEY = generateEncryptionKeySpec('k2025');
const NEW_KEY = generateEncryptionKeySpec('k2026');
const TOKEN = 'c4f2a8e1-93b7-4d05-8e6a-1b2c3d4e5f60';
const LEGACY_TOKEN = 'a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6d';
const BIN = '210440028324';

describe('the key ring', () => {
  const ring = new KeyRing(parseEncryptionKeys(`${NEW_KEY},${OLD_KEY}`));

  it('seals with the first key, opens with any key of the ring, and never seals a value the same way twice', () => {
    const sealed = ring.seal(TOKEN);
    expect(sealed).toMatch(/^enc:v1:k2026:[\w-]+:[\w-]+:[\w-]+$/);
    expect(sealed).not.toContain(TOKEN.slice(0, 8));
    expect(ring.seal(TOKEN)).not.toBe(sealed);
    expect(ring.open(sealed)).toBe(TOKEN);
    const byOldKey = new KeyRing(parseEncryptionKeys(OLD_KEY)).seal(TOKEN);
    expect(ring.open(byOldKey)).toBe(TOKEN);
    expect(ring.isCurrent(sealed)).toBe(true);
    expect(ring.isCurrent(byOldKey)).toBe(false);
  });

  it('reads a value stored before encryption as it is', () => {
    expect(ring.open(LEGACY_TOKEN)).toBe(LEGACY_TOKEN);
  });

  it('refuses an altered ciphertext, a swapped key id, a shortened tag and a key it does not have', () => {
    const sealed = ring.seal(TOKEN);
    const [prefix, version, keyId, iv, ciphertext, tag] = sealed.split(':');
    const flipped = `${ciphertext[0] === 'A' ? 'B' : 'A'}${ciphertext.slice(1)}`;
    expect(() => ring.open([prefix, version, keyId, iv, flipped, tag].join(':'))).toThrow(DecryptionError);
    expect(() => ring.open([prefix, version, 'k2025', iv, ciphertext, tag].join(':'))).toThrow(DecryptionError);
    expect(() => ring.open([prefix, version, keyId, iv, ciphertext, tag.slice(0, 6)].join(':'))).toThrow(DecryptionError);
    expect(() => new KeyRing(parseEncryptionKeys(OLD_KEY)).open(sealed)).toThrow(/no key "k2026"/);
  });

  it('refuses malformed ENCRYPTION_KEYS without echoing a key', () => {
    const secret = Buffer.alloc(16, 7).toString('base64');
    expect(() => parseEncryptionKeys(`short:${secret}`)).toThrow(/32 bytes/);
    expect(() => parseEncryptionKeys(`short:${secret}`)).not.toThrow(secret);
    expect(() => parseEncryptionKeys(`${NEW_KEY},${NEW_KEY}`)).toThrow(/twice/);
    expect(() => parseEncryptionKeys('no-separator')).toThrow(/keyId:base64key/);
  });

  it('is required in production, and outside production is created once in DATA_DIR and then reused', () => {
    const production = { NODE_ENV: 'production', API_KEYS: 'admin:production-admin-key-0123456789', PRODUCTION_API_URL: 'https://proxy.example', KASPI_ACCESS_TOKEN: 'x'.repeat(20) };
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/ENCRYPTION_KEYS/);
    expect(loadConfig({ ...production, ENCRYPTION_KEYS: NEW_KEY }).encryptionKeys?.[0].id).toBe('k2026');

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-gw-keys-'));
    const first = keyRingFor(loadConfig({ DATA_DIR: dataDir }));
    const second = keyRingFor(loadConfig({ DATA_DIR: dataDir }));
    expect(second.activeKeyId).toBe(first.activeKeyId);
    expect(second.open(first.seal(TOKEN))).toBe(TOKEN);
    expect(fs.statSync(path.join(dataDir, 'encryption-keys')).mode & 0o777).toBe(0o600);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

describe('device tokens at rest, and the rotation of the key', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;
  const raw = async (sql: string, params: unknown[] = []) => gw.gateway.orm.em.getConnection().execute(sql, params);

  beforeAll(async () => {
    gw = await startTestGateway({ ENCRYPTION_KEYS: OLD_KEY });
    sandbox = sandboxOf(gw);
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('stores configuration and payment device tokens sealed, shows them masked, and still sends Kaspi the real one', async () => {
    const created = await gw.gql(CREATE_CONFIG, { input: { shopId: 71, organizationBin: BIN, deviceToken: TOKEN } });
    expect(created.data.createConfig.config.deviceToken).toBe('c4f2a8e1…');
    const payment = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 71, amount: 100, phone: '77015211545' } });
    const externalId = payment.data.createKaspiPayment.payment.externalId;
    expect((await sandbox.payment(externalId))?.deviceToken).toBe(TOKEN);

    const stored = [
      ...(await raw('select device_token as value from payment_config where shop_id = 71')),
      ...(await raw('select device_token as value from payment where shop_id = 71')),
    ].map((row) => row.value as string);
    expect(stored).toHaveLength(2);
    for (const value of stored) {
      expect(value).toMatch(/^enc:v1:k2025:/);
      expect(value).not.toContain(TOKEN.slice(0, 8));
    }
    expect(stored[0]).not.toBe(stored[1]);
  });

  it('finds the key ids that seal stored device tokens and that a ring lacks', async () => {
    expect(await missingKeyIds(gw.gateway.orm, new KeyRing(parseEncryptionKeys(OLD_KEY)))).toEqual([]);
    expect(await missingKeyIds(gw.gateway.orm, new KeyRing(parseEncryptionKeys(NEW_KEY)))).toEqual(['k2025']);
  });

  it('reads a row written in plain text before encryption, and does not rewrite a row it only reads', async () => {
    await raw(`insert into payment_config (shop_id, organization_bin, device_token, is_active, provider) values (72, ?, ?, true, 'kaspi')`, [BIN, LEGACY_TOKEN]);
    const configs = await gw.gql('{ configs(shopId: 72) { deviceToken } }');
    expect(configs.data.configs).toEqual([{ deviceToken: 'a9b8c7d6…' }]);
    const payment = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 72, amount: 10, phone: '77015211545' } });
    expect((await sandbox.payment(payment.data.createKaspiPayment.payment.externalId))?.deviceToken).toBe(LEGACY_TOKEN);
    const [config] = await raw('select device_token as value from payment_config where shop_id = 72');
    expect(config.value).toBe(LEGACY_TOKEN);
  });

  it('rotates: with the new key first every old row still reads, the rotation reseals every row, and the old key can then go', async () => {
    // Every instance restarts with ENCRYPTION_KEYS=new,old; the rows keep opening with the old key.
    bindKeyRing(gw.gateway.orm, new KeyRing(parseEncryptionKeys(`${NEW_KEY},${OLD_KEY}`)));
    expect((await gw.gql('{ configs { shopId deviceToken } }')).data.configs).toEqual([
      { shopId: 71, deviceToken: 'c4f2a8e1…' },
      { shopId: 72, deviceToken: 'a9b8c7d6…' },
    ]);

    // Only device tokens were stored here; the other sealed columns are empty and rewritten nowhere.
    const deviceTokens = (reports: RotationReport[]) => reports.filter((report) => report.column === 'device_token');
    const reports = await rotateSealedColumns(gw.gateway.orm, new KeyRing(parseEncryptionKeys(`${NEW_KEY},${OLD_KEY}`)), 1);
    expect(reports.every((report) => report.column === 'device_token' || report.rewritten === 0)).toBe(true);
    expect(deviceTokens(reports)).toEqual([
      { table: 'payment_config', column: 'device_token', rewritten: 2, remaining: 0 },
      { table: 'payment', column: 'device_token', rewritten: 2, remaining: 0 },
    ]);
    const afterwards = await raw('select device_token as value from payment_config union all select device_token from payment');
    expect(afterwards.map((row) => (row.value as string).slice(0, 13))).toEqual(Array(4).fill('enc:v1:k2026:'));
    expect(deviceTokens(await rotateSealedColumns(gw.gateway.orm, new KeyRing(parseEncryptionKeys(NEW_KEY))))).toEqual([
      { table: 'payment_config', column: 'device_token', rewritten: 0, remaining: 0 },
      { table: 'payment', column: 'device_token', rewritten: 0, remaining: 0 },
    ]);

    // ENCRYPTION_KEYS=new alone: everything still works, down to a refund with the payment's own token.
    bindKeyRing(gw.gateway.orm, new KeyRing(parseEncryptionKeys(NEW_KEY)));
    const [{ external_id: externalId }] = await raw('select external_id from payment where shop_id = 71');
    await sandbox.confirm(externalId as string);
    // The reconciler or a status read may take it to PROCESSED; either way, wait for that first.
    await eventually(
      async () => ((await gw.gql(PAYMENT_STATUS, { externalId })).data.paymentStatus.status === 'PROCESSED' ? true : undefined),
      15_000,
      'the confirmed payment to be PROCESSED',
    );
    const refund = await gw.gql(REFUND, { input: { shopId: 71, externalId, amount: 30 } });
    expect(refund.data.refund.errors).toEqual([]);
    expect(refund.data.refund.refund.status).toBe('SUCCEEDED');
    expect((await sandbox.payment(externalId as string))?.refundedAmount).toBe(30);
  });
});

describe('instances that disagree on ENCRYPTION_KEYS (skipped where no PostgreSQL server answers)', () => {
  const dataDirs: string[] = [];
  const start = (databaseUrl: string, env: Record<string, string>) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-gw-ring-'));
    dataDirs.push(dataDir);
    return startGateway(
      loadConfig({ NODE_ENV: 'test', PORT: '0', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '2', API_KEYS: `admin:${ADMIN_KEY}`, LOG_LEVEL: 'silent', ...env }),
    );
  };

  afterAll(() => {
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start without a key that sealed stored device tokens, naming it, and says that a shared database needs ENCRYPTION_KEYS', async (context) => {
    const server = await reachablePostgres();
    if (!server) return context.skip();
    const database = await createTestDatabase(server);
    try {
      const first = await start(database.url!, {});
      const devKeyId = keyRingFor(first.config).activeKeyId;
      expect(devKeyId).toMatch(/^dev-/);
      const created = await fetch(first.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({ query: `mutation { createConfig(input: { shopId: 73, organizationBin: "${BIN}", deviceToken: "${TOKEN}" }) { errors { code } } }` }),
      });
      expect(((await created.json()) as { data: { createConfig: { errors: unknown[] } } }).data.createConfig.errors).toEqual([]);
      await first.stop();

      const withoutKeys = start(database.url!, {});
      await expect(withoutKeys).rejects.toThrow(ConfigError);
      await expect(withoutKeys).rejects.toThrow(new RegExp(`ENCRYPTION_KEYS.*"${devKeyId}"`, 's'));
      await expect(withoutKeys).rejects.toThrow(/same ENCRYPTION_KEYS .*DATABASE_URL/s);
      await expect(start(database.url!, { ENCRYPTION_KEYS: NEW_KEY })).rejects.toThrow(new RegExp(`ENCRYPTION_KEYS.*"${devKeyId}"`, 's'));

      const devKeySpec = fs.readFileSync(path.join(dataDirs[0], 'encryption-keys'), 'utf8').trim();
      const second = await start(database.url!, { ENCRYPTION_KEYS: `${NEW_KEY},${devKeySpec}` });
      await second.stop();
    } finally {
      await database.drop();
    }
  });
});
