import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PaymentMethod } from '../../src/domain/payment-method';
import { PaymentStatus } from '../../src/domain/payment-status';
import { KaspiCallFailure, KaspiConfigurationError, kaspiCallFailureOf } from '../../src/providers/kaspi/kaspi.errors';
import {
  createKaspiProvider,
  type KaspiDirectProvider,
  type KaspiProvider,
  type KaspiProviderSettings,
  type KaspiTlsSettings,
} from '../../src/providers/kaspi/kaspi.provider';
import {
  ProviderError,
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
  type PaymentProvider,
  type RoutingSnapshot,
} from '../../src/providers/provider';
import type { FaultKind, SandboxCallRecord } from '../../src/sandbox/kaspi-sandbox.types';
import { startKaspiSandbox, type RunningKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates';

const ACCESS_TOKEN = 'acc-T0ken-5ecret-for-the-proxy';
const DEVICE_TOKEN = '0d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER_DEVICE_TOKEN = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';
const PHONE = '77015211545';
const REMOTE = PaymentMethod.KASPI_REMOTE;
const BIN = '210440028324';
const ROUTING: RoutingSnapshot = { organizationBin: BIN, deviceToken: DEVICE_TOKEN };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const TIMEOUT_MS = 400;
const FAST = { createMs: TIMEOUT_MS, statusMs: TIMEOUT_MS, refundMs: TIMEOUT_MS, connectMs: TIMEOUT_MS };

/** Faults after which the request had reached the sandbox but no usable answer came back. */
const LOST_ANSWER_FAULTS: FaultKind[] = ['latency', 'drop', 'empty', 'malformed', 'http5xx'];
const ALL_FAULTS: FaultKind[] = [...LOST_ANSWER_FAULTS, 'unavailable'];

type Mode = 'direct' | 'proxy';

let running: RunningKaspiSandbox;
const opened: KaspiProvider[] = [];

beforeAll(async () => {
  running = await startKaspiSandbox({ autoAdvanceMs: 0, proxyAccessToken: ACCESS_TOKEN });
});

afterAll(async () => {
  await running.close();
});

beforeEach(() => {
  running.sandbox.reset();
});

afterEach(() => {
  for (const provider of opened.splice(0)) provider.close();
});

function track(provider: KaspiProvider): KaspiProvider {
  opened.push(provider);
  return provider;
}

function kaspi(mode: Mode, baseUrl = running.url): KaspiProvider {
  const settings: KaspiProviderSettings =
    mode === 'direct'
      ? { mode, baseUrl, timeouts: FAST }
      : { mode, baseUrl: `${baseUrl}/proxy`, accessToken: ACCESS_TOKEN, timeouts: FAST };
  return track(createKaspiProvider(settings));
}

function kaspiDirect(baseUrl = running.url): KaspiDirectProvider {
  const provider = createKaspiProvider({ mode: 'direct', baseUrl, timeouts: FAST });
  track(provider);
  return provider;
}

function requestId(): string {
  return randomUUID();
}

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected the call to fail');
}

function callsOf(operation: string): SandboxCallRecord[] {
  return running.sandbox.snapshot().calls.filter((call) => call.operation === operation);
}

async function createPayment(provider: KaspiProvider, amount = 10_050): Promise<string> {
  const state = await provider.createPayment({ requestId: requestId(), routing: ROUTING, amount, phone: PHONE, method: REMOTE });
  return state.externalId;
}

