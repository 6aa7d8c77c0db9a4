import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PaymentMethod } from '../../src/domain/payment-method';
import { PaymentStatus } from '../../src/domain/payment-status';
import { CloudPaymentsCallFailure } from '../../src/providers/cloudpayments/cloudpayments.errors';
import { signNotification } from '../../src/providers/cloudpayments/cloudpayments.notifications';
import { createCloudPaymentsProvider, type CloudPaymentsProvider } from '../../src/providers/cloudpayments/cloudpayments.provider';
import {
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
  type InboundNotification,
  type RoutingSnapshot,
} from '../../src/providers/provider';
import { startCloudPaymentsSandbox, type RunningCloudPaymentsSandbox } from '../../src/sandbox/cloudpayments/cloudpayments-sandbox.server';
import type { CloudPaymentsFaultKind } from '../../src/sandbox/cloudpayments/cloudpayments-sandbox.types';

const PUBLIC_ID = 'pk_0123456789abcdef0123456789abc';
const API_SECRET = 'cp-api-secret-0123456789abcdef';
const ROUTING: RoutingSnapshot = { organizationBin: '210440028324', deviceToken: null, account: { id: PUBLIC_ID, secret: API_SECRET } };
const PAID_CARD = '4242424242424242';
const DECLINED_CARD = '4012888888881881';
const TIMEOUT_MS = 400;

let running: RunningCloudPaymentsSandbox;
let provider: CloudPaymentsProvider;
/** Stands in for the gateway: keeps what CloudPayments notified and answers `{"code":0}`. */
let receiver: http.Server;
const received: InboundNotification[] = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
      received.push({ type: req.url!.split('/').pop()!, headers, rawBody: Buffer.concat(chunks) });
      res.setHeader('content-type', 'application/json');
      res.end('{"code":0}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  running = await startCloudPaymentsSandbox({
    notificationUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notifications/cloudpayments`,
  });
});

afterAll(async () => {
  await running.close();
  await new Promise((resolve) => receiver.close(resolve));
});

beforeEach(() => {
  running.sandbox.reset();
  running.sandbox.configure({ notificationUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notifications/cloudpayments` });
  received.length = 0;
  provider = createCloudPaymentsProvider({ baseUrl: running.url, timeouts: { createMs: TIMEOUT_MS, statusMs: TIMEOUT_MS, refundMs: TIMEOUT_MS } });
});

afterEach(() => provider.close());

const create = (reference = randomUUID(), extra: { phone?: string; email?: string } = {}) =>
  provider.createPayment({ requestId: randomUUID(), reference, routing: ROUTING, amount: 10_050, method: PaymentMethod.CLOUDPAYMENTS_LINK, phone: extra.phone ?? '', message: 'Order 42', email: extra.email });

const find = (reference: string) => provider.findPayment({ requestId: randomUUID(), reference, routing: ROUTING });

async function paidPayment(): Promise<{ reference: string; transactionId: string }> {
  const reference = randomUUID();
  const created = await create(reference);
  await running.sandbox.pay(created.externalId, PAID_CARD);
  const found = await find(reference);
  return { reference, transactionId: found!.providerTransactionId! };
}

