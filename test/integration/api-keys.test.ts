import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { CREATE_KASPI_PAYMENT } from '../support/documents';
import { ADMIN_KEY, collect, SERVICE_KEY, startTestGateway, VIEWER_KEY, type TestGateway } from '../support/gateway';
import { routeShop } from '../support/sandbox';

const LIMITED_ADMIN_KEY = 'test-limited-admin-key-0123456789';
const LIMITED_SERVICE_KEY = 'test-limited-service-key-0123456789';
const LIMITED_VIEWER_KEY = 'test-limited-viewer-key-0123456789';
const KEY_FIELDS = 'id label role shopIds source createdAt revokedAt';
const LIST = `{ apiKeys { ${KEY_FIELDS} } }`;
const CREATE = `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { ${KEY_FIELDS} } secret errors { code field } } }`;
const REVOKE = `mutation ($id: ID!) { revokeApiKey(id: $id) { apiKey { id revokedAt } errors { code field } } }`;

describe('API keys managed by an administrator', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      API_KEYS: `admin:${ADMIN_KEY},service:${SERVICE_KEY},viewer:${VIEWER_KEY},admin@8:${LIMITED_ADMIN_KEY},service@8|9:${LIMITED_SERVICE_KEY},viewer@8:${LIMITED_VIEWER_KEY}`,
      API_KEY_CACHE_MS: '200',
    });
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('creates a key limited to shops, shows its secret once, lists it without it, and revokes it, all audited', async () => {
    const created = await gw.gql(CREATE, { input: { role: 'service', label: 'main-backend', shopIds: [8, 9, 8] } });
    const { apiKey, secret, errors } = created.data.createApiKey;
    expect(errors).toEqual([]);
    expect(secret).toMatch(/^kgw_/);
    expect(apiKey).toMatchObject({ label: 'main-backend', role: 'service', shopIds: [8, 9], source: 'DATABASE', revokedAt: null });
    expect((await gw.gql(`{ paymentStatus(externalId: "1") { id } }`, {}, secret)).errors).toBeUndefined();

    const listed = await gw.gql(LIST);
    expect(listed.data.apiKeys.map((key: any) => [key.label, key.source])).toEqual([
      ['env-admin-1', 'ENVIRONMENT'],
      ['env-service-2', 'ENVIRONMENT'],
      ['env-viewer-3', 'ENVIRONMENT'],
      ['env-admin-4', 'ENVIRONMENT'],
      ['env-service-5', 'ENVIRONMENT'],
      ['env-viewer-6', 'ENVIRONMENT'],
      ['main-backend', 'DATABASE'],
    ]);
    expect(listed.data.apiKeys[3].shopIds).toEqual([8]);
    expect(JSON.stringify(listed)).not.toContain(secret.slice(4, 20));

    const revoked = await gw.gql(REVOKE, { id: apiKey.id });
    expect(revoked.data.revokeApiKey.errors).toEqual([]);
    expect(revoked.data.revokeApiKey.apiKey.revokedAt).not.toBeNull();
    expect((await gw.gql(`{ paymentStatus(externalId: "1") { id } }`, {}, secret)).status).toBe(401);

    const audit = await gw.gateway.orm.em.getConnection().execute(`select api_key_id, action, actor, details from api_key_log order by id`);
    expect(audit).toEqual([
      { api_key_id: apiKey.id, action: 'CREATED', actor: 'env-admin-1', details: { role: 'service', label: 'main-backend', shopIds: [8, 9] } },
      { api_key_id: apiKey.id, action: 'REVOKED', actor: 'env-admin-1', details: { role: 'service', label: 'main-backend', shopIds: [8, 9] } },
    ]);
    await expect(gw.gateway.orm.em.getConnection().execute(`delete from api_key_log`)).rejects.toThrow(/append-only/);
  });

  it('refuses bad input naming the field, an unknown id, and a key that lives in API_KEYS', async () => {
    const bad = await gw.gql(CREATE, { input: { role: 'root', label: ' ', shopIds: [0] } });
    expect(bad.data.createApiKey).toEqual({
      apiKey: null,
      secret: null,
      errors: [
        { code: 'BAD_INPUT', field: ['input', 'role'] },
        { code: 'BAD_INPUT', field: ['input', 'label'] },
        { code: 'BAD_INPUT', field: ['input', 'shopIds', '0'] },
      ],
    });
    const unknown = await gw.gql(REVOKE, { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.data.revokeApiKey.errors).toEqual([{ code: 'NOT_FOUND', field: ['id'] }]);
    const envKey = (await gw.gql(LIST)).data.apiKeys[0].id;
    expect((await gw.gql(REVOKE, { id: envKey })).data.revokeApiKey.errors).toEqual([{ code: 'BAD_INPUT', field: ['id'] }]);
  });

  it('lets only an administrator of every shop manage keys', async () => {
    for (const key of [SERVICE_KEY, VIEWER_KEY, LIMITED_ADMIN_KEY]) {
      expect((await gw.gql(LIST, {}, key)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const create = await gw.gql(CREATE, { input: { role: 'admin', label: 'escalation' } }, key);
      expect(create.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('reads shop limits in API_KEYS and refuses malformed ones', () => {
    const config = loadConfig({ API_KEYS: `service@8|9:${SERVICE_KEY},viewer:${VIEWER_KEY}` });
    expect(config.apiKeys.map((key) => key.shopIds)).toEqual([[8, 9], null]);
    for (const spec of [`service@:${SERVICE_KEY}`, `service@8,9:${SERVICE_KEY}`, `service@x:${SERVICE_KEY}`, `service@0:${SERVICE_KEY}`]) {
      expect(() => loadConfig({ API_KEYS: spec })).toThrow(/API_KEYS/);
    }
  });

  describe('a key limited to some shops', () => {
    let other: { id: string; externalId: string };

    beforeAll(async () => {
      for (const shopId of [8, 9, 10]) {
        await routeShop(gw, { shopId, organizationBin: '210440028324', deviceToken: `6f1e2d3c-4b5a-4978-8c6d-5e4f3a2b1c0${shopId - 8}` });
      }
      other = (await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 10, amount: 10, phone: '77015211545' } })).data.createKaspiPayment.payment;
    });

    it('acts on its own shops over HTTP, and finds everything of another shop as if it did not exist', async () => {
      const own = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 9, amount: 10, phone: '77015211545' } }, LIMITED_SERVICE_KEY);
      expect(own.data.createKaspiPayment).toMatchObject({ payment: { shopId: 9 }, errors: [] });
      const elsewhere = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 10, amount: 10, phone: '77015211545' } }, LIMITED_SERVICE_KEY);
      expect(elsewhere.data.createKaspiPayment).toEqual({ payment: null, errors: [expect.objectContaining({ code: 'CONFIG_NOT_FOUND' })] });
      const refund = await gw.gql(`mutation { refund(input: { shopId: 10, externalId: "${other.externalId}", amount: 1 }) { errors { code } } }`, {}, LIMITED_SERVICE_KEY);
      expect(refund.data.refund.errors).toEqual([{ code: 'PAYMENT_NOT_FOUND' }]);
      expect((await gw.gql(`{ paymentStatus(externalId: "${other.externalId}") { id } }`, {}, LIMITED_SERVICE_KEY)).data.paymentStatus).toBeNull();
      expect((await gw.gql(`{ payment(id: "${other.id}") { id } }`, {}, LIMITED_SERVICE_KEY)).data.payment).toBeNull();

      expect((await gw.gql(`{ configs { shopId } }`, {}, LIMITED_VIEWER_KEY)).data.configs).toEqual([{ shopId: 8 }]);
      expect((await gw.gql(`{ configs(shopId: 10) { shopId } }`, {}, LIMITED_VIEWER_KEY)).data.configs).toEqual([]);
      const payments = (await gw.gql(`{ payments { shopId } }`, {}, LIMITED_VIEWER_KEY)).data.payments;
      expect(payments.every((payment: any) => payment.shopId === 8)).toBe(true);
      const logs = (await gw.gql(`{ logs(limit: 500) { shopId } }`, {}, LIMITED_VIEWER_KEY)).data.logs;
      expect(logs.length).toBeGreaterThan(0);
      expect(logs.every((log: any) => log.shopId === 8)).toBe(true);
      expect((await gw.gql(`{ logs(shopId: 10) { shopId } }`, {}, LIMITED_VIEWER_KEY)).data.logs).toEqual([]);

      const update = await gw.gql(`mutation { updateConfig(shopId: 10, input: { description: "mine now" }) { errors { code } } }`, {}, LIMITED_ADMIN_KEY);
      expect(update.data.updateConfig.errors).toEqual([{ code: 'CONFIG_NOT_FOUND' }]);
      const resolve = await gw.gql(`mutation { resolveUnknownPayment(input: { paymentId: "${other.id}", markFailed: true, reason: "not mine" }) { errors { code } } }`, {}, LIMITED_ADMIN_KEY);
      expect(resolve.data.resolveUnknownPayment.errors).toEqual([{ code: 'PAYMENT_NOT_FOUND' }]);
      expect((await gw.gql(`{ webhookEndpoints { id } }`, {}, LIMITED_ADMIN_KEY)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });

    it('hears over a WebSocket only the changes of its own shops', async () => {
      const subscriber = collect<any>(gw.subscribe({ key: LIMITED_VIEWER_KEY }), `subscription { paymentStatusChanged { status payment { shopId externalId } } }`);
      const unfiltered = collect<any>(gw.subscribe(), `subscription { paymentStatusChanged { status payment { shopId externalId } } }`);
      const shops = (events: any[]) => events.map((event) => event.paymentStatusChanged.payment.shopId);
      // Both are live once both have heard a first change of shop 8.
      await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 8, amount: 12, phone: '77015211545' } });
      await subscriber.waitFor((events) => events.length > 0);
      await unfiltered.waitFor((events) => shops(events).includes(8));
      const heardBefore = subscriber.events.length;

      await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 10, amount: 11, phone: '77015211545' } });
      const last = (await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 8, amount: 13, phone: '77015211545' } })).data.createKaspiPayment.payment;
      // Changes reach a subscriber in commit order: once the last shop-8 change is heard, shop 10's was offered before it.
      await unfiltered.waitFor((events) => shops(events).includes(10));
      await subscriber.waitFor((events) => events.length > heardBefore);
      expect(shops(subscriber.events)).toEqual(shops(subscriber.events).map(() => 8));
      expect(last.shopId).toBe(8);
      subscriber.unsubscribe();
      unfiltered.unsubscribe();
    });
  });
});
