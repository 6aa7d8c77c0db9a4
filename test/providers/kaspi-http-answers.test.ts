import http from 'node:http';
import type net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PaymentMethod } from '../../src/domain/payment-method';
import { kaspiCallFailureOf } from '../../src/providers/kaspi/kaspi.errors';
import { createKaspiProvider, type KaspiProvider } from '../../src/providers/kaspi/kaspi.provider';
import {
  ProviderError,
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
  type RoutingSnapshot,
} from '../../src/providers/provider';

/**
 * Answers the sandbox does not give: HTTP statuses and bodies from a scripted server, to pin down
 * how each one is classified.
 */

interface ScriptedAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const ROUTING: RoutingSnapshot = { organizationBin: '210440028324', deviceToken: '0d6f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b' };
const ACCESS_TOKEN = 'scripted-access-token-0123';
const TIMEOUTS = { createMs: 500, statusMs: 500, refundMs: 500 };

let server: http.Server;
let baseUrl: string;
let next: ScriptedAnswer = { status: 200, body: '' };
let requests: string[] = [];
const opened: KaspiProvider[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      res.writeHead(next.status, { 'Content-Type': 'application/json', ...next.headers });
      res.end(next.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  for (const provider of opened.splice(0)) provider.close();
  requests = [];
});

function provider(mode: 'direct' | 'proxy'): KaspiProvider {
  const created =
    mode === 'direct'
      ? createKaspiProvider({ mode, baseUrl, timeouts: TIMEOUTS })
      : createKaspiProvider({ mode, baseUrl, accessToken: ACCESS_TOKEN, timeouts: TIMEOUTS });
  opened.push(created);
  return created;
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

const create = (kaspi: KaspiProvider) =>
  kaspi.createPayment({ requestId: 'req-1', routing: ROUTING, amount: 10_050, phone: '77015211545', method: PaymentMethod.KASPI_REMOTE });
const refund = (kaspi: KaspiProvider) =>
  kaspi.refund({ requestId: 'req-1', routing: ROUTING, externalId: '12800627774', amount: 5_000 });

const envelope = (StatusCode: number, Data: unknown = null, Message = 'text from Kaspi') =>
  JSON.stringify({ StatusCode, Message, Data });

describe('how the Kaspi provider reads HTTP answers', () => {
  it.each([
    ['direct', 403, envelope(-10000), ProviderRejectedError, '-10000'],
    ['direct', 400, envelope(990000028), ProviderRejectedError, '990000028'],
    ['direct', 404, '<html>not found</html>', ProviderRejectedError, 'HTTP_404'],
    ['direct', 429, '', ProviderUnavailableError, 'HTTP_429'],
    ['direct', 503, envelope(-999), ProviderUnavailableError, '-999'],
    ['direct', 500, envelope(-1501), ProviderOutcomeUnknownError, null],
    ['direct', 200, envelope(0, { Something: 1 }), ProviderOutcomeUnknownError, null],
    ['direct', 200, envelope(0, { QrPaymentId: 1.5 }), ProviderOutcomeUnknownError, null],
    ['direct', 200, '{"StatusCode":"0"}', ProviderOutcomeUnknownError, null],
    ['proxy', 401, JSON.stringify({ status: false, error: 'invalid access token' }), ProviderRejectedError, 'HTTP_401'],
    ['proxy', 403, JSON.stringify({ status: false, data: { errors: { '-1': 'forbidden' } } }), ProviderRejectedError, 'HTTP_403'],
    ['proxy', 200, JSON.stringify({ status: false, error: 'something went wrong' }), ProviderRejectedError, null],
    ['proxy', 422, JSON.stringify({ status: false, data: { errors: { '-1400': 'bad phone' } } }), ProviderRejectedError, '-1400'],
    ['proxy', 502, JSON.stringify({ status: false, data: { errors: { '-999': 'unavailable' } } }), ProviderUnavailableError, '-999'],
    ['proxy', 502, '<html>Bad Gateway</html>', ProviderOutcomeUnknownError, null],
    ['proxy', 200, JSON.stringify({ status: true, data: {} }), ProviderOutcomeUnknownError, null],
    ['proxy', 200, JSON.stringify({ status: 'ok' }), ProviderOutcomeUnknownError, null],
  ] as const)('classifies a %s create answered with HTTP %i and %s', async (mode, status, body, errorClass, code) => {
    next = { status, body };

    const error = await failureOf(create(provider(mode)));

    expect(error).toBeInstanceOf(errorClass);
    expect(error.providerCode).toBe(code);
    expect(kaspiCallFailureOf(error)?.httpStatus).toBe(status);
  });

  it('marks Kaspi’s −99000006 on a refund as a retryable rejection', async () => {
    next = { status: 200, body: envelope(-99000006) };

    const error = await failureOf(refund(provider('direct')));

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.providerCode).toBe('-99000006');
    expect((error as ProviderRejectedError).retryable).toBe(true);
    expect(kaspiCallFailureOf(error)?.upstreamMessage).toBe('text from Kaspi');
  });

  it('does not follow a redirect, which would replay the access token to another URL', async () => {
    next = { status: 302, body: '', headers: { Location: `${baseUrl}/elsewhere/` } };

    const error = await failureOf(create(provider('proxy')));

    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.providerCode).toBe('HTTP_302');
    expect(requests).toHaveLength(1);
  });

  it('accepts a refund whose success carries no operation id', async () => {
    next = { status: 200, body: JSON.stringify({ status: true }) };
    await expect(refund(provider('proxy'))).resolves.toEqual({ returnOperationId: null });

    next = { status: 200, body: envelope(0, null) };
    await expect(refund(provider('direct'))).resolves.toEqual({ returnOperationId: null });
  });

  it('joins the proxy paths to a base URL with or without a trailing slash, without doubling it', async () => {
    next = { status: 200, body: JSON.stringify({ status: true, data: { externalId: '1', status: 'Wait' } }) };
    const withSlash = createKaspiProvider({ mode: 'proxy', baseUrl: `${baseUrl}/api/`, accessToken: ACCESS_TOKEN });
    const withoutSlash = createKaspiProvider({ mode: 'proxy', baseUrl: `${baseUrl}/api`, accessToken: ACCESS_TOKEN });
    opened.push(withSlash, withoutSlash);

    await withSlash.getStatus({ requestId: 'r', externalId: '12800627774', routing: ROUTING });
    await withoutSlash.getStatus({ requestId: 'r', externalId: '12800627774', routing: ROUTING });

    expect(requests).toEqual([
      `/api/status/?externalId=12800627774&access_token=${ACCESS_TOKEN}`,
      `/api/status/?externalId=12800627774&access_token=${ACCESS_TOKEN}`,
    ]);
  });
});
