import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_KASPI_PAYMENT, LOGS, PAYMENT, PAYMENT_STATUS, PAYMENT_STATUS_CHANGED, REFUND, RESOLVE_UNKNOWN_PAYMENT, RESOLVE_UNKNOWN_REFUND } from '../support/documents';
import { collect, eventually, type TestGateway } from '../support/gateway';
import { startSandboxedGateway } from '../support/sandbox';

const SHOP = 81;

describe('reconciling what the gateway could not learn at once', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  beforeAll(async () => {
    ({ gw, sandbox } = await startSandboxedGateway(
      [{ shopId: SHOP, organizationBin: '210440028324', deviceToken: '5b6c7d8e-9f01-4a2b-8c3d-4e5f6a7b8c9d' }],
      { PAYMENT_LIFETIME_MS: '4000' },
    ));
  });

  afterAll(async () => {
    await gw?.stop();
  });

  async function paid(amount: number) {
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount, phone: '77015211545' } });
    const { id, externalId } = created.data.createKaspiPayment.payment;
    await sandbox.confirm(externalId);
    await eventually(async () => ((await gw.gql(PAYMENT, { id })).data.payment.status === 'PROCESSED' ? true : undefined));
    return { id, externalId };
  }

  it('lets an admin attach the invoice id to an UNKNOWN payment, after which polling takes over', async () => {
    await sandbox.injectFault({ operation: 'create', fault: 'drop' });
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 64, phone: '77015211545' } });
    const { id } = created.data.createKaspiPayment.payment;
    expect(created.data.createKaspiPayment.payment.status).toBe('UNKNOWN');
    // The invoice reached Kaspi although its answer was lost; an admin finds it there.
    const invoice = (await sandbox.state()).payments.find((payment) => payment.amount === 64)!;

    const listed = await gw.gql(`{ payments(status: UNKNOWN, shopId: ${SHOP}) { id } }`);
    expect(listed.data.payments.map((payment: any) => payment.id)).toContain(id);

    const noReason = await gw.gql(RESOLVE_UNKNOWN_PAYMENT, { input: { paymentId: id, externalId: invoice.qrPaymentId, reason: '' } });
    expect(noReason.data.resolveUnknownPayment.errors[0].code).toBe('BAD_INPUT');
    const resolved = await gw.gql(RESOLVE_UNKNOWN_PAYMENT, {
      input: { paymentId: id, externalId: invoice.qrPaymentId, reason: 'found in the Kaspi merchant cabinet by amount and time' },
    });
    expect(resolved.data.resolveUnknownPayment.errors).toEqual([]);
    expect(resolved.data.resolveUnknownPayment.payment).toMatchObject({ status: 'WAITING', externalId: invoice.qrPaymentId });

    await sandbox.confirm(invoice.qrPaymentId);
    await eventually(async () => ((await gw.gql(PAYMENT, { id })).data.payment.status === 'PROCESSED' ? true : undefined));

    const again = await gw.gql(RESOLVE_UNKNOWN_PAYMENT, { input: { paymentId: id, markFailed: true, reason: 'second thoughts' } });
    expect(again.data.resolveUnknownPayment.errors[0].code).toBe('BAD_INPUT');

    const logs = await gw.gql(LOGS, { externalId: invoice.qrPaymentId });
    expect(logs.data.logs).toContainEqual(expect.objectContaining({ operationType: 'RESOLVE', actor: 'env-admin-1', status: 'UNKNOWN' }));
  });

  it('lets an admin mark FAILED an UNKNOWN payment that never reached Kaspi', async () => {
    await sandbox.injectFault({ operation: 'create', fault: 'http5xx' });
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 65, phone: '77015211545' } });
    const { id } = created.data.createKaspiPayment.payment;
    const resolved = await gw.gql(RESOLVE_UNKNOWN_PAYMENT, { input: { paymentId: id, markFailed: true, reason: 'no such invoice in the cabinet' } });
    expect(resolved.data.resolveUnknownPayment.payment.status).toBe('FAILED');
  });

  it('settles unknown refunds from what Kaspi says is left to refund', async () => {
    const { id, externalId } = await paid(100);
    // The first refund went through at Kaspi but its answer was lost; the second never got there.
    await sandbox.injectFault({ operation: 'refund', fault: 'empty', applied: true });
    const made = await gw.gql(REFUND, { input: { shopId: SHOP, externalId, amount: 10 } });
    await sandbox.injectFault({ operation: 'refund', fault: 'http5xx', applied: false });
    const lost = await gw.gql(REFUND, { input: { shopId: SHOP, externalId, amount: 20 } });
    expect([made.data.refund.refund.status, lost.data.refund.refund.status]).toEqual(['UNKNOWN', 'UNKNOWN']);
    expect((await gw.gql(PAYMENT, { id })).data.payment.refundableAmount).toBe(70);

    const settled = await eventually(async () => {
      const payment = (await gw.gql(PAYMENT, { id })).data.payment;
      return payment.refunds.every((refund: any) => refund.status !== 'UNKNOWN') ? payment : undefined;
    }, 15_000, 'the unknown refunds to be settled');
    expect(settled.refunds.map((refund: any) => [refund.amount, refund.status])).toEqual([
      [10, 'SUCCEEDED'],
      [20, 'FAILED'],
    ]);
    expect(settled).toMatchObject({ refundedAmount: 10, refundableAmount: 90 });
    expect((await sandbox.payment(externalId))?.refundedAmount).toBe(10);
  });

  it('lets an admin settle an unknown refund, and it counts exactly once', async () => {
    const { externalId } = await paid(50);
    await sandbox.injectFault({ operation: 'refund', fault: 'drop', applied: true });
    const made = await gw.gql(REFUND, { input: { shopId: SHOP, externalId, amount: 5 } });
    const resolved = await gw.gql(RESOLVE_UNKNOWN_REFUND, {
      input: { refundId: made.data.refund.refund.id, outcome: 'SUCCEEDED', reason: 'return seen in the Kaspi cabinet' },
    });
    // The sweep may have settled it first; either way it is SUCCEEDED exactly once.
    const status = resolved.data.resolveUnknownRefund.refund?.status ?? 'SUCCEEDED';
    expect(status).toBe('SUCCEEDED');
    const payment = await gw.gql(PAYMENT_STATUS, { externalId });
    expect(payment.data.paymentStatus.refundedAmount).toBe(5);
  });

  it('answers REFUND_NOT_FOUND, naming the field, for a refund id that does not exist, and writes nothing', async () => {
    const answer = await gw.gql(RESOLVE_UNKNOWN_REFUND, {
      input: { refundId: '00000000-0000-4000-8000-000000000000', outcome: 'SUCCEEDED', reason: 'return seen in the Kaspi cabinet' },
    });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.resolveUnknownRefund).toMatchObject({ refund: null, errors: [{ code: 'REFUND_NOT_FOUND', field: ['input', 'refundId'], retryable: false }] });
    expect((await gw.gql(`{ logs(id: "00000000-0000-4000-8000-000000000000") { id } }`)).data.logs).toEqual([]);
  });

  it('expires an unpaid payment at the end of its lifetime and cancels the invoice at Kaspi', async () => {
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 66, phone: '77015211545' } });
    const { id, externalId } = created.data.createKaspiPayment.payment;
    await eventually(async () => ((await gw.gql(PAYMENT, { id })).data.payment.status === 'EXPIRED' ? true : undefined), 15_000, 'EXPIRED');
    expect((await sandbox.payment(externalId))?.status).toBe('RemotePaymentCanceled');
  });

  it('keeps an unrecognised Kaspi status word without guessing an outcome', async () => {
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 67, phone: '77015211545' } });
    const { id, externalId } = created.data.createKaspiPayment.payment;
    await sandbox.forceStatus(externalId, 'RemotePaymentRejected');
    const payment = await eventually(async () => {
      const current = (await gw.gql(PAYMENT, { id })).data.payment;
      return current.providerStatus === 'RemotePaymentRejected' ? current : undefined;
    });
    expect(payment.status).toBe('WAITING');
  });

  it('replays every change committed after `since` to a client that reconnects, then goes live', async () => {
    const since = new Date().toISOString();
    const first = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 68, phone: '77015211545' } });
    await sandbox.confirm(first.data.createKaspiPayment.payment.externalId);
    await eventually(async () =>
      (await gw.gql(PAYMENT, { id: first.data.createKaspiPayment.payment.id })).data.payment.status === 'PROCESSED' ? true : undefined,
    );

    const subscriber = collect<any>(
      gw.subscribe(),
      PAYMENT_STATUS_CHANGED,
      { shopId: SHOP, since },
    );
    // Payments of earlier tests in this shop may expire meanwhile: follow this test's own.
    const of = (events: any[], paymentId: string) => events.filter((event) => event.paymentStatusChanged.payment.id === paymentId);
    const firstId = first.data.createKaspiPayment.payment.id;
    const replayed = of(await subscriber.waitFor((events) => of(events, firstId).length >= 2), firstId);
    expect(replayed.map((event) => `${event.paymentStatusChanged.previousStatus}->${event.paymentStatusChanged.status}`)).toEqual([
      'PENDING->WAITING',
      'WAITING->PROCESSED',
    ]);
    const second = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 69, phone: '77015211545' } });
    const secondId = second.data.createKaspiPayment.payment.id;
    const live = await subscriber.waitFor((events) => of(events, secondId).length >= 1);
    expect(live.indexOf(of(live, secondId)[0])).toBeGreaterThan(live.indexOf(replayed[1]));
    const ids = live.map((event) => event.paymentStatusChanged.id);
    expect(new Set(ids).size).toBe(ids.length);
    subscriber.unsubscribe();
  });
});

