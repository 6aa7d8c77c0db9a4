import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { collect, eventually, startTestGateway, type TestGateway } from '../support/gateway';

const PAYMENT_FIELDS = 'id externalId shopId organizationBin provider amount refundedAmount refundableAmount status providerStatus phoneMasked refunds { id amount status } createdAt updatedAt';
const CREATE = `mutation ($input: CreateKaspiPaymentInput!) { createKaspiPayment(input: $input) { payment { ${PAYMENT_FIELDS} } errors { code message field } } }`;
const REFUND = `mutation ($input: RefundInput!) { refund(input: $input) { refund { id amount status } payment { refundedAmount refundableAmount status } errors { code message field } } }`;
const CREATE_CONFIG = `mutation ($input: CreateConfigInput!) { createConfig(input: $input) { config { id shopId organizationBin deviceToken isActive provider description } errors { code message field } } }`;
const STATUS_CHANGED = `subscription ($shopId: Int) { paymentStatusChanged(shopId: $shopId) { previousStatus status changedAt payment { externalId status providerStatus amount organizationBin } } }`;

const DEVICE_TOKEN = '66cbf4e5-0193-45f3-8d97-362c98374466';

describe('the seed flows, end to end through the gateway and the Kaspi sandbox', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  beforeAll(async () => {
    gw = await startTestGateway();
    sandbox = new SandboxControlClient(`${gw.url}/sandbox/kaspi`, { controlToken: gw.gateway.sandbox!.controlToken });
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
    const subscriber = collect<any>(gw.subscribe(), STATUS_CHANGED, { shopId: 8 });

    const created = await gw.gql(CREATE, { input: { shopId: 8, amount: 100, phone: '+7 701 521 15 45', message: 'Order #12345' } });
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

    const status = await gw.gql(`query ($id: String!) { paymentStatus(externalId: $id) { status refundedAmount refunds { amount status } } }`, {
      id: payment.externalId,
    });
    expect(status.data.paymentStatus).toMatchObject({ status: 'PROCESSED', refundedAmount: 100 });
    expect(status.data.paymentStatus.refunds).toHaveLength(2);

    const logs = await gw.gql(`query { logs(shopId: 8) { operationType externalId amount status errorCode organizationBin actor } }`);
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
    const subscriber = collect<any>(gw.subscribe(), STATUS_CHANGED, { shopId: 8 });
    const created = await gw.gql(CREATE, { input: { shopId: 8, amount: 250.5, phone: '87015211545' } });
    const externalId = created.data.createKaspiPayment.payment.externalId;
    await subscriber.waitFor((seen) =>
      seen.some((e) => e.paymentStatusChanged.payment.externalId === externalId && e.paymentStatusChanged.status === 'PROCESSED'),
    );
    const after = await eventually(async () => {
      const result = await gw.gql(`query ($id: String!) { paymentStatus(externalId: $id) { status amount } }`, { id: externalId });
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
