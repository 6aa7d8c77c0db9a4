import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signNotification } from '../../src/providers/cloudpayments/cloudpayments.notifications';
import type { CloudPaymentsSandbox } from '../../src/sandbox/cloudpayments/cloudpayments-sandbox';
import type { CloudPaymentsFaultKind } from '../../src/sandbox/cloudpayments/cloudpayments-sandbox.types';
import { CREATE_CONFIG, CREATE_KASPI_PAYMENT, CREATE_PAYMENT, LOGS, PAYMENT, REFUND, UPDATE_CONFIG } from '../support/documents';
import { eventually, startTestGateway, TEST_ENCRYPTION_KEYS, type TestGateway } from '../support/gateway';
import { routeShop } from '../support/sandbox';

const PAID_CARD = '4242424242424242';
const KASPI_SHOP = 8;
const CLOUDPAYMENTS_SHOP = 9;
const PUBLIC_ID = 'pk_4b1d2c3e4f5a6b7c8d9e0f1a2b3c4';
const API_SECRET = 'cp-secret-7f3e9a1c5b2d8e4f6a0b';

describe('a CloudPayments shop beside a Kaspi shop in one gateway', () => {
  let gw: TestGateway;
  let cloudPayments: CloudPaymentsSandbox;
  /** The payment paid through the invoice page, refunded further down. */
  let paid: { id: string; externalId: string; transactionId: number };

  const createCardPayment = async (amount = 100.5, extra: Record<string, unknown> = {}) => {
    const answer = await gw.gql(CREATE_PAYMENT, { input: { shopId: CLOUDPAYMENTS_SHOP, amount, method: 'CLOUDPAYMENTS_LINK', ...extra } });
    return answer.data.createPayment as { payment: any; errors: any[] };
  };
  const payment = async (id: string) => (await gw.gql(PAYMENT, { id })).data.payment;
  const orderOf = (paymentId: string) => cloudPayments.snapshot().orders.find((order) => order.InvoiceId === paymentId);
  const notify = (type: string, fields: Record<string, string>, secret: string | null) => {
    const body = new URLSearchParams(fields).toString();
    return fetch(`${gw.url}/notifications/cloudpayments/${type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(secret ? { 'content-hmac': signNotification(body, secret) } : {}) },
      body,
    });
  };
  /** Audit rows written on a notification's word (the reconciler writes its own as it polls). */
  const notified = async () =>
    (await gw.gql(LOGS, { shopId: CLOUDPAYMENTS_SHOP, limit: 500 })).data.logs.filter((row: { actor: string }) => row.actor === 'cloudpayments notification').length;

  beforeAll(async () => {
    gw = await startTestGateway({ ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, CLOUDPAYMENTS_TIMEOUT_MS: '1500' });
    await routeShop(gw, { shopId: KASPI_SHOP, organizationBin: '891027350515', deviceToken: '66cbf4e5-0193-45f3-8d97-362c98374466' });
    cloudPayments = gw.gateway.cloudPaymentsSandbox!;
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
    expect(created.data.createConfig.errors).toEqual([]);
    expect(created.data.createConfig.config).toMatchObject({
      shopId: CLOUDPAYMENTS_SHOP,
      provider: 'cloudpayments',
      organizationBin: '210440028324',
      deviceToken: null,
      cloudPaymentsPublicId: PUBLIC_ID,
      isActive: true,
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

  it('refuses a method the shop\'s provider does not take, either way round', async () => {
    const kaspiOnCloudPayments = await createCardPayment(10, { method: 'KASPI_REMOTE', phone: '77015211545' });
    expect(kaspiOnCloudPayments.errors).toMatchObject([{ code: 'PAYMENT_METHOD_NOT_SUPPORTED' }]);
    const cardOnKaspi = await gw.gql(CREATE_PAYMENT, { input: { shopId: KASPI_SHOP, amount: 10, method: 'CLOUDPAYMENTS_LINK' } });
    expect(cardOnKaspi.data.createPayment.errors).toMatchObject([{ code: 'PAYMENT_METHOD_NOT_SUPPORTED' }]);
    expect(cloudPayments.snapshot().orders).toEqual([]);
  });

  it('takes a card payment on the invoice page to PROCESSED through a signed notification, beside a Kaspi payment', async () => {
    const created = await createCardPayment(100.5, { phone: '+7 701 521 15 45', email: 'buyer@example.kz', message: 'Order 42', idempotencyKey: 'order-42' });
    expect(created.errors).toEqual([]);
    expect(created.payment).toMatchObject({ status: 'WAITING', providerStatus: 'Created', method: 'CLOUDPAYMENTS_LINK', amount: 100.5 });
    const order = orderOf(created.payment.id)!;
    expect(order).toMatchObject({ Id: created.payment.externalId, publicId: PUBLIC_ID, Amount: 100.5, Currency: 'KZT', RequireConfirmation: false });
    expect(order).toMatchObject({ Phone: '+77015211545', SendSms: true, Email: 'buyer@example.kz', SendEmail: true, Description: 'Order 42' });
    expect(cloudPayments.snapshot().calls[0]).toMatchObject({ operation: 'create', requestId: created.payment.id });
    expect(created.payment.paymentUrl).toBe(`${gw.url}/sandbox/cloudpayments/invoice/${order.Id}`);

    const kaspi = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: KASPI_SHOP, amount: 70, phone: '77015211545' } });
    expect(kaspi.data.createKaspiPayment.payment.status).toBe('WAITING');

    expect(await (await fetch(created.payment.paymentUrl)).text()).toContain('100.5 ₸');
    const page = await fetch(`${created.payment.paymentUrl}/pay`, { method: 'POST', body: new URLSearchParams({ card: PAID_CARD }) });
    expect(await page.text()).toContain('Payment completed.');
    expect(cloudPayments.snapshot().notifications.map((n) => [n.type, n.httpStatus, n.answer])).toEqual([
      ['check', 200, { code: 0 }],
      ['pay', 200, { code: 0 }],
    ]);
    const settled = await payment(created.payment.id);
    expect(settled).toMatchObject({ status: 'PROCESSED', providerStatus: 'Completed', refundableAmount: 100.5 });
    const logs = (await gw.gql(LOGS, { shopId: CLOUDPAYMENTS_SHOP, limit: 500 })).data.logs;
    // The notification's row; the reconciler may write rows of its own checks after it.
    expect(logs).toContainEqual(expect.objectContaining({ operationType: 'STATUS', status: 'Completed', actor: 'cloudpayments notification' }));
    paid = { id: created.payment.id, externalId: created.payment.externalId, transactionId: cloudPayments.snapshot().transactions[0].TransactionId };

    // CloudPayments sends a notification again when it did not like the answer: nothing changes.
    const before = await notified();
    const pay = cloudPayments.snapshot().notifications.find((n) => n.type === 'pay')!;
    expect((await cloudPayments.resendNotification(pay.seq)).answer).toEqual({ code: 0 });
    expect(await notified()).toBe(before);
    expect(await payment(created.payment.id)).toMatchObject({ status: 'PROCESSED', providerStatus: 'Completed', refundableAmount: 100.5 });

    gw.gateway.sandbox!.simulateCustomer(kaspi.data.createKaspiPayment.payment.externalId, 'confirm');
    const kaspiId = kaspi.data.createKaspiPayment.payment.id;
    await eventually(async () => ((await payment(kaspiId)).status === 'PROCESSED' ? true : undefined), 10_000, 'the Kaspi payment');
  });

  it('refuses a forged or unsigned notification with nothing changed, and answers a check with CloudPayments\' codes', async () => {
    const { payment: waiting } = await createCardPayment(30);
    const fields = { TransactionId: '777', Amount: '30.00', Currency: 'KZT', InvoiceId: waiting.id, Status: 'Completed', OperationType: 'Payment' };
    const before = await notified();
    expect((await notify('pay', fields, null)).status).toBe(401);
    expect((await notify('pay', fields, 'a-secret-that-is-not-the-shops')).status).toBe(401);
    expect(await notified()).toBe(before);
    expect(await payment(waiting.id)).toMatchObject({ status: 'WAITING', providerStatus: 'Created' });

    const check = async (invoiceId: string, amount: string) => (await (await notify('check', { ...fields, InvoiceId: invoiceId, Amount: amount }, API_SECRET)).json()) as unknown;
    expect(await check(waiting.id, '30.00')).toEqual({ code: 0 });
    expect(await check(waiting.id, '31.00')).toEqual({ code: 12 });
    expect(await check(randomUUID(), '30.00')).toEqual({ code: 10 });
    expect(await notified()).toBe(before);
  });

  it('refunds partially and then fully by the paying transaction, and refuses a third', async () => {
    const refund = (amount: number) => gw.gql(REFUND, { input: { shopId: CLOUDPAYMENTS_SHOP, externalId: paid.externalId, amount } });
    expect((await refund(40)).data.refund).toMatchObject({ refund: { amount: 40, status: 'SUCCEEDED' }, payment: { refundableAmount: 60.5 }, errors: [] });
    expect((await refund(60.5)).data.refund).toMatchObject({ refund: { status: 'SUCCEEDED' }, payment: { refundedAmount: 100.5, refundableAmount: 0 } });
    expect((await refund(1)).data.refund.errors).toMatchObject([{ code: 'REFUND_EXCEEDS_AVAILABLE' }]);
    const sent = cloudPayments.snapshot().calls.filter((call) => call.operation === 'refund');
    expect(sent.map((call) => call.body)).toEqual([
      { TransactionId: paid.transactionId, Amount: 40 },
      { TransactionId: paid.transactionId, Amount: 60.5 },
    ]);
  });

  it('reaches PROCESSED through a lookup by our reference when notifications are dropped, also for a create whose answer was lost', async () => {
    cloudPayments.configure({ sendNotifications: false });
    try {
      const { payment: waiting } = await createCardPayment(12);
      cloudPayments.injectFault({ operation: 'create', fault: 'drop' });
      const lost = await createCardPayment(13, { email: 'buyer@example.kz' });
      expect(lost.payment).toMatchObject({ status: 'UNKNOWN', externalId: null });
      expect(lost.errors).toMatchObject([{ code: 'PROVIDER_UNAVAILABLE', retryable: false }]);

      // The customer pays both: one from the page, one from the link CloudPayments e-mailed.
      await cloudPayments.pay(waiting.externalId, PAID_CARD);
      await cloudPayments.pay(orderOf(lost.payment.id)!.Id, PAID_CARD);
      for (const id of [waiting.id, lost.payment.id]) {
        await eventually(async () => ((await payment(id)).status === 'PROCESSED' ? true : undefined), 10_000, `payment ${id} PROCESSED`);
      }
      const found = await payment(lost.payment.id);
      expect(found.externalId).toMatch(/^\d+$/);
      const finds = cloudPayments.snapshot().calls.filter((call) => call.operation === 'find').map((call) => call.body.InvoiceId);
      expect(finds).toEqual(expect.arrayContaining([waiting.id, lost.payment.id]));
      const refunded = await gw.gql(REFUND, { input: { shopId: CLOUDPAYMENTS_SHOP, externalId: found.externalId, amount: 13 } });
      expect(refunded.data.refund.refund.status).toBe('SUCCEEDED');
    } finally {
      cloudPayments.configure({ sendNotifications: true });
    }
  });

  it('leaves nothing FAILED that CloudPayments did not fail, and settles what it did', async () => {
    const applied: CloudPaymentsFaultKind[] = ['drop', 'empty', 'malformed', 'latency'];
    for (const fault of [...applied, 'http5xx', 'throttle'] as CloudPaymentsFaultKind[]) {
      cloudPayments.injectFault({ operation: 'create', fault, latencyMs: 2_500 });
      const { payment: created, errors } = await createCardPayment(5);
      const exists = orderOf(created.id) !== undefined;
      expect([fault, created.status, exists]).toEqual([fault, fault === 'throttle' ? 'FAILED' : 'UNKNOWN', applied.includes(fault)]);
      expect(errors).toMatchObject([{ code: 'PROVIDER_UNAVAILABLE' }]);
    }

    const { payment: target } = await createCardPayment(50);
    await cloudPayments.pay(target.externalId, PAID_CARD);
    const refund = (amount: number) => gw.gql(REFUND, { input: { shopId: CLOUDPAYMENTS_SHOP, externalId: target.externalId, amount } });
    cloudPayments.injectFault({ operation: 'refund', fault: 'throttle' });
    expect((await refund(10)).data.refund).toMatchObject({ refund: { status: 'FAILED' }, payment: { refundableAmount: 50 } });
    // Made at CloudPayments, the answer lost: reserved while unknown, then settled, counted once.
    cloudPayments.configure({ sendNotifications: false });
    cloudPayments.injectFault({ operation: 'refund', fault: 'drop' });
    const dropped = (await refund(20)).data.refund;
    expect(dropped.refund.status === 'UNKNOWN' && dropped.payment.refundableAmount === 30).toBe(true);
    // Never reached CloudPayments: asked again under its own id, it is made now, once.
    cloudPayments.injectFault({ operation: 'refund', fault: 'http5xx' });
    expect((await refund(5)).data.refund.refund.status).toBe('UNKNOWN');
    cloudPayments.configure({ sendNotifications: true });
    const settled = await eventually(async () => {
      const current = await payment(target.id);
      return current.refunds.every((r: { status: string }) => r.status !== 'UNKNOWN') ? current : undefined;
    }, 15_000, 'the unknown refunds settled');
    expect(settled.refunds.map((r: { amount: number; status: string }) => [r.amount, r.status])).toEqual([
      [10, 'FAILED'],
      [20, 'SUCCEEDED'],
      [5, 'SUCCEEDED'],
    ]);
    expect(settled).toMatchObject({ refundedAmount: 25, refundableAmount: 25 });
    expect(cloudPayments.snapshot().transactions.find((t) => t.InvoiceId === target.id)!.refundedAmount).toBe(25);
  });

  it('finds payments by method, alone or with the shop, and refuses a method that does not exist', async () => {
    const kaspi = async (input: Record<string, unknown>) => {
      const answer = await gw.gql(CREATE_PAYMENT, { input: { shopId: KASPI_SHOP, amount: 7, ...input } });
      expect(answer.data.createPayment.errors).toEqual([]);
      return answer.data.createPayment.payment.id as string;
    };
    const made = {
      KASPI_REMOTE: await kaspi({ method: 'KASPI_REMOTE', phone: '+7 701 521 15 45' }),
      KASPI_QR: await kaspi({ method: 'KASPI_QR' }),
      KASPI_LINK: await kaspi({ method: 'KASPI_LINK' }),
      CLOUDPAYMENTS_LINK: (await createCardPayment(7)).payment.id as string,
    };
    const search = async (filter: Record<string, unknown>) => {
      const answer = await gw.gql(`query ($filter: PaymentSearchInput) { paymentSearch(filter: $filter, limit: 200) { items { id method shopId } totalCount } }`, { filter });
      expect(answer.errors).toBeUndefined();
      return answer.data.paymentSearch as { items: { id: string; method: string; shopId: number }[]; totalCount: number };
    };
    const everything = await search({});
    for (const [method, id] of Object.entries(made)) {
      const page = await search({ method });
      expect(page.items.map((item) => item.id)).toContain(id);
      expect(page.items.every((item) => item.method === method)).toBe(true);
      expect(page.totalCount).toBe(everything.items.filter((item) => item.method === method).length);
      expect(page.totalCount).toBeLessThan(everything.totalCount);
    }
    const qrOfKaspiShop = await search({ method: 'KASPI_QR', shopId: KASPI_SHOP });
    expect(qrOfKaspiShop.items.map((item) => item.id)).toContain(made.KASPI_QR);
    expect(await search({ method: 'KASPI_QR', shopId: CLOUDPAYMENTS_SHOP })).toEqual({ items: [], totalCount: 0 });

    const unknown = await gw.gql(`{ paymentSearch(filter: { method: CASH }) { totalCount } }`);
    expect(unknown.data).toBeUndefined();
    expect(unknown.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('a CloudPayments invoice nobody paid within the payment lifetime', () => {
  const LIFETIME_MS = 3_000;
  let gw: TestGateway;
  let cloudPayments: CloudPaymentsSandbox;

  beforeAll(async () => {
    gw = await startTestGateway({ ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, CLOUDPAYMENTS_TIMEOUT_MS: '1500', PAYMENT_LIFETIME_MS: String(LIFETIME_MS) });
    cloudPayments = gw.gateway.cloudPaymentsSandbox!;
    await routeShop(gw, { shopId: CLOUDPAYMENTS_SHOP, organizationBin: '210440028324', provider: 'cloudpayments', cloudPayments: { publicId: PUBLIC_ID, apiSecret: API_SECRET } });
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('cancels the order at CloudPayments, then EXPIRED; an order whose cancel fails stays as it is and is cancelled on a later pass', async () => {
    const create = async (amount: number) =>
      (await gw.gql(CREATE_PAYMENT, { input: { shopId: CLOUDPAYMENTS_SHOP, amount, method: 'CLOUDPAYMENTS_LINK' } })).data.createPayment.payment;
    const orderOf = (paymentId: string) => cloudPayments.snapshot().orders.find((order) => order.InvoiceId === paymentId);
    const statusOf = async (id: string) => (await gw.gql(PAYMENT, { id })).data.payment.status;

    // The first cancel CloudPayments is asked for fails with a 503, and changes nothing there.
    cloudPayments.injectFault({ operation: 'cancel', fault: 'http5xx', count: 1 });
    const first = await create(41);
    const second = await create(42);
    for (const payment of [first, second]) {
      await eventually(async () => ((await statusOf(payment.id)) === 'EXPIRED' ? true : undefined), 30_000, `payment of ${payment.id} to expire`);
      expect(orderOf(payment.id)?.Status).toBe('Cancelled');
    }
    const cancels = cloudPayments.snapshot().calls.filter((call) => call.operation === 'cancel');
    // Two orders, one refused once: three cancels, and none after a payment was EXPIRED.
    expect(cancels).toHaveLength(3);
    const logs = (await gw.gql(`query ($id: ID) { logs(id: $id) { operationType status errorMessage } }`, { id: first.id })).data.logs;
    expect(logs).toContainEqual(expect.objectContaining({ operationType: 'STATUS', errorMessage: 'not paid within the payment lifetime' }));
    // The invoice page tells the customer it is cancelled, and it cannot be paid any more.
    await expect(cloudPayments.pay(first.externalId, PAID_CARD)).rejects.toThrow();
  });
});
