import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TEST_ENCRYPTION_KEYS, type TestGateway } from '../support/gateway';

const CONFIG_FIELDS = 'shopId provider organizationBin deviceToken cloudPaymentsPublicId isActive';
const CREATE_CONFIG = `mutation ($input: CreateConfigInput!) { createConfig(input: $input) { config { ${CONFIG_FIELDS} } errors { code field message } } }`;
const UPDATE_CONFIG = `mutation ($shopId: Int!, $input: UpdateConfigInput!) { updateConfig(shopId: $shopId, input: $input) { config { ${CONFIG_FIELDS} } errors { code field message } } }`;

const KASPI_SHOP = 8;
const CLOUDPAYMENTS_SHOP = 9;
const PUBLIC_ID = 'pk_4b1d2c3e4f5a6b7c8d9e0f1a2b3c4';
const API_SECRET = 'cp-secret-7f3e9a1c5b2d8e4f6a0b';

describe('a CloudPayments shop beside a Kaspi shop in one gateway', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, CLOUDPAYMENTS_TIMEOUT_MS: '1500' });
    const kaspi = await gw.gql(CREATE_CONFIG, {
      input: { shopId: KASPI_SHOP, organizationBin: '891027350515', deviceToken: '66cbf4e5-0193-45f3-8d97-362c98374466' },
    });
    expect(kaspi.data.createConfig.errors).toEqual([]);
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('routes a shop to CloudPayments only with its site credentials, shows the Public ID and seals the API secret', async () => {
    const input = { shopId: CLOUDPAYMENTS_SHOP, organizationBin: '210440028324', provider: 'cloudpayments' };
    const without = await gw.gql(CREATE_CONFIG, { input });
    expect(without.data.createConfig.errors).toMatchObject([{ code: 'BAD_INPUT', field: ['input', 'cloudPayments'] }]);
    const badSecret = await gw.gql(CREATE_CONFIG, { input: { ...input, cloudPayments: { publicId: PUBLIC_ID, apiSecret: 'short' } } });
    expect(badSecret.data.createConfig.errors).toMatchObject([{ code: 'BAD_INPUT', field: ['input', 'cloudPayments', 'apiSecret'] }]);

    const created = await gw.gql(CREATE_CONFIG, { input: { ...input, cloudPayments: { publicId: PUBLIC_ID, apiSecret: API_SECRET } } });
    expect(created.data.createConfig).toEqual({
      config: { shopId: CLOUDPAYMENTS_SHOP, provider: 'cloudpayments', organizationBin: '210440028324', deviceToken: null, cloudPaymentsPublicId: PUBLIC_ID, isActive: true },
      errors: [],
    });
    const rows = await gw.gateway.orm.em.fork().getConnection().execute<{ secret: string }[]>(
      'select cloud_payments_api_secret as secret from payment_config where shop_id = ?',
      [CLOUDPAYMENTS_SHOP],
    );
    expect(rows[0].secret).toMatch(/^enc:v1:/);
    expect(rows[0].secret).not.toContain(API_SECRET);
    const logs = await gw.gql(`{ logs(shopId: ${CLOUDPAYMENTS_SHOP}) { operationType } }`);
    expect(JSON.stringify(logs)).not.toContain(API_SECRET);

    // A Kaspi shop moved to CloudPayments needs the credentials too; nothing changes without them.
    const moved = await gw.gql(UPDATE_CONFIG, { shopId: KASPI_SHOP, input: { provider: 'cloudpayments' } });
    expect(moved.data.updateConfig.errors).toMatchObject([{ code: 'BAD_INPUT' }]);
    const kaspi = await gw.gql(`{ configs(shopId: ${KASPI_SHOP}) { provider cloudPaymentsPublicId } }`);
    expect(kaspi.data.configs).toEqual([{ provider: 'kaspi', cloudPaymentsPublicId: null }]);
  });
});
