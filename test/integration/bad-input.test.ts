import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Payment, PaymentConfig, PaymentLog, Refund } from '../../src/entities';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_CONFIG, CREATE_KASPI_PAYMENT, PAYMENT, PAYMENT_STATUS, PAYMENT_STATUS_CHANGED, REFUND, UPDATE_CONFIG } from '../support/documents';
import { collect, type TestGateway } from '../support/gateway';
import { startSandboxedGateway } from '../support/sandbox';

const TOKEN = '0b5c6f0e-8d0c-4bb8-9d0d-2a3c4e5f6a7b';
const GOOD_PAYMENT = { shopId: 21, amount: 100, phone: '77015211545' };

describe('bad input gets a clear error and changes nothing', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;
  let processedExternalId: string;

  beforeAll(async () => {
    ({ gw, sandbox } = await startSandboxedGateway([
      { shopId: 21, organizationBin: '210440028324', deviceToken: TOKEN },
      { shopId: 22, organizationBin: '991011000048', isActive: false },
    ]));
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: GOOD_PAYMENT });
    processedExternalId = created.data.createKaspiPayment.payment.externalId;
    await sandbox.confirm(processedExternalId);
    await gw.gql(PAYMENT_STATUS, { externalId: processedExternalId });
  });

  afterAll(async () => {
    await gw?.stop();
  });

  async function counts() {
    const em = gw.gateway.orm.em.fork();
    return {
      payments: await em.count(Payment),
      refunds: await em.count(Refund),
      configs: await em.count(PaymentConfig),
      sandboxCalls: (await sandbox.state()).counters,
    };
  }

  async function expectRefused(query: string, variables: Record<string, unknown>, code: string, field?: string[]) {
    const before = await counts();
    const result = await gw.gql(query, variables);
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    const payload = Object.values(result.data)[0] as { errors: Array<{ code: string; message: string; field: string[] | null }> };
    expect(payload.errors).toEqual([expect.objectContaining({ code, ...(field ? { field } : {}) })]);
    expect(payload.errors[0].message).not.toMatch(/select|insert|update |violates|constraint|StatusCode/i);
    expect(await counts()).toEqual(before);
    return payload;
  }

  it('refuses a BIN with a wrong check digit', async () => {
    await expectRefused(CREATE_CONFIG, { input: { shopId: 30, organizationBin: '210440028325' } }, 'BAD_INPUT', ['input', 'organizationBin']);
    await expectRefused(UPDATE_CONFIG, { shopId: 21, input: { organizationBin: '21044002832' } }, 'BAD_INPUT', ['input', 'organizationBin']);
  });

  it('refuses a device token that is not a UUID', async () => {
    await expectRefused(CREATE_CONFIG, { input: { shopId: 30, organizationBin: '210440028324', deviceToken: '12345' } }, 'BAD_INPUT', [
      'input',
      'deviceToken',
    ]);
  });

  it('refuses a second configuration for the same shop', async () => {
    await expectRefused(CREATE_CONFIG, { input: { shopId: 21, organizationBin: '210440028324' } }, 'CONFIG_EXISTS', ['input', 'shopId']);
  });

  it('refuses an unknown provider', async () => {
    await expectRefused(CREATE_CONFIG, { input: { shopId: 31, organizationBin: '210440028324', provider: 'paypal' } }, 'BAD_INPUT', [
      'input',
      'provider',
    ]);
  });

  it.each([
    ['7701521154', 'too short'],
    ['+1 701 521 15 45', 'not Kazakh'],
    ['call me', 'not a number'],
  ])('refuses the phone %s (%s)', async (phone) => {
    await expectRefused(CREATE_KASPI_PAYMENT, { input: { ...GOOD_PAYMENT, phone } }, 'BAD_INPUT', ['input', 'phone']);
  });

  it.each([
    [100.005, 'three decimals'],
    [0, 'zero'],
    [-5, 'negative'],
    [10_000_000.01, 'above the maximum'],
  ])('refuses the amount %s (%s)', async (amount) => {
    await expectRefused(CREATE_KASPI_PAYMENT, { input: { ...GOOD_PAYMENT, amount } }, 'BAD_INPUT', ['input', 'amount']);
  });

  it('refuses an amount that is not a number before it reaches the gateway', async () => {
    const result = await gw.gql(CREATE_KASPI_PAYMENT, { input: { ...GOOD_PAYMENT, amount: '100' } });
    expect(result.status).toBe(400);
    expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].message).toMatch(/Tenge must be a JSON number/);
  });

  it('refuses a message longer than 255 characters', async () => {
    await expectRefused(CREATE_KASPI_PAYMENT, { input: { ...GOOD_PAYMENT, message: 'x'.repeat(256) } }, 'BAD_INPUT', ['input', 'message']);
  });

  it.each([
    ['a lone high surrogate', 'Order \ud800 42'],
    ['a lone low surrogate', 'Order \udc00'],
    ['a NUL byte', 'Order\u0000 42'],
  ])('refuses text with %s in a payment message and in a configuration description, naming the field', async (_what, text) => {
    await expectRefused(CREATE_KASPI_PAYMENT, { input: { ...GOOD_PAYMENT, message: text } }, 'BAD_INPUT', ['input', 'message']);
    await expectRefused(CREATE_CONFIG, { input: { shopId: 32, organizationBin: '210440028324', description: text } }, 'BAD_INPUT', ['input', 'description']);
    await expectRefused(UPDATE_CONFIG, { shopId: 21, input: { description: text } }, 'BAD_INPUT', ['input', 'description']);
  });

  it.each([
    ['a NUL byte in externalId', { externalId: 'ab\u0000c', since: new Date().toISOString() }, 'externalId'],
    ['a lone surrogate in externalId', { externalId: '\ud800', since: new Date().toISOString() }, 'externalId'],
    ['a since before the first year PostgreSQL knows', { since: '0000-01-01T00:00:00Z' }, 'since'],
  ])('refuses a subscription with %s as BAD_INPUT naming the field', async (_what, variables, field) => {
    const subscriber = collect<any>(gw.subscribe(), PAYMENT_STATUS_CHANGED, variables);
    const error = await subscriber.waitFor(() => false, 10_000).catch((failure: Error) => failure.message);
    expect(error).toMatch(/"code":"BAD_INPUT"/);
    expect(error).toContain(`"field":["${field}"]`);
  });

  it('refuses an unknown shop and an inactive one', async () => {
    await expectRefused(CREATE_KASPI_PAYMENT, { input: { ...GOOD_PAYMENT, shopId: 404 } }, 'CONFIG_NOT_FOUND', ['input', 'shopId']);
    await expectRefused(CREATE_KASPI_PAYMENT, { input: { ...GOOD_PAYMENT, shopId: 22 } }, 'CONFIG_INACTIVE', ['input', 'shopId']);
  });

  it('refuses a refund above what is left, of an unknown payment, of another shop and of an unpaid payment', async () => {
    await expectRefused(REFUND, { input: { shopId: 21, externalId: processedExternalId, amount: 100.01 } }, 'REFUND_EXCEEDS_AVAILABLE', [
      'input',
      'amount',
    ]);
    await expectRefused(REFUND, { input: { shopId: 21, externalId: '999999', amount: 1 } }, 'PAYMENT_NOT_FOUND');
    await expectRefused(REFUND, { input: { shopId: 22, externalId: processedExternalId, amount: 1 } }, 'PAYMENT_NOT_FOUND');
    await expectRefused(REFUND, { input: { shopId: 21, externalId: processedExternalId, amount: 1.001 } }, 'BAD_INPUT', ['input', 'amount']);

    const unpaid = await gw.gql(CREATE_KASPI_PAYMENT, { input: GOOD_PAYMENT });
    const { externalId } = (await gw.gql(PAYMENT, { id: unpaid.data.createKaspiPayment.payment.id })).data.payment;
    await expectRefused(REFUND, { input: { shopId: 21, externalId, amount: 1 } }, 'PAYMENT_NOT_REFUNDABLE');
  });

  it('keeps the refused refunds in the audit log with their error', async () => {
    const em = gw.gateway.orm.em.fork();
    const rows = await em.find(PaymentLog, { operationType: 'REFUND' as never, externalId: processedExternalId });
    expect(rows.map((row) => row.errorCode)).toContain('REFUND_EXCEEDS_AVAILABLE');
  });

  it('refuses to let anyone rewrite the audit log, even with direct SQL', async () => {
    const connection = gw.gateway.orm.em.fork().getConnection();
    await expect(connection.execute(`update payment_log set status = 'forged'`)).rejects.toThrow(/append-only/);
    await expect(connection.execute(`delete from payment_log`)).rejects.toThrow(/append-only/);
  });
});
