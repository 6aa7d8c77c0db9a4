import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TEST_ENCRYPTION_KEYS, type TestGateway } from '../support/gateway';

const CREATE_ENDPOINT = `mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } secret errors { code message field } } }`;

describe('webhook URLs in production', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      NODE_ENV: 'production',
      ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
      KASPI_MODE: 'proxy',
      // Never called: these tests make no payment.
      PRODUCTION_API_URL: 'http://127.0.0.1:9/api/kaspi',
      KASPI_ACCESS_TOKEN: 'proxy-access-token-for-tests',
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
  });

  it('refuses an http:// URL, even to a public host', async () => {
    const answer = await gw.gql(CREATE_ENDPOINT, { input: { url: 'http://hooks.example.kz/kaspi', events: ['PAYMENT_STATUS_CHANGED'] } });
    expect(answer.data.createWebhookEndpoint).toMatchObject({ endpoint: null, secret: null });
    expect(answer.data.createWebhookEndpoint.errors).toEqual([expect.objectContaining({ code: 'BAD_INPUT', field: ['input', 'url'], message: expect.stringMatching(/https/) })]);
  });

  it('refuses https URLs that lead to loopback, private, link-local or metadata addresses', async () => {
    for (const url of ['https://10.0.0.8/hook', 'https://192.168.1.20/hook', 'https://169.254.169.254/latest/meta-data', 'https://[::1]:8443/hook', 'https://localhost/hook']) {
      const answer = await gw.gql(CREATE_ENDPOINT, { input: { url, events: ['PAYMENT_STATUS_CHANGED'] } });
      expect(answer.data.createWebhookEndpoint.errors, url).toEqual([expect.objectContaining({ code: 'BAD_INPUT', field: ['input', 'url'] })]);
    }
    expect((await gw.gql(`{ webhookEndpoints { id } }`)).data.webhookEndpoints).toEqual([]);
  });
});