async function createPaidPayment(provider: KaspiProvider, amount = 10_050): Promise<string> {
  const externalId = await createPayment(provider, amount);
  running.sandbox.forceStatus(externalId, 'Processed');
  return externalId;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const SECRETS = [ACCESS_TOKEN, DEVICE_TOKEN, OTHER_DEVICE_TOKEN, PHONE, PHONE.slice(1)];

function expectNoSecrets(error: ProviderError, secrets: readonly string[] = SECRETS): void {
  const renderings = [
    error.message,
    String(error.stack),
    JSON.stringify(error),
    JSON.stringify(error.cause),
    inspect(error, { depth: null, showHidden: true }),
  ];
  for (const rendering of renderings) {
    for (const secret of secrets) expect(rendering).not.toContain(secret);
  }
}

describe.each(['direct', 'proxy'] as const)('the Kaspi provider in %s mode', (mode) => {
  it('creates a remote payment and sends Kaspi the amount in tenge, the BIN, the device token and the phone', async () => {
    const provider = kaspi(mode);

    const state = await provider.createPayment({
      requestId: requestId(),
      routing: ROUTING,
      amount: 10_050,
      phone: PHONE,
      method: REMOTE,
      message: 'Order #12345',
    });

    const [payment] = running.sandbox.snapshot().payments;
    expect(state).toEqual({
      paymentUrl: null,
      qrToken: null,
      expiresAt: null,
      settlesBy: null,
      pollIntervalMs: null,
      externalId: payment.qrPaymentId,
      providerStatus: 'RemotePaymentCreated',
      status: PaymentStatus.WAITING,
      recognised: true,
    });
    expect(typeof state.externalId).toBe('string');
    expect(payment).toMatchObject({ amount: 100.5, organizationBin: BIN, deviceToken: DEVICE_TOKEN, phone: PHONE });
    expect(payment.comment).toBe('Order #12345');

    const [call] = callsOf('create');
    expect(call.mode).toBe(mode);
    expect(call.requestId).toMatch(UUID);
    expect(call.params).toMatchObject({ organizationBin: BIN, deviceToken: DEVICE_TOKEN, phone: PHONE });
    // Direct mode sends a JSON number, the proxy a query string.
    expect(call.params.amount).toBe(mode === 'direct' ? 100.5 : '100.5');
    if (mode === 'proxy') expect(call.params.accessTokenValid).toBe(true);
  });

  it('sends a fresh X-Request-ID with every call', async () => {
    const provider = kaspi(mode);
    const externalId = await createPayment(provider);
    await provider.getStatus({ requestId: requestId(), externalId, routing: ROUTING });
    await provider.getStatus({ requestId: requestId(), externalId, routing: ROUTING });

    const ids = running.sandbox.snapshot().calls.map((call) => call.requestId);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(3);
  });

  it('sends a whole tenge amount without decimals', async () => {
    await createPayment(kaspi(mode), 10_000);
    expect(callsOf('create')[0].params.amount).toBe(mode === 'direct' ? 100 : '100');
  });

  it('reads the status word Kaspi reports and maps it to ours', async () => {
    const provider = kaspi(mode);
    const externalId = await createPayment(provider);

    running.sandbox.forceStatus(externalId, 'Wait');
    await expect(provider.getStatus({ requestId: requestId(), externalId, routing: ROUTING })).resolves.toEqual({
      externalId,
      providerStatus: 'Wait',
      status: PaymentStatus.WAITING,
      recognised: true,
    });

    running.sandbox.forceStatus(externalId, 'Processed');
    const paid = await provider.getStatus({ requestId: requestId(), externalId, routing: ROUTING });
    expect(paid.status).toBe(PaymentStatus.PROCESSED);

    expect(callsOf('status').at(-1)?.params.qrPaymentId).toBe(externalId);
  });

  it('reports a status word it does not know as not recognised and still waiting, never as failed', async () => {
    const provider = kaspi(mode);
    const externalId = await createPayment(provider);
    running.sandbox.forceStatus(externalId, 'RemotePaymentRejected');

    const state = await provider.getStatus({ requestId: requestId(), externalId, routing: ROUTING });

    expect(state).toEqual({
      externalId,
      providerStatus: 'RemotePaymentRejected',
      status: PaymentStatus.WAITING,
      recognised: false,
    });
  });

  it('refunds a paid payment in two parts and refuses a third refund beyond what is left with −99000005', async () => {
    const provider = kaspi(mode);
    const externalId = await createPaidPayment(provider, 10_000);

    const first = await provider.refund({ requestId: requestId(), externalId, routing: ROUTING, amount: 5_000 });
    const second = await provider.refund({ requestId: requestId(), externalId, routing: ROUTING, amount: 5_000 });
    const third = await failureOf(
      provider.refund({ requestId: requestId(), externalId, routing: ROUTING, amount: 1 }),
    );

    const [payment] = running.sandbox.snapshot().payments;
    expect(payment.refunds.map((refund) => refund.returnOperationId)).toEqual([
      first.returnOperationId,
      second.returnOperationId,
    ]);
    expect(payment.refundedAmount).toBe(100);
    expect(third).toBeInstanceOf(ProviderRejectedError);
    expect(third.providerCode).toBe('-99000005');
    expect((third as ProviderRejectedError).retryable).toBe(false);

    const [call] = callsOf('refund');
    expect(call.requestId).toMatch(UUID);
    expect(call.params).toMatchObject({ organizationBin: BIN, deviceToken: DEVICE_TOKEN, qrPaymentId: mode === 'direct' ? Number(externalId) : externalId });
    expect(call.params.amount).toBe(mode === 'direct' ? 50 : '50');
  });

  it('sends a refund of 10050 tiyn as 100.5 tenge', async () => {
    const provider = kaspi(mode);
    const externalId = await createPaidPayment(provider, 20_000);
    await provider.refund({ requestId: requestId(), externalId, routing: ROUTING, amount: 10_050 });
    expect(callsOf('refund')[0].params.amount).toBe(mode === 'direct' ? 100.5 : '100.5');
  });

  it.each(LOST_ANSWER_FAULTS)('reports a create whose answer is lost to %s as an unknown outcome', async (fault) => {
    const provider = kaspi(mode);
    running.sandbox.injectFault({ operation: 'create', mode, fault, latencyMs: TIMEOUT_MS * 3 });

    const error = await failureOf(provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE }));

    expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(error.providerId).toBe('kaspi');
    expect(error.message).toContain('the invoice may have been sent');
    expect(kaspiCallFailureOf(error)).toMatchObject({ mode, operation: 'create', reachedUpstream: true });
    expectNoSecrets(error);
    if (fault !== 'http5xx') {
      // The sandbox did create the invoice: exactly why the outcome must not be reported as a failure.
      expect(running.sandbox.snapshot().payments).toHaveLength(1);
    }
  });

  it('reports a create that Kaspi answers with −999 as unavailable, with the code', async () => {
    const provider = kaspi(mode);
    running.sandbox.injectFault({ operation: 'create', mode, fault: 'unavailable' });

    const error = await failureOf(provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE }));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.providerCode).toBe('-999');
    expect(running.sandbox.snapshot().payments).toHaveLength(0);
  });

  it.each(ALL_FAULTS)('reports a status check hit by %s as unavailable, since asking again is safe', async (fault) => {
    const provider = kaspi(mode);
    const externalId = await createPayment(provider);
    running.sandbox.injectFault({ operation: 'status', mode, fault, latencyMs: TIMEOUT_MS * 3 });

    const error = await failureOf(provider.getStatus({ requestId: requestId(), externalId, routing: ROUTING }));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.providerCode).toBe(fault === 'unavailable' ? '-999' : null);
    expectNoSecrets(error);
  });

  it.each(LOST_ANSWER_FAULTS)('reports a refund whose answer is lost to %s as an unknown outcome', async (fault) => {
    const provider = kaspi(mode);
    const externalId = await createPaidPayment(provider);
    running.sandbox.injectFault({ operation: 'refund', mode, fault, latencyMs: TIMEOUT_MS * 3 });

    const error = await failureOf(provider.refund({ requestId: requestId(), externalId, routing: ROUTING, amount: 5_000 }));

    expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(error.message).toContain('the refund may have been made');
    expectNoSecrets(error);
  });

  it('reports a refund that Kaspi answers with −999 as unavailable, with the code', async () => {
    const provider = kaspi(mode);
    const externalId = await createPaidPayment(provider);
    running.sandbox.injectFault({ operation: 'refund', mode, fault: 'unavailable' });

    const error = await failureOf(provider.refund({ requestId: requestId(), externalId, routing: ROUTING, amount: 5_000 }));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error.providerCode).toBe('-999');
    expect(running.sandbox.snapshot().payments[0].refunds).toHaveLength(0);
  });

  it('reports a refused connection as unavailable, even for a create, because nothing was sent', async () => {
    const provider = kaspi(mode, `http://127.0.0.1:${await closedPort()}`);

    const create = await failureOf(provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE }));
    const status = await failureOf(provider.getStatus({ requestId: requestId(), externalId: '1', routing: ROUTING }));
    const refund = await failureOf(provider.refund({ requestId: requestId(), externalId: '1', routing: ROUTING, amount: 100 }));

    for (const error of [create, status, refund]) {
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error.providerCode).toBeNull();
      expect(kaspiCallFailureOf(error)).toMatchObject({ transportCode: 'ECONNREFUSED', reachedUpstream: false });
      expectNoSecrets(error);
    }
  });

  it('carries Kaspi’s code −1501 when the device token is not known for the BIN', async () => {
    running.sandbox.configure({ autoEnrolDevices: false });
    const provider = kaspi(mode);

    const error = await failureOf(provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE }));

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.providerCode).toBe('-1501');
    expect((error as ProviderRejectedError).retryable).toBe(false);
    expect(error.message).toContain('device not found');
    expect(kaspiCallFailureOf(error)?.upstreamMessage).toBe('Device not found');
  });

  it('carries Kaspi’s code −99000003 when a refund uses another device of the same BIN', async () => {
    const provider = kaspi(mode);
    const externalId = await createPaidPayment(provider);

    const error = await failureOf(
      provider.refund({
        requestId: requestId(),
        externalId,
        routing: { organizationBin: BIN, deviceToken: OTHER_DEVICE_TOKEN },
        amount: 5_000,
      }),
    );

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.providerCode).toBe('-99000003');
    expectNoSecrets(error);
  });

  it('keeps a 64-bit payment id beyond 2^53 exact when Kaspi sends it as a JSON number', async () => {
    const provider = kaspi(mode);
    const body =
      mode === 'direct'
        ? '{"StatusCode":0,"Message":"OK","Data":{"QrPaymentId":9223372036854775807}}'
        : '{"status":true,"data":{"externalId":9223372036854775807,"status":"Wait"}}';
    running.sandbox.injectFault({ operation: 'create', mode, fault: 'malformed', body, applied: false });

    const state = await provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE });

    expect(state.externalId).toBe('9223372036854775807');
  });

  it('refuses an amount that is not a positive whole number of tiyn without calling Kaspi', async () => {
    const provider = kaspi(mode);
    for (const amount of [0, -100, 100.5]) {
      const error = await failureOf(provider.createPayment({ requestId: requestId(), routing: ROUTING, amount, phone: PHONE, method: REMOTE }));
      expect(error).toBeInstanceOf(ProviderRejectedError);
      expect(error.providerCode).toBeNull();
    }
    expect(running.sandbox.snapshot().calls).toHaveLength(0);
  });

  it('never puts the access token, the device token or the phone number into an error', async () => {
    const provider = kaspi(mode);
    const errors: ProviderError[] = [];
    const create = () => provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE });

    running.sandbox.injectFault({ operation: 'create', mode, fault: 'malformed', body: `{"echo":"${PHONE} ${DEVICE_TOKEN}"` });
    errors.push(await failureOf(create()));
    running.sandbox.injectFault({ operation: 'create', mode, fault: 'http5xx', httpStatus: 502 });
    errors.push(await failureOf(create()));
    running.sandbox.injectFault({ operation: 'create', mode, fault: 'latency', latencyMs: TIMEOUT_MS * 3 });
    errors.push(await failureOf(create()));
    // The device token is bound to BIN by now: used with another BIN it is not found.
    errors.push(
      await failureOf(
        provider.createPayment({
          requestId: requestId(),
          routing: { organizationBin: '991011000048', deviceToken: DEVICE_TOKEN },
          amount: 10_050,
          phone: PHONE,
          method: REMOTE,
        }),
      ),
    );
    // An upstream message that echoes what it was sent.
    const viaToken = mode === 'proxy' ? ` via ${ACCESS_TOKEN}` : '';
    const echo = `phone ${PHONE} (${PHONE.slice(1)}) is not registered for ${DEVICE_TOKEN}${viaToken}`;
    const echoingBody =
      mode === 'direct'
        ? JSON.stringify({ StatusCode: -1400, Message: echo, Data: null })
        : JSON.stringify({ status: false, data: { errors: { '-1400': echo } } });
    running.sandbox.injectFault({ operation: 'create', mode, fault: 'malformed', body: echoingBody });
    errors.push(await failureOf(create()));

    expect(errors.map((error) => error.constructor)).toEqual([
      ProviderOutcomeUnknownError,
      ProviderOutcomeUnknownError,
      ProviderOutcomeUnknownError,
      ProviderRejectedError,
      ProviderRejectedError,
    ]);
    expect(errors[3].providerCode).toBe('-1501');
    expect(errors[4].providerCode).toBe('-1400');
    expect(kaspiCallFailureOf(errors[4])?.upstreamMessage).toBe(
      `phone *** (***) is not registered for ***${mode === 'proxy' ? ' via ***' : ''}`,
    );
    for (const error of errors) {
      expect(error.cause).toBeInstanceOf(KaspiCallFailure);
      expect(kaspiCallFailureOf(error)?.upstreamRequestId).toMatch(UUID);
      expectNoSecrets(error);
    }
  });
});

