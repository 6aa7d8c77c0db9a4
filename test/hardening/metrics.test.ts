import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_KASPI_PAYMENT, PAYMENT_STATUS, REFUND } from '../support/documents';
import { collect, type TestGateway } from '../support/gateway';
import { startSandboxedGateway } from '../support/sandbox';
import { runOverWebSocket } from './support/ws';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789';
const SHOP = 61;

/** The value of one sample of a Prometheus text exposition, matched by name and a subset of its labels. */
function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  const scrape = (token: string | null = METRICS_TOKEN) => fetch(`${gw.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    ({ gw, sandbox } = await startSandboxedGateway(
      [{ shopId: SHOP, organizationBin: '210440028324', deviceToken: '2f1e0d9c-8b7a-4654-9321-0fedcba98765' }],
      { METRICS_TOKEN, METRICS_CACHE_MS: '0' },
    ));
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('refuses a caller without the token, or with a wrong one, with 401', async () => {
    for (const token of [null, 'wrong-token-0123456789abcdef', `${METRICS_TOKEN}x`]) {
      const response = await scrape(token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.text()).not.toMatch(/kaspi_gateway/);
    }
  });

  it('exposes operations, provider calls, payments by status, unknown outcomes, subscriptions, reconciler lag and the pool', async () => {
    const paid = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 100, phone: '77015211545' } });
    const externalId = paid.data.createKaspiPayment.payment.externalId;
    await sandbox.confirm(externalId);
    await gw.gql(PAYMENT_STATUS, { externalId });
    expect((await gw.gql(REFUND, { input: { shopId: SHOP, externalId, amount: 40 } })).data.refund.refund.status).toBe('SUCCEEDED');

    const waiting = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 50, phone: '77015211545' } });
    expect(waiting.data.createKaspiPayment.payment.status).toBe('WAITING');
    await sandbox.injectFault({ operation: 'create', fault: 'unavailable' });
    const refused = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 60, phone: '77015211545' } });
    expect(refused.data.createKaspiPayment.payment.status).toBe('FAILED');
    await sandbox.injectFault({ operation: 'create', fault: 'drop' });
    const lost = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 70, phone: '77015211545' } });
    expect(lost.data.createKaspiPayment.payment.status).toBe('UNKNOWN');
    await gw.gql('{ nope }');

    const subscriber = collect(gw.subscribe(), 'subscription { paymentStatusChanged { status } }');
    expect((await runOverWebSocket(gw.subscribe(), '{ configs { id } }')).errors).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();

    const operation = { operation: 'createKaspiPayment', type: 'mutation', transport: 'http' };
    expect(sample(text, 'kaspi_gateway_graphql_operations_total', { ...operation, outcome: 'ok' })).toBe(4);
    expect(sample(text, 'kaspi_gateway_graphql_operation_duration_seconds_count', { ...operation, outcome: 'ok' })).toBe(4);
    expect(sample(text, 'kaspi_gateway_graphql_operation_duration_seconds_bucket', { ...operation, outcome: 'ok', le: '+Inf' })).toBe(4);
    expect(sample(text, 'kaspi_gateway_graphql_operations_total', { outcome: 'invalid', transport: 'http' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_graphql_operations_total', { operation: 'configs', transport: 'websocket', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_graphql_operations_total', { operation: 'paymentStatusChanged', type: 'subscription', transport: 'websocket' })).toBe(1);

    const create = { provider: 'kaspi', operation: 'create' };
    expect(sample(text, 'kaspi_gateway_provider_calls_total', { ...create, outcome: 'ok', code: 'none' })).toBe(2);
    expect(sample(text, 'kaspi_gateway_provider_calls_total', { ...create, outcome: 'unavailable', code: '-999' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_provider_calls_total', { ...create, outcome: 'unknown' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_provider_calls_total', { provider: 'kaspi', operation: 'refund', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_provider_call_duration_seconds_count', { ...create, outcome: 'ok' })).toBe(2);

    expect(sample(text, 'kaspi_gateway_payments', { status: 'PROCESSED' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_payments', { status: 'WAITING' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_payments', { status: 'FAILED' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_payments', { status: 'UNKNOWN' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_payments', { status: 'EXPIRED' })).toBe(0);
    expect(sample(text, 'kaspi_gateway_refunds', { status: 'SUCCEEDED' })).toBe(1);
    expect(sample(text, 'kaspi_gateway_unknown_payments')).toBe(1);
    expect(sample(text, 'kaspi_gateway_unknown_refunds')).toBe(0);
    expect(sample(text, 'kaspi_gateway_oldest_open_payment_age_seconds')).toBeGreaterThan(0);
    expect(sample(text, 'kaspi_gateway_reconciler_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'kaspi_gateway_reconciler_last_tick_age_seconds')).toBeGreaterThanOrEqual(0);

    expect(sample(text, 'kaspi_gateway_open_subscriptions')).toBe(1);
    expect(sample(text, 'kaspi_gateway_websocket_connections')).toBe(2);
    expect(sample(text, 'kaspi_gateway_db_pool_connections', { state: 'used' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'kaspi_gateway_db_pool_max_connections')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^# TYPE kaspi_gateway_rate_limited_total counter$/m);
    expect(sample(text, 'kaspi_gateway_process_resident_memory_bytes')).toBeGreaterThan(0);
    subscriber.unsubscribe();
  });
});
