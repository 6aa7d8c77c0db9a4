import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKaspiSandbox, type RunningKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { makeTestCertificates, type TestCertificates } from '../providers/support/test-certificates';
import { CREATE_PAYMENT, LOGS, PAYMENT_STATUS, PAYMENT_STATUS_CHANGED, REFUND } from '../support/documents';
import { collect, eventually, startTestGateway, type TestGateway } from '../support/gateway';
import { routeShop } from '../support/sandbox';

const SHOP = 62;
const PROXY_TOKEN = 'proxy-secret-token-qr-456';

type Mode = 'direct' | 'proxy';

interface Setting {
  sandbox: RunningKaspiSandbox;
  gw: TestGateway;
  ca: string | Buffer | null;
  dispose(): void;
}

async function start(mode: Mode, lifetimes: { qrOpenTimeoutSec?: number; qrConfirmationTimeoutSec?: number } = {}): Promise<Setting> {
  // Kaspi's pace for QR codes and links, shortened so that a test does not sit out 5 s per poll.
  const pace = { autoAdvanceMs: 0, qrPollingIntervalSec: 1, ...lifetimes };
  if (mode === 'proxy') {
    const sandbox = await startKaspiSandbox({ ...pace, proxyAccessToken: PROXY_TOKEN });
    const gw = await startTestGateway({ PRODUCTION_API_URL: `${sandbox.url}/proxy`, KASPI_ACCESS_TOKEN: PROXY_TOKEN });
    return { sandbox, gw, ca: null, dispose: () => undefined };
  }
  const certificates: TestCertificates = makeTestCertificates();
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-qr-cert-'));
  for (const [name, text] of [['client.crt', certificates.clientCert], ['client.key', certificates.clientKey], ['ca.crt', certificates.ca]] as const) {
    fs.writeFileSync(path.join(certDir, name), text);
  }
  const sandbox = await startKaspiSandbox({ ...pace, tls: { key: certificates.serverKey, cert: certificates.serverCert, ca: certificates.ca } });
  const gw = await startTestGateway({
    KASPI_BASE_URL: sandbox.url,
    KASPI_CLIENT_CERT: path.join(certDir, 'client.crt'),
    KASPI_CLIENT_KEY: path.join(certDir, 'client.key'),
    KASPI_CLIENT_PASSPHRASE: certificates.passphrase,
    KASPI_CA_CERT: path.join(certDir, 'ca.crt'),
  });
  return {
    sandbox,
    gw,
    ca: certificates.ca,
    dispose: () => {
      certificates.dispose();
      fs.rmSync(certDir, { recursive: true, force: true });
    },
  };
}