describe('the Kaspi provider in direct mode only', () => {
  it('has the refundable-amount lookup and the cancel', () => {
    const provider: PaymentProvider = kaspiDirect();
    expect(typeof provider.getRefundableAmount).toBe('function');
    expect(typeof provider.cancelPayment).toBe('function');
  });

  it('tells how much of a paid payment is left to refund, in tiyn', async () => {
    const provider = kaspiDirect();
    const externalId = await createPaidPayment(provider, 10_050);
    await provider.refund({ requestId: requestId(), externalId, routing: ROUTING, amount: 2_525 });

    const amount = await provider.getRefundableAmount({ requestId: requestId(), externalId, routing: ROUTING });

    expect(amount).toEqual({ total: 10_050, available: 7_525 });
    expect(callsOf('details')[0].params).toMatchObject({ qrPaymentId: externalId, deviceToken: DEVICE_TOKEN });
  });

  it('cancels an unpaid invoice and reports it cancelled', async () => {
    const provider = kaspiDirect();
    const externalId = await createPayment(provider);

    const state = await provider.cancelPayment({ requestId: requestId(), externalId, routing: ROUTING });

    expect(state).toEqual({
      externalId,
      providerStatus: 'RemotePaymentCanceled',
      status: PaymentStatus.CANCELED,
      recognised: true,
    });
    expect(callsOf('cancel')[0].params).toMatchObject({
      organizationBin: BIN,
      deviceToken: DEVICE_TOKEN,
      qrPaymentId: Number(externalId),
    });
    const status = await provider.getStatus({ requestId: requestId(), externalId, routing: ROUTING });
    expect(status.status).toBe(PaymentStatus.CANCELED);
  });

  it.each(ALL_FAULTS)('reports a refundable-amount lookup or a cancel hit by %s as unavailable', async (fault) => {
    const provider = kaspiDirect();
    const externalId = await createPayment(provider);
    running.sandbox.injectFault({ operation: 'details', fault, latencyMs: TIMEOUT_MS * 3 });
    running.sandbox.injectFault({ operation: 'cancel', fault, latencyMs: TIMEOUT_MS * 3 });

    const details = await failureOf(provider.getRefundableAmount({ requestId: requestId(), externalId, routing: ROUTING }));
    const cancel = await failureOf(provider.cancelPayment({ requestId: requestId(), externalId, routing: ROUTING }));

    for (const error of [details, cancel]) {
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expectNoSecrets(error);
    }
  });

  it('sends a 64-bit QrPaymentId back to Kaspi digit for digit, as a JSON number', async () => {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        bodies.push(body);
        res.setHeader('Content-Type', 'application/json');
        res.end('{"StatusCode":0,"Message":"OK","Data":{"ReturnOperationId":18446744073709551615}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const provider = kaspiDirect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);

      const result = await provider.refund({
        requestId: requestId(),
        externalId: '9223372036854775807',
        routing: ROUTING,
        amount: 10_050,
      });

      expect(result.returnOperationId).toBe('18446744073709551615');
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toContain('"QrPaymentId":9223372036854775807');
      expect(bodies[0]).toContain('"Amount":100.5');
      expect(JSON.parse(bodies[0])).toMatchObject({ OrganizationBin: BIN, DeviceToken: DEVICE_TOKEN });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a create without a device token before anything is sent', async () => {
    const provider = kaspiDirect();

    const error = await failureOf(
      provider.createPayment({
        requestId: requestId(),
        routing: { organizationBin: BIN, deviceToken: null },
        amount: 10_050,
        phone: PHONE,
        method: REMOTE,
      }),
    );

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(running.sandbox.snapshot().calls).toHaveLength(0);
  });
});

describe('the Kaspi provider in proxy mode only', () => {
  it('offers only what the proxy has: no refundable-amount lookup, no cancel', () => {
    const provider: PaymentProvider = kaspi('proxy');
    expect(provider.getRefundableAmount).toBeUndefined();
    expect(provider.cancelPayment).toBeUndefined();
  });

  it('reports a wrong access token as a rejection with code HTTP_401 and never shows the token', async () => {
    const wrongToken = 'wrong-T0ken-that-must-not-leak';
    const provider = track(
      createKaspiProvider({ mode: 'proxy', baseUrl: `${running.url}/proxy/`, accessToken: wrongToken, timeouts: FAST }),
    );

    const error = await failureOf(provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE }));

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.providerCode).toBe('HTTP_401');
    expect(callsOf('create')[0].params.accessTokenValid).toBe(false);
    expectNoSecrets(error, [...SECRETS, wrongToken]);
  });

  it('keeps an externalId the proxy sends as a string exactly as it came', async () => {
    running.sandbox.configure({ proxyExternalIdType: 'string' });
    const provider = kaspi('proxy');

    const externalId = await createPayment(provider);

    expect(externalId).toBe(running.sandbox.snapshot().payments[0].qrPaymentId);
  });

  it('treats an empty refund answer as an unknown outcome, never as a success', async () => {
    const provider = kaspi('proxy');
    const externalId = await createPaidPayment(provider);
    running.sandbox.injectFault({ operation: 'refund', mode: 'proxy', fault: 'empty' });

    const error = await failureOf(provider.refund({ requestId: requestId(), externalId, routing: ROUTING, amount: 10_050 }));

    expect(error).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(kaspiCallFailureOf(error)).toMatchObject({ httpStatus: 200, operation: 'refund', mode: 'proxy' });
    expect(running.sandbox.snapshot().payments[0].refunds).toHaveLength(1);
  });
});