describe('the CloudPayments client against the sandbox', () => {
  it('creates a one-stage KZT order under our reference and answers its invoice page, WAITING', async () => {
    const reference = randomUUID();
    const state = await create(reference, { phone: '77015211545', email: 'buyer@example.kz' });

    expect(state).toMatchObject({ providerStatus: 'Created', status: PaymentStatus.WAITING, recognised: true });
    expect(state.paymentUrl).toBe(`${running.url}/invoice/${state.externalId}`);
    const { calls, orders } = running.sandbox.snapshot();
    expect(calls[0]).toMatchObject({ operation: 'create', publicId: PUBLIC_ID, requestId: reference });
    expect(calls[0].body).toEqual({
      Amount: 100.5,
      Currency: 'KZT',
      Description: 'Order 42',
      InvoiceId: reference,
      RequireConfirmation: false,
      Email: 'buyer@example.kz',
      SendEmail: true,
      Phone: '+77015211545',
      SendSms: true,
    });
    expect(orders[0]).toMatchObject({ Id: state.externalId, Amount: 100.5, Status: 'Created' });
  });

  it('refuses a call with a wrong API secret as CloudPayments does, with HTTP 401', async () => {
    await create();
    const wrong = { ...ROUTING, account: { id: PUBLIC_ID, secret: 'not-the-secret-at-all' } };
    const error = await provider.createPayment({ requestId: randomUUID(), reference: randomUUID(), routing: wrong, amount: 100, method: PaymentMethod.CLOUDPAYMENTS_LINK, phone: '' }).catch((e) => e);
    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.providerCode).toBe('HTTP_401');
    expect(String(error.message) + String(error.cause?.message)).not.toContain('not-the-secret-at-all');
  });

  it('finds nothing by our reference before the customer pays, and the completed transaction after', async () => {
    const reference = randomUUID();
    const created = await create(reference);
    expect(await find(reference)).toBeNull();

    await running.sandbox.pay(created.externalId, PAID_CARD);
    const found = await find(reference);
    expect(found).toMatchObject({ providerStatus: 'Completed', status: PaymentStatus.PROCESSED, recognised: true });
    expect(found!.providerTransactionId).toMatch(/^\d+$/);
    expect(await provider.getStatus({ requestId: randomUUID(), externalId: created.externalId, reference, routing: ROUTING })).toMatchObject({
      externalId: created.externalId,
      status: PaymentStatus.PROCESSED,
    });
  });

  it('reads a decline (Success: false with the transaction in Model) as a waiting payment with its reason, not a failure', async () => {
    const reference = randomUUID();
    const created = await create(reference);
    await running.sandbox.pay(created.externalId, DECLINED_CARD);

    const found = await find(reference);
    expect(found).toMatchObject({ providerStatus: 'Declined 5051 InsufficientFunds', status: PaymentStatus.WAITING, recognised: true });
  });

  it('refunds partially and repeatedly by the paying transaction, and refuses more than is left', async () => {
    const { transactionId } = await paidPayment();
    const refund = (amount: number, operationId = randomUUID()) =>
      provider.refund({ requestId: randomUUID(), operationId, externalId: 'x', providerTransactionId: transactionId, routing: ROUTING, amount });

    const first = await refund(4_000);
    const second = await refund(6_050);
    expect(first.returnOperationId).not.toBe(second.returnOperationId);
    const third = await refund(1).catch((e) => e);
    expect(third).toBeInstanceOf(ProviderRejectedError);
    const refunds = running.sandbox.snapshot().calls.filter((call) => call.operation === 'refund');
    expect(refunds[0].body).toEqual({ TransactionId: Number(transactionId), Amount: 40 });
  });

  it('sends a repeated refund under the same operation id as X-Request-ID, which CloudPayments answers once', async () => {
    const { transactionId } = await paidPayment();
    const operationId = randomUUID();
    const request = { requestId: randomUUID(), operationId, externalId: 'x', providerTransactionId: transactionId, routing: ROUTING, amount: 10_050 };
    const first = await provider.refund(request);
    const again = await provider.refund(request);
    expect(again).toEqual(first);
    expect(running.sandbox.snapshot().transactions[0].refundedAmount).toBe(100.5);
  });

  describe('faults', () => {
    const lost: CloudPaymentsFaultKind[] = ['drop', 'empty', 'malformed', 'http5xx'];
    for (const fault of lost) {
      it(`leaves a create unknown, never failed, when the answer is lost (${fault})`, async () => {
        running.sandbox.injectFault({ operation: 'create', fault });
        const error = await create().catch((e) => e);
        expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
        expect(error.cause).toBeInstanceOf(CloudPaymentsCallFailure);
      });
    }

    it('leaves a create unknown when CloudPayments answers after the deadline', async () => {
      running.sandbox.injectFault({ operation: 'create', fault: 'latency', latencyMs: TIMEOUT_MS * 3 });
      const error = await create().catch((e) => e);
      expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(error.cause.transportCode).toBe('TIMEOUT');
    });

    it('reads HTTP 429 as unavailable: nothing was done, the call may be repeated', async () => {
      running.sandbox.injectFault({ operation: 'refund', fault: 'throttle' });
      const { transactionId } = await paidPayment();
      const error = await provider
        .refund({ requestId: randomUUID(), operationId: randomUUID(), externalId: 'x', providerTransactionId: transactionId, routing: ROUTING, amount: 100 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error.providerCode).toBe('HTTP_429');
      expect(running.sandbox.snapshot().transactions[0].refundedAmount).toBe(0);
    });

    it('reads a lost lookup answer as unavailable, since asking again is safe', async () => {
      running.sandbox.injectFault({ operation: 'find', fault: 'http5xx' });
      expect(await find(randomUUID()).catch((e) => e)).toBeInstanceOf(ProviderUnavailableError);
    });

    it('reads a refused connection as unavailable: nothing was sent', async () => {
      const closed = createCloudPaymentsProvider({ baseUrl: 'http://127.0.0.1:1' });
      expect(await closed.createPayment({ requestId: 'r', reference: randomUUID(), routing: ROUTING, amount: 100, method: PaymentMethod.CLOUDPAYMENTS_LINK, phone: '' }).catch((e) => e)).toBeInstanceOf(
        ProviderUnavailableError,
      );
      closed.close();
    });
  });
});

