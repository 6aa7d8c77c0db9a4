import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_CONFIG, CREATE_KASPI_PAYMENT, LOGS, PAYMENT_STATUS, PAYMENT_STATUS_CHANGED, REFUND } from '../support/documents';
import { collect, eventually, startTestGateway, type TestGateway } from '../support/gateway';
import { sandboxOf } from '../support/sandbox';

const DEVICE_TOKEN = '66cbf4e5-0193-45f3-8d97-362c98374466';

describe('the seed flows, end to end through the gateway and the Kaspi sandbox', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  beforeAll(async () => {
    gw = await startTestGateway();
    sandbox = sandboxOf(gw);
    const created = await gw.gql(CREATE_CONFIG, {
      input: { shopId: 8, organizationBin: '891027350515', deviceToken: DEVICE_TOKEN, description: 'Main shop' },
    });
    expect(created.data.createConfig.errors).toEqual([]);
    expect(created.data.createConfig.config).toMatchObject({
      shopId: 8,
      organizationBin: '891027350515',
      deviceToken: '66cbf4e5…',
      isActive: true,
      provider: 'kaspi',
    });
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('routes a shop to its BIN, follows a payment of 100 to Processed live, refunds 50 and 50 and refuses a third', async () => {
    // From a moment before it is set up, as a client that must not miss the first change would subscribe.
    const subscriber = collect<any>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: 8, since: new Date().toISOString() });

    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 8, amount: 100, phone: '+7 701 521 15 45', message: 'Order #12345' } });
    expect(created.errors).toBeUndefined();
    const payment = created.data.createKaspiPayment.payment;
    expect(created.data.createKaspiPayment.errors).toEqual([]);
    expect(payment).toMatchObject({
      shopId: 8,
      organizationBin: '891027350515',
      provider: 'kaspi',
      amount: 100,
      refundedAmount: 0,
      status: 'WAITING',
      providerStatus: 'RemotePaymentCreated',
      phoneMasked: '7*********5',
    });
    expect(payment.externalId).toMatch(/^\d+$/);

    // What reached Kaspi: the shop's BIN and device, the normalised phone, the amount in tenge.
    const atKaspi = await sandbox.payment(payment.externalId);
    expect(atKaspi).toMatchObject({ organizationBin: '891027350515', deviceToken: DEVICE_TOKEN, amount: 100, phone: '77015211545' });

    // The customer confirms in the Kaspi app; nobody asks the gateway, the reconciler notices.
    expect(await kaspiTestCall(gw, 'scan', payment.externalId)).toMatchObject({ StatusCode: 0 });
    expect(await kaspiTestCall(gw, 'confirm', payment.externalId)).toMatchObject({ StatusCode: 0 });
    const events = await subscriber.waitFor((seen) => seen.some((e) => e.paymentStatusChanged.status === 'PROCESSED'));
    const statuses = events.map((e) => `${e.paymentStatusChanged.previousStatus}->${e.paymentStatusChanged.status}`);
    expect(statuses).toEqual(['PENDING->WAITING', 'WAITING->PROCESSED']);
    expect(events[1].paymentStatusChanged.payment).toMatchObject({ externalId: payment.externalId, status: 'PROCESSED', providerStatus: 'Processed' });

    const first = await gw.gql(REFUND, { input: { shopId: 8, externalId: payment.externalId, amount: 50 } });
    expect(first.data.refund.errors).toEqual([]);
    expect(first.data.refund.refund).toMatchObject({ amount: 50, status: 'SUCCEEDED' });
    const second = await gw.gql(REFUND, { input: { shopId: 8, externalId: payment.externalId, amount: 50 } });
    expect(second.data.refund.errors).toEqual([]);
    expect(second.data.refund.payment).toMatchObject({ refundedAmount: 100, refundableAmount: 0, status: 'PROCESSED' });
    const third = await gw.gql(REFUND, { input: { shopId: 8, externalId: payment.externalId, amount: 1 } });
    expect(third.data.refund.refund).toBeNull();
    expect(third.data.refund.errors).toEqual([
      expect.objectContaining({ code: 'REFUND_EXCEEDS_AVAILABLE', field: ['input', 'amount'] }),
    ]);
    expect((await sandbox.payment(payment.externalId))?.refundedAmount).toBe(100);

    const status = await gw.gql(PAYMENT_STATUS, { externalId: payment.externalId });
    expect(status.data.paymentStatus).toMatchObject({ status: 'PROCESSED', refundedAmount: 100 });
    expect(status.data.paymentStatus.refunds).toHaveLength(2);

    const logs = await gw.gql(LOGS, { shopId: 8 });
    const trail = logs.data.logs.reverse();
    expect(trail[0]).toMatchObject({ operationType: 'CONFIG_CREATE', organizationBin: '891027350515' });
    expect(trail[1]).toMatchObject({ operationType: 'CREATE', amount: 100, status: 'PENDING' });
    expect(trail[2]).toMatchObject({ operationType: 'CREATE', externalId: payment.externalId, amount: 100, status: 'RemotePaymentCreated' });
    expect(trail.filter((row: any) => row.operationType === 'STATUS').map((row: any) => row.status)).toContain('Processed');
    const refunds = trail.filter((row: any) => row.operationType === 'REFUND');
    expect(refunds.map((row: any) => [row.amount, row.status, row.errorCode])).toEqual([
      [50, 'PENDING', null],
      [50, 'SUCCEEDED', null],
      [50, 'PENDING', null],
      [50, 'SUCCEEDED', null],
      [1, 'FAILED', 'REFUND_EXCEEDS_AVAILABLE'],
    ]);
    subscriber.unsubscribe();
  });

  it('moves a payment to Processed by itself when the sandbox auto-advances', async () => {
    await sandbox.configure({ autoAdvanceMs: 400 });
    const subscriber = collect<any>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: 8 });
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 8, amount: 250.5, phone: '87015211545' } });
    const externalId = created.data.createKaspiPayment.payment.externalId;
    await subscriber.waitFor((seen) =>
      seen.some((e) => e.paymentStatusChanged.payment.externalId === externalId && e.paymentStatusChanged.status === 'PROCESSED'),
    );
    const after = await eventually(async () => {
      const result = await gw.gql(PAYMENT_STATUS, { externalId });
      return result.data.paymentStatus.status === 'PROCESSED' ? result.data.paymentStatus : undefined;
    });
    expect(after.amount).toBe(250.5);
    await sandbox.configure({ autoAdvanceMs: 0 });
    subscriber.unsubscribe();
  });
});

/** Kaspi's own test calls for the customer's side, as a Kaspi test environment offers them. */
async function kaspiTestCall(gw: TestGateway, action: 'scan' | 'confirm' | 'scanerror' | 'confirmerror', qrPaymentId: string) {
  const response = await fetch(`${gw.url}/sandbox/kaspi/r3/v01/test/payment/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': randomUUID() },
    body: JSON.stringify({ qrPaymentId }),
  });
  return response.json();
}