describe('the Kaspi provider over mutual TLS', () => {
  let certificates: TestCertificates;
  let secure: RunningKaspiSandbox;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    secure = await startKaspiSandbox({
      autoAdvanceMs: 0,
      tls: { key: certificates.serverKey, cert: certificates.serverCert, ca: certificates.ca },
    });
  });

  afterAll(async () => {
    await secure?.close();
    certificates?.dispose();
  });

  beforeEach(() => {
    secure.sandbox.reset();
  });

  function direct(tls: KaspiTlsSettings | undefined): KaspiProvider {
    return track(createKaspiProvider({ mode: 'direct', baseUrl: secure.url, tls, timeouts: FAST }));
  }

  const create = (provider: KaspiProvider) =>
    provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE });

  it('creates a payment with the client certificate and its passphrase-protected key', async () => {
    const provider = direct({
      cert: certificates.clientCert,
      key: certificates.clientKey,
      passphrase: certificates.passphrase,
      ca: certificates.ca,
    });

    const state = await create(provider);
    // A second call goes over the same kept-alive TLS connection.
    await provider.getStatus({ requestId: requestId(), externalId: state.externalId, routing: ROUTING });

    expect(secure.sandbox.snapshot().payments.map((payment) => payment.qrPaymentId)).toEqual([state.externalId]);
  });

  it('creates a payment with a PKCS#12 bundle', async () => {
    const provider = direct({ pfx: certificates.clientPfx, passphrase: certificates.passphrase, ca: certificates.ca });
    await expect(create(provider)).resolves.toMatchObject({ status: PaymentStatus.WAITING });
  });

  it('is rejected with Kaspi’s code −10000 without a client certificate', async () => {
    const provider = direct({ ca: certificates.ca });

    const error = await failureOf(create(provider));

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.providerCode).toBe('-10000');
    expect(secure.sandbox.snapshot().payments).toHaveLength(0);
  });

  it('reports a server certificate it cannot trust as unavailable, even for a create, because nothing was sent', async () => {
    const provider = direct({ cert: certificates.clientCert, key: certificates.clientKey, passphrase: certificates.passphrase });

    const error = await failureOf(create(provider));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(kaspiCallFailureOf(error)?.reachedUpstream).toBe(false);
    expect(secure.sandbox.snapshot().calls).toHaveLength(0);
    expectNoSecrets(error, [...SECRETS, certificates.passphrase]);
  });

  it('refuses to start with a wrong passphrase and does not show the passphrase it was given', () => {
    const wrong = 'wrong passphrase 0f the operator';
    let thrown: unknown;
    try {
      direct({ cert: certificates.clientCert, key: certificates.clientKey, passphrase: wrong, ca: certificates.ca });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KaspiConfigurationError);
    expect(String((thrown as Error).message)).not.toContain(wrong);
    expect(inspect(thrown, { depth: null })).not.toContain(wrong);
  });
});