/** What a customer's browser does on the page a link leads to: presses a button. */
function press(pageUrl: string, action: string, ca: string | Buffer | null): Promise<{ status: number; body: unknown }> {
  if (!ca) {
    return fetch(`${pageUrl}/${action}`, { method: 'POST', headers: { Accept: 'application/json' } }).then(async (response) => ({
      status: response.status,
      body: await response.json(),
    }));
  }
  return new Promise((resolve, reject) => {
    const request = https.request(`${pageUrl}/${action}`, { method: 'POST', ca, headers: { Accept: 'application/json' } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on('error', reject).end();
  });
}

describe.each<Mode>(['direct', 'proxy'])('Kaspi QR codes and payment links (%s)', (mode) => {
  let setting: Setting;

  beforeAll(async () => {
    setting = await start(mode);
    await routeShop(setting.gw, { shopId: SHOP, organizationBin: '210440028324', deviceToken: '2e3d4c5b-6a79-4889-8a0b-c1d2e3f4a5b7' });
  });

  afterAll(async () => {
    await setting?.gw.stop();
    await setting?.sandbox.close();
    setting?.dispose();
  });

  it('takes a QR payment and a link payment to PROCESSED, seen by a subscriber, and refunds both', async () => {
    const { gw, sandbox, ca } = setting;
    const changes = collect<{ paymentStatusChanged: { status: string; payment: { id: string; method: string } } }>(gw.subscribe(), PAYMENT_STATUS_CHANGED, { shopId: SHOP });

    const qr = (await gw.gql(CREATE_PAYMENT, { input: { shopId: SHOP, amount: 150.5, method: 'KASPI_QR', idempotencyKey: `qr-${mode}` } })).data.createPayment;
    // No method and no phone: Kaspi's default is a payment link.
    const link = (await gw.gql(CREATE_PAYMENT, { input: { shopId: SHOP, amount: 80, message: 'Order 7', idempotencyKey: `link-${mode}` } })).data.createPayment;

    expect([qr.errors, link.errors]).toEqual([[], []]);
    expect(qr.payment).toMatchObject({ status: 'WAITING', providerStatus: 'QrTokenCreated', method: 'KASPI_QR', paymentUrl: null, phoneMasked: '' });
    expect(link.payment).toMatchObject({ status: 'WAITING', method: 'KASPI_LINK', qrToken: null, qrSvg: null });
    expect(qr.payment.qrToken).toBe(`${sandbox.url}/pay/${qr.payment.externalId}`);
    expect(qr.payment.qrSvg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);
    expect(link.payment.paymentUrl).toBe(`${sandbox.url}/pay/${link.payment.externalId}`);
    const kaspiQr = sandbox.sandbox.payment(qr.payment.externalId)!;
    expect(kaspiQr).toMatchObject({ kind: 'qr', amount: 150.5, mode });
    expect(Date.parse(qr.payment.expiresAt)).toBe(Date.parse(kaspiQr.expiresAt!));
    expect(sandbox.sandbox.payment(link.payment.externalId)).toMatchObject({ kind: 'link', amount: 80, mode });

    sandbox.sandbox.simulateCustomer(qr.payment.externalId, 'scan');
    sandbox.sandbox.simulateCustomer(qr.payment.externalId, 'confirm');
    expect(await press(link.payment.paymentUrl, 'confirm', ca)).toEqual({ status: 200, body: { qrPaymentId: link.payment.externalId, status: 'Processed' } });

    const processed = (events: typeof changes.events) =>
      new Set(events.filter((event) => event.paymentStatusChanged.status === 'PROCESSED').map((event) => event.paymentStatusChanged.payment.method));
    await changes.waitFor((events) => processed(events).size === 2, 15_000);
    expect(processed(changes.events)).toEqual(new Set(['KASPI_QR', 'KASPI_LINK']));

    for (const [payment, amount] of [[qr.payment, 100.5], [link.payment, 80]] as const) {
      const refund = (await gw.gql(REFUND, { input: { shopId: SHOP, externalId: payment.externalId, amount } })).data.refund;
      expect(refund).toMatchObject({ errors: [], refund: { status: 'SUCCEEDED' } });
      expect(sandbox.sandbox.payment(payment.externalId)?.refundedAmount).toBe(amount);
    }
    const createCalls = sandbox.sandbox.snapshot().calls.filter((call) => call.operation.startsWith('qr-create'));
    expect(createCalls.map((call) => [call.operation, call.mode])).toEqual([['qr-create', mode], ['qr-create-link', mode]]);
  });

  it('leaves a QR or link payment whose create answer was lost UNKNOWN, and never sends it again', async () => {
    const { gw, sandbox } = setting;
    sandbox.sandbox.injectFault({ operation: 'qr-create', fault: 'drop' });
    sandbox.sandbox.injectFault({ operation: 'qr-create-link', fault: 'empty' });
    const inputs = [
      { shopId: SHOP, amount: 10, method: 'KASPI_QR', idempotencyKey: `lost-qr-${mode}` },
      { shopId: SHOP, amount: 11, method: 'KASPI_LINK', idempotencyKey: `lost-link-${mode}` },
    ];
    const before = sandbox.sandbox.snapshot().calls.length;

    const first = await Promise.all(inputs.map(async (input) => (await gw.gql(CREATE_PAYMENT, { input })).data.createPayment));
    const retried = await Promise.all(inputs.map(async (input) => (await gw.gql(CREATE_PAYMENT, { input })).data.createPayment));

    for (const [index, answer] of first.entries()) {
      expect(answer.payment).toMatchObject({ status: 'UNKNOWN', externalId: null });
      expect(answer.errors).toMatchObject([{ code: 'PROVIDER_UNAVAILABLE', retryable: false }]);
      expect(retried[index].payment.id).toBe(answer.payment.id);
      expect(retried[index].payment.status).toBe('UNKNOWN');
    }
    const calls = sandbox.sandbox.snapshot().calls.slice(before);
    expect(calls.map((call) => call.operation).sort()).toEqual(['qr-create', 'qr-create-link']);
    // Kaspi made both: the sandbox holds the two payments nobody was told about, for a human to attach.
    expect(sandbox.sandbox.snapshot().payments.filter((payment) => [10, 11].includes(payment.amount))).toHaveLength(2);
  });

  it('refuses a method the input cannot make before anything is sent', async () => {
    const { gw, sandbox } = setting;
    const before = sandbox.sandbox.snapshot().calls.length;
    const remote = (await gw.gql(CREATE_PAYMENT, { input: { shopId: SHOP, amount: 10, method: 'KASPI_REMOTE' } })).data.createPayment;
    const card = (await gw.gql(CREATE_PAYMENT, { input: { shopId: SHOP, amount: 10, method: 'CLOUDPAYMENTS_LINK' } })).data.createPayment;
    expect(remote).toMatchObject({ payment: null, errors: [{ code: 'PAYMENT_METHOD_NOT_SUPPORTED', field: ['input', 'phone'] }] });
    expect(card).toMatchObject({ payment: null, errors: [{ code: 'PAYMENT_METHOD_NOT_SUPPORTED', field: ['input', 'method'] }] });
    expect(sandbox.sandbox.snapshot().calls.length).toBe(before);
  });
});

describe('the end Kaspi sets to a QR code or link', () => {
  // Kaspi stops taking an unopened code 3 s after the create; one opened in time has 3 s more to be confirmed.
  const OPEN_SEC = 3;
  const CONFIRM_SEC = 3;
  let setting: Setting;

  beforeAll(async () => {
    setting = await start('proxy', { qrOpenTimeoutSec: OPEN_SEC, qrConfirmationTimeoutSec: CONFIRM_SEC });
    await routeShop(setting.gw, { shopId: SHOP, organizationBin: '210440028324', deviceToken: '2e3d4c5b-6a79-4889-8a0b-c1d2e3f4a5b7' });
  });

  afterAll(async () => {
    await setting?.gw.stop();
    await setting?.sandbox.close();
    setting?.dispose();
  });

  const statusOf = async (externalId: string) => (await setting.gw.gql(PAYMENT_STATUS, { externalId })).data.paymentStatus;

  it('expires a QR code nobody opened and a link nobody followed once Kaspi stops taking them, with nothing to cancel', async () => {
    const { gw, sandbox } = setting;
    const qr = (await gw.gql(CREATE_PAYMENT, { input: { shopId: SHOP, amount: 31, method: 'KASPI_QR' } })).data.createPayment.payment;
    const link = (await gw.gql(CREATE_PAYMENT, { input: { shopId: SHOP, amount: 32, method: 'KASPI_LINK' } })).data.createPayment.payment;
    for (const payment of [qr, link]) {
      await eventually(async () => ((await statusOf(payment.externalId)).status === 'EXPIRED' ? true : undefined), 30_000, `${payment.method} to expire`);
    }
    for (const payment of [qr, link]) {
      const logs = (await gw.gql(LOGS, { externalId: payment.externalId })).data.logs;
      const expiry = logs.find((row: { errorMessage: string | null }) => row.errorMessage === 'not paid before the provider stopped taking it');
      expect(expiry).toMatchObject({ operationType: 'STATUS' });
      // Not before ExpireDate and the confirmation time after it: a customer who opened it could still pay until then.
      expect(Date.parse(expiry.createdAt)).toBeGreaterThanOrEqual(Date.parse(payment.expiresAt) + CONFIRM_SEC * 1000);
      // The customer can no longer open it.
      expect(() => sandbox.sandbox.simulateCustomer(payment.externalId, 'scan')).toThrow(/expired/);
    }
    const cancels = sandbox.sandbox.snapshot().calls.filter((call) => call.operation.includes('cancel'));
    expect(cancels).toEqual([]);
  });

  it('takes a QR code opened before its ExpireDate and confirmed after it to PROCESSED', async () => {
    const { gw, sandbox } = setting;
    const qr = (await gw.gql(CREATE_PAYMENT, { input: { shopId: SHOP, amount: 33, method: 'KASPI_QR' } })).data.createPayment.payment;
    sandbox.sandbox.simulateCustomer(qr.externalId, 'scan');
    // The customer looks at the amount until the code's ExpireDate has passed, then confirms.
    await eventually(async () => (Date.now() > Date.parse(qr.expiresAt) + 200 ? true : undefined), 10_000, 'ExpireDate to pass');
    sandbox.sandbox.simulateCustomer(qr.externalId, 'confirm');
    await eventually(async () => ((await statusOf(qr.externalId)).status === 'PROCESSED' ? true : undefined), 15_000, 'PROCESSED');
  });
});