describe('the CloudPayments sandbox', () => {
  it('pays an order from its invoice page and keeps its control API behind the control token', async () => {
    const reference = randomUUID();
    const created = await create(reference);
    const page = await fetch(created.paymentUrl!);
    expect(await page.text()).toContain('100.5 ₸');
    const paid = await fetch(`${created.paymentUrl}/pay`, { method: 'POST', body: new URLSearchParams({ card: PAID_CARD }) });
    expect(await paid.text()).toContain('Payment completed.');
    expect((await find(reference))?.status).toBe(PaymentStatus.PROCESSED);

    expect((await fetch(`${running.url}/_control/state`)).status).toBe(401);
    const state = await fetch(`${running.url}/_control/state`, { headers: { authorization: `Bearer ${running.sandbox.controlToken}` } });
    expect(((await state.json()) as { orders: unknown[] }).orders).toHaveLength(1);
  });
});

describe('CloudPayments notifications', () => {
  it('are signed with the API secret over the raw body, and read as the payment, the decline and the refund', async () => {
    const { reference, transactionId } = await paidPayment();
    await provider.refund({ requestId: 'r', operationId: randomUUID(), externalId: 'x', providerTransactionId: transactionId, routing: ROUTING, amount: 50 });
    await expect.poll(() => received.map((n) => n.type)).toEqual(['check', 'pay', 'refund']);

    const notifications = provider.notifications;
    for (const notification of received) {
      expect(notification.headers['content-hmac']).toBe(signNotification(notification.rawBody, API_SECRET));
      expect(notifications.isSigned(notification)).toBe(true);
      expect(notifications.verify(notification, { id: PUBLIC_ID, secret: API_SECRET })).toBe(true);
      expect(notifications.verify(notification, { id: PUBLIC_ID, secret: 'another-secret' })).toBe(false);
      expect(notifications.read(notification)?.reference).toBe(reference);
    }
    const [check, pay, refund] = received.map((notification) => notifications.read(notification)!.event);
    expect(check).toEqual({ kind: 'check', amount: 10_050 });
    expect(pay).toMatchObject({ kind: 'payment', amount: 10_050, state: { status: PaymentStatus.PROCESSED, providerTransactionId: transactionId } });
    expect(refund).toMatchObject({ kind: 'refund', amount: 50 });
    expect(notifications.answer('check', 'wrong-amount')).toEqual({ httpStatus: 200, body: { code: 12 } });
    expect(notifications.answer('pay', 'accepted')).toEqual({ httpStatus: 200, body: { code: 0 } });
  });

  it('are refused when a byte of the body changed or the signature is missing', async () => {
    const reference = randomUUID();
    const created = await create(reference);
    running.sandbox.configure({ notificationFormat: 'json' });
    await running.sandbox.pay(created.externalId, DECLINED_CARD);
    const fail = received.find((notification) => notification.type === 'fail')!;
    expect(provider.notifications.read(fail)!.event).toMatchObject({ kind: 'payment', state: { providerStatus: 'Declined 5051 InsufficientFunds', status: PaymentStatus.WAITING } });

    const tampered = { ...fail, rawBody: Buffer.from(fail.rawBody.toString().replace('100.50', '1.00')) };
    expect(provider.notifications.verify(tampered, { id: PUBLIC_ID, secret: API_SECRET })).toBe(false);
    const unsigned = { ...fail, headers: { 'content-type': 'application/json' } };
    expect(provider.notifications.isSigned(unsigned)).toBe(false);
    expect(provider.notifications.verify(unsigned, { id: PUBLIC_ID, secret: API_SECRET })).toBe(false);
  });

  it('are not sent while switched off, and recorded as dropped', async () => {
    running.sandbox.configure({ sendNotifications: false });
    const created = await create();
    await running.sandbox.pay(created.externalId, PAID_CARD);
    expect(received).toEqual([]);
    expect(running.sandbox.snapshot().notifications.map((n) => [n.type, n.outcome])).toEqual([
      ['check', 'dropped'],
      ['pay', 'dropped'],
    ]);
  });
});
