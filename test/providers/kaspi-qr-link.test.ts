import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PaymentMethod } from '../../src/domain/payment-method';
import { PaymentStatus } from '../../src/domain/payment-status';
import { createKaspiProvider, type KaspiProvider } from '../../src/providers/kaspi/kaspi.provider';
import { parseKaspiDate, toCreatedPayment } from '../../src/providers/kaspi/kaspi.mappers';
import { ProviderOutcomeUnknownError, ProviderRejectedError, type RoutingSnapshot } from '../../src/providers/provider';
import { startKaspiSandbox, type RunningKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';

const ACCESS_TOKEN = 'acc-T0ken-5ecret-for-the-proxy';
const ROUTING: RoutingSnapshot = { organizationBin: '210440028324', deviceToken: '0d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b' };
const FAST = { createMs: 400, statusMs: 400, refundMs: 400, connectMs: 400 };
const MODES = ['direct', 'proxy'] as const;
const OPEN_TIMEOUT_SEC = 120;

let running: RunningKaspiSandbox;
const opened: KaspiProvider[] = [];

beforeAll(async () => {
  running = await startKaspiSandbox({ autoAdvanceMs: 0, proxyAccessToken: ACCESS_TOKEN, qrOpenTimeoutSec: OPEN_TIMEOUT_SEC });
});
afterAll(() => running.close());
beforeEach(() => running.sandbox.reset());
afterEach(() => {
  for (const provider of opened.splice(0)) provider.close();
});

function kaspi(mode: (typeof MODES)[number]): KaspiProvider {
  const provider =
    mode === 'direct'
      ? createKaspiProvider({ mode, baseUrl: running.url, timeouts: FAST })
      : createKaspiProvider({ mode, baseUrl: `${running.url}/proxy`, accessToken: ACCESS_TOKEN, timeouts: FAST });
  opened.push(provider);
  return provider;
}

function create(provider: KaspiProvider, method: PaymentMethod) {
  return provider.createPayment({ requestId: randomUUID(), routing: ROUTING, amount: 25_050, method, reference: 'pay-ref-1' });
}

describe.each(MODES)('Kaspi QR codes and payment links in %s mode', (mode) => {
  it('creates a QR code that waits to be scanned, with its expiry and Kaspi’s polling pace, and is paid once the customer confirms', async () => {
    const provider = kaspi(mode);
    const before = Date.now();

    const created = await create(provider, PaymentMethod.KASPI_QR);

    const [payment] = running.sandbox.snapshot().payments;
    expect(payment).toMatchObject({ kind: 'qr', amount: 250.5, organizationBin: ROUTING.organizationBin, phone: null });
    expect(payment.externalId).toBe(mode === 'direct' ? 'pay-ref-1' : null);
    expect(created).toMatchObject({
      externalId: payment.qrPaymentId,
      providerStatus: 'QrTokenCreated',
      status: PaymentStatus.WAITING,
      paymentUrl: null,
      pollIntervalMs: 5_000,
    });
    expect(created.qrToken).toBe(`${running.url}/pay/${payment.qrPaymentId}`);
    expect(created.expiresAt?.getTime()).toBe(Date.parse(payment.expiresAt!));
    expect(created.expiresAt!.getTime()).toBeGreaterThanOrEqual(before + OPEN_TIMEOUT_SEC * 1000 - 1000);
    expect(created.settlesBy!.getTime() - created.expiresAt!.getTime()).toBe(65_000);
    const [call] = running.sandbox.snapshot().calls.filter((entry) => entry.operation === 'qr-create');
    expect(call).toMatchObject({ mode, params: { organizationBin: ROUTING.organizationBin, deviceToken: ROUTING.deviceToken } });

    running.sandbox.simulateCustomer(created.externalId, 'scan');
    const scanned = await provider.getStatus({ requestId: randomUUID(), externalId: created.externalId, routing: ROUTING });
    running.sandbox.simulateCustomer(created.externalId, 'confirm');
    const paid = await provider.getStatus({ requestId: randomUUID(), externalId: created.externalId, routing: ROUTING });
    const refund = await provider.refund({ requestId: randomUUID(), externalId: created.externalId, routing: ROUTING, amount: 5_000 });

    expect([scanned.providerStatus, paid.status]).toEqual(['Wait', PaymentStatus.PROCESSED]);
    expect(refund.returnOperationId).toMatch(/^\d+$/);
    expect(running.sandbox.payment(created.externalId)?.refundedAmount).toBe(50);
  });

  it('creates a payment link that leads to the page where the customer pays', async () => {
    const provider = kaspi(mode);

    const created = await create(provider, PaymentMethod.KASPI_LINK);

    expect(created).toMatchObject({ providerStatus: 'QrTokenCreated', status: PaymentStatus.WAITING, qrToken: null });
    expect(created.paymentUrl).toBe(`${running.url}/pay/${created.externalId}`);
    expect(running.sandbox.payment(created.externalId)?.kind).toBe('link');
    const page = await fetch(created.paymentUrl!);
    expect(await page.text()).toContain('QrTokenCreated');
    const confirm = await fetch(`${created.paymentUrl}/confirm`, { method: 'POST', headers: { Accept: 'application/json' } });
    expect(await confirm.json()).toEqual({ qrPaymentId: created.externalId, status: 'Processed' });
    const paid = await provider.getStatus({ requestId: randomUUID(), externalId: created.externalId, routing: ROUTING });
    expect(paid.status).toBe(PaymentStatus.PROCESSED);
  });

  it('reports a QR or link create whose answer is lost as an unknown outcome', async () => {
    const provider = kaspi(mode);
    running.sandbox.injectFault({ operation: 'qr-create', fault: 'drop' });
    running.sandbox.injectFault({ operation: 'qr-create-link', fault: 'empty' });

    const errors = await Promise.all(
      [PaymentMethod.KASPI_QR, PaymentMethod.KASPI_LINK].map((method) => create(provider, method).catch((error: unknown) => error)),
    );

    for (const error of errors) expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(running.sandbox.snapshot().payments.map((payment) => payment.kind).sort()).toEqual(['link', 'qr']);
  });
});

describe('what Kaspi answers about QR codes and links', () => {
  it('refuses a remote invoice without a phone before anything is sent', async () => {
    const error = await create(kaspi('direct'), PaymentMethod.KASPI_REMOTE).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(running.sandbox.snapshot().calls).toHaveLength(0);
  });

  it('reads ExpireDate with its offset and any number of decimals, and nothing without an offset', () => {
    expect(parseKaspiDate('2026-11-28T20:43:00+05:00')?.toISOString()).toBe('2026-11-28T15:43:00.000Z');
    expect(parseKaspiDate('2026-11-28T20:43:00.1234567+06:00')?.toISOString()).toBe('2026-11-28T14:43:00.123Z');
    expect(parseKaspiDate('2026-11-28T20:43:00')).toBeNull();
    expect(parseKaspiDate(1764344580)).toBeNull();
  });

  it('takes the expiry from the open timeout when ExpireDate is missing, and polls no pace it was not given', () => {
    const now = new Date('2026-11-28T15:00:00Z');
    const created = toCreatedPayment('42', 'QrTokenCreated', { expireDate: null, openTimeout: 180, confirmationTimeout: 65 }, now);
    expect(created.expiresAt?.toISOString()).toBe('2026-11-28T15:03:00.000Z');
    expect(created.settlesBy?.toISOString()).toBe('2026-11-28T15:04:05.000Z');
    expect(created.pollIntervalMs).toBeNull();
  });
});