describe('an upstream status word longer than the columns that keep it', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  beforeAll(async () => {
    ({ gw, sandbox } = await startSandboxedGateway([{ shopId: 82, organizationBin: '210440028324', deviceToken: '5b6c7d8e-9f01-4a2b-8c3d-4e5f6a7b8c9e' }]));
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('cuts a status word longer than its columns, keeps the payment readable and goes on reconciling', async () => {
    const word = `RemotePayment${'Unheard'.repeat(12)}`;
    const odd = (await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 82, amount: 70, phone: '77015211545' } })).data.createKaspiPayment.payment;
    const other = (await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 82, amount: 71, phone: '77015211545' } })).data.createKaspiPayment.payment;
    await sandbox.forceStatus(odd.externalId, word);
    // Read until Kaspi's new word is in: a read within the minimum poll interval answers what is stored.
    const read = await eventually(async () => {
      const answer = await gw.gql(PAYMENT_STATUS, { externalId: odd.externalId });
      expect(answer.errors).toBeUndefined();
      return answer.data.paymentStatus.providerStatus === 'RemotePaymentCreated' ? undefined : answer;
    }, 10_000, 'the overlong status word to be read');
    expect(read.data.paymentStatus).toMatchObject({ status: 'WAITING', providerStatus: word.slice(0, 64) });
    const logs = await gw.gql(LOGS, { externalId: odd.externalId });
    expect(logs.errors).toBeUndefined();
    expect(logs.data.logs).toContainEqual(expect.objectContaining({ operationType: 'STATUS', status: word.slice(0, 50) }));

    await sandbox.confirm(other.externalId);
    await eventually(async () => ((await gw.gql(PAYMENT, { id: other.id })).data.payment.status === 'PROCESSED' ? true : undefined), 10_000, 'the other payment to be reconciled');
    await sandbox.forceStatus(odd.externalId, 'Processed');
    await eventually(async () => ((await gw.gql(PAYMENT, { id: odd.id })).data.payment.status === 'PROCESSED' ? true : undefined), 10_000, 'the odd payment to be reconciled');
  });
});