describe('the Kaspi provider facing a server that accepts connections and never speaks', () => {
  let silent: net.Server;
  let baseUrl: string;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    baseUrl = `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  const create = (provider: KaspiProvider) =>
    provider.createPayment({ requestId: requestId(), routing: ROUTING, amount: 10_050, phone: PHONE, method: REMOTE });

  it('reports a create stuck in the TLS handshake past the connect timeout as unavailable: nothing was sent', async () => {
    const provider = track(
      createKaspiProvider({ mode: 'direct', baseUrl, timeouts: { createMs: 2_000, connectMs: 150 } }),
    );

    const error = await failureOf(create(provider));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(kaspiCallFailureOf(error)).toMatchObject({ reachedUpstream: false, timedOut: false });
    expect(error.message).toContain('no connection could be made in time');
  });

  it('reports a create whose deadline passes before the TLS handshake ends as unavailable: nothing was sent', async () => {
    const provider = track(
      createKaspiProvider({ mode: 'direct', baseUrl, timeouts: { createMs: 150, connectMs: 2_000 } }),
    );

    const error = await failureOf(create(provider));

    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(kaspiCallFailureOf(error)).toMatchObject({ reachedUpstream: false, timedOut: true });
  });
});

describe('the Kaspi provider settings', () => {
  it('refuses a base URL that is not http or https and an empty access token', () => {
    expect(() => createKaspiProvider({ mode: 'direct', baseUrl: 'ftp://kaspi.example' })).toThrow(KaspiConfigurationError);
    expect(() => createKaspiProvider({ mode: 'direct', baseUrl: 'not a url' })).toThrow(KaspiConfigurationError);
    expect(() => createKaspiProvider({ mode: 'proxy', baseUrl: 'https://proxy.example', accessToken: ' ' })).toThrow(
      KaspiConfigurationError,
    );
  });

  it('refuses a timeout that is not a positive whole number of milliseconds', () => {
    expect(() =>
      createKaspiProvider({ mode: 'direct', baseUrl: 'https://kaspi.example', timeouts: { createMs: 0 } }),
    ).toThrow(KaspiConfigurationError);
  });

  it('is the provider with id "kaspi"', () => {
    expect(kaspi('proxy').id).toBe('kaspi');
    expect(kaspi('direct').id).toBe('kaspi');
  });
});
