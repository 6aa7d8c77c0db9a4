import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { makeTestCertificates, type TestCertificates } from '../providers/support/test-certificates';
import { CREATE_KASPI_PAYMENT, PAYMENT_STATUS, REFUND } from '../support/documents';
import { eventually, startTestGateway, type TestGateway } from '../support/gateway';
import { routeShop } from '../support/sandbox';

const TOKEN = '1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6';

async function payAndRefund(gw: TestGateway, confirm: (externalId: string) => Promise<unknown>) {
  await routeShop(gw, { shopId: 61, organizationBin: '210440028324', deviceToken: TOKEN });
  const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 61, amount: 100, phone: '8 701 521 15 45' } });
  expect(created.data.createKaspiPayment.errors).toEqual([]);
  const { externalId } = created.data.createKaspiPayment.payment;
  await confirm(externalId);
  await eventually(async () => ((await gw.gql(PAYMENT_STATUS, { externalId })).data.paymentStatus.status === 'PROCESSED' ? true : undefined));
  for (const amount of [50, 50]) {
    const refund = await gw.gql(REFUND, { input: { shopId: 61, externalId, amount } });
    expect(refund.data.refund.errors).toEqual([]);
  }
  const third = await gw.gql(REFUND, { input: { shopId: 61, externalId, amount: 1 } });
  expect(third.data.refund.errors[0].code).toBe('REFUND_EXCEEDS_AVAILABLE');
  return externalId as string;
}

describe('Kaspi through the merchant proxy', () => {
  let sandbox: Awaited<ReturnType<typeof startKaspiSandbox>>;
  let gw: TestGateway;

  beforeAll(async () => {
    sandbox = await startKaspiSandbox({ autoAdvanceMs: 0, proxyAccessToken: 'proxy-secret-token-123' });
    gw = await startTestGateway({ PRODUCTION_API_URL: `${sandbox.url}/proxy`, KASPI_ACCESS_TOKEN: 'proxy-secret-token-123' });
  });

  afterAll(async () => {
    await gw?.stop();
    await sandbox?.close();
  });

  it('is chosen by PRODUCTION_API_URL and takes a payment through create, status and refunds', async () => {
    expect(gw.gateway.config.kaspi.mode).toBe('proxy');
    const externalId = await payAndRefund(gw, async (id) => sandbox.sandbox.simulateCustomer(id, 'confirm'));
    const calls = sandbox.sandbox.snapshot().calls.filter((call) => call.mode === 'proxy');
    expect(new Set(calls.map((call) => call.operation))).toEqual(new Set(['create', 'status', 'refund']));
    expect(calls.every((call) => call.params.accessTokenValid === true)).toBe(true);
    expect(sandbox.sandbox.payment(externalId)?.refundedAmount).toBe(100);
  });

  it('treats an empty answer to a refund as an unknown outcome, never as success', async () => {
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 61, amount: 20, phone: '77015211545' } });
    const { externalId } = created.data.createKaspiPayment.payment;
    sandbox.sandbox.simulateCustomer(externalId, 'confirm');
    await eventually(async () => ((await gw.gql(PAYMENT_STATUS, { externalId })).data.paymentStatus.status === 'PROCESSED' ? true : undefined));
    sandbox.sandbox.injectFault({ operation: 'refund', mode: 'proxy', fault: 'empty' });
    const refund = await gw.gql(REFUND, { input: { shopId: 61, externalId, amount: 20 } });
    expect(refund.data.refund.refund.status).toBe('UNKNOWN');
    expect(refund.data.refund.payment.refundedAmount).toBe(0);
    // The proxy cannot say what is left to refund: the unknown 20 stays reserved until an admin settles it.
    const again = await gw.gql(REFUND, { input: { shopId: 61, externalId, amount: 0.01 } });
    expect(again.data.refund.errors[0].code).toBe('REFUND_EXCEEDS_AVAILABLE');
    expect(sandbox.sandbox.payment(externalId)?.refundedAmount).toBe(20);
  });
});

describe('Kaspi directly, over mutual TLS', () => {
  let certificates: TestCertificates;
  let certDir: string;
  let sandbox: Awaited<ReturnType<typeof startKaspiSandbox>>;
  let gw: TestGateway;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-client-cert-'));
    fs.writeFileSync(path.join(certDir, 'client.crt'), certificates.clientCert);
    fs.writeFileSync(path.join(certDir, 'client.key'), certificates.clientKey);
    fs.writeFileSync(path.join(certDir, 'ca.crt'), certificates.ca);
    sandbox = await startKaspiSandbox({
      autoAdvanceMs: 0,
      tls: { key: certificates.serverKey, cert: certificates.serverCert, ca: certificates.ca },
    });
    gw = await startTestGateway({
      KASPI_BASE_URL: sandbox.url,
      KASPI_CLIENT_CERT: path.join(certDir, 'client.crt'),
      KASPI_CLIENT_KEY: path.join(certDir, 'client.key'),
      KASPI_CLIENT_PASSPHRASE: certificates.passphrase,
      KASPI_CA_CERT: path.join(certDir, 'ca.crt'),
    });
  });

  afterAll(async () => {
    await gw?.stop();
    await sandbox?.close();
    certificates?.dispose();
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('is chosen by the client certificate and takes a payment through create, status and refunds', async () => {
    expect(gw.gateway.config.kaspi.mode).toBe('direct');
    expect(sandbox.url).toMatch(/^https:/);
    await payAndRefund(gw, async (id) => sandbox.sandbox.simulateCustomer(id, 'confirm'));
    const calls = sandbox.sandbox.snapshot().calls.filter((call) => call.mode === 'direct');
    expect(calls.every((call) => /^[0-9a-f-]{36}$/.test(String(call.requestId)))).toBe(true);
  });
});
