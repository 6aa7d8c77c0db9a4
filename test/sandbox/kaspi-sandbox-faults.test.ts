import axios from 'axios';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, createBody, createPaid, PHONE, requestHeaders, startTestSandbox, type TestSandbox } from './sandbox-test.helpers';

let sandbox: TestSandbox;
let token: string;

beforeAll(async () => {
  sandbox = await startTestSandbox({ autoAdvanceMs: 0 });
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(async () => {
  await sandbox.control.reset();
  token = randomUUID();
});

function rawCreate() {
  return sandbox.raw.post('/r3/v01/remote/create', createBody(token), { headers: requestHeaders() });
}

describe('faults on create', () => {
  it('answers normally but late on a latency fault', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'latency', latencyMs: 200 });
    const startedAt = Date.now();

    const response = await sandbox.r3.create(createBody(token));

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(response.data.StatusCode).toBe(0);
  });

  it('creates the payment before a latency fault makes the caller time out', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'latency', latencyMs: 400 });

    const failure = await sandbox.http
      .post('/r3/v01/remote/create', createBody(token), { headers: requestHeaders(), timeout: 100 })
      .catch((error: unknown) => error);

    expect(axios.isAxiosError(failure) && failure.code).toBe('ECONNABORTED');
    expect(await sandbox.control.payments()).toHaveLength(1);
  });

  it('creates the payment only when the late answer leaves on a latency fault that is not applied', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'latency', latencyMs: 200, applied: false });

    const pending = sandbox.r3.create(createBody(token));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const during = await sandbox.control.payments();
    const response = await pending;

    expect(during).toEqual([]);
    expect(response.data.StatusCode).toBe(0);
    expect(await sandbox.control.payments()).toHaveLength(1);
  });

  it('answers HTTP 503 with an HTML page and creates nothing on an http5xx fault', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'http5xx' });

    const response = await rawCreate();

    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.data).toContain('503');
    expect(await sandbox.control.payments()).toEqual([]);
  });

  it('creates the payment behind an http5xx answer when the fault is applied', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'http5xx', httpStatus: 502, applied: true });

    const response = await rawCreate();

    expect(response.status).toBe(502);
    expect(await sandbox.control.payments()).toHaveLength(1);
  });

  it('answers StatusCode -999 and creates nothing on an unavailable fault', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'unavailable' });

    const response = await sandbox.r3.create(createBody(token));

    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ StatusCode: -999, Data: null });
    expect(await sandbox.control.payments()).toEqual([]);
  });

  it('drops the connection so that axios fails with a socket error, after creating the payment', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'drop' });

    const failure = await rawCreate().catch((error: unknown) => error);

    expect(axios.isAxiosError(failure)).toBe(true);
    expect(axios.isAxiosError(failure) && failure.response).toBeUndefined();
    expect(axios.isAxiosError(failure) && failure.code).toBe('ECONNRESET');
    expect(await sandbox.control.payments()).toHaveLength(1);
  });

  it('drops the connection without creating anything when the fault is not applied', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'drop', applied: false });

    await expect(rawCreate()).rejects.toThrow();

    expect(await sandbox.control.payments()).toEqual([]);
  });

  it('answers HTTP 200 with an empty body after creating the payment on an empty fault', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'empty' });

    const response = await rawCreate();

    expect(response.status).toBe(200);
    expect(response.data).toBe('');
    expect(await sandbox.control.payments()).toHaveLength(1);
  });

  it('answers HTTP 200 with JSON that does not parse after creating the payment on a malformed fault', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'malformed' });

    const response = await rawCreate();

    expect(response.status).toBe(200);
    expect(() => JSON.parse(response.data as string)).toThrow(SyntaxError);
    expect(await sandbox.control.payments()).toHaveLength(1);
  });

  it('sends the exact body given to a malformed fault, such as JSON of the wrong shape', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'malformed', body: '{"result":"ok"}' });

    const response = await rawCreate();

    expect(JSON.parse(response.data as string)).toEqual({ result: 'ok' });
  });
});

describe('fault matching', () => {
  it('spoils the next count calls in the order the faults were queued and then answers normally', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'unavailable', count: 2 });
    await sandbox.control.injectFault({ operation: 'create', fault: 'empty' });

    const codes = [];
    for (let call = 0; call < 4; call += 1) {
      const response = await rawCreate();
      codes.push(response.data === '' ? 'empty' : JSON.parse(response.data as string).StatusCode);
    }

    expect(codes).toEqual([-999, -999, 'empty', 0]);
    expect(await sandbox.control.faults()).toEqual([]);
  });

  it('leaves other operations and the other mode alone', async () => {
    await sandbox.control.injectFault({ operation: 'create', mode: 'proxy', fault: 'unavailable' });
    await sandbox.control.injectFault({ operation: 'refund', fault: 'unavailable' });

    const direct = await sandbox.r3.create(createBody(token));
    const proxy = await sandbox.proxy.create({
      phone: PHONE,
      amount: '10',
      organizationBin: BIN,
      deviceToken: token,
    });

    expect(direct.data.StatusCode).toBe(0);
    expect(proxy.data).toEqual({ status: false, data: { errors: { '-999': expect.any(String) } } });
    expect((await sandbox.control.faults()).map((fault) => fault.operation)).toEqual(['refund']);
  });

  it('matches any payment operation with * but not health checks', async () => {
    await sandbox.control.injectFault({ operation: '*', fault: 'unavailable' });

    const ping = await sandbox.http.get('/r3/v01/health/ping', { headers: requestHeaders() });
    const status = await sandbox.r3.status('1');

    expect(ping.data.StatusCode).toBe(0);
    expect(status.data.StatusCode).toBe(-999);
  });

  it('makes the refund but answers an empty body on a proxy refund, as production has seen', async () => {
    const qrPaymentId = await createPaid(sandbox, token);
    await sandbox.control.injectFault({ operation: 'refund', mode: 'proxy', fault: 'empty' });

    const response = await sandbox.raw.get('/proxy/refund/', {
      params: { access_token: 'sandbox-access-token', externalId: qrPaymentId, amount: '40', organizationBin: BIN, deviceToken: token },
    });

    expect(response.data).toBe('');
    expect(await sandbox.control.payment(qrPaymentId)).toMatchObject({ refundedAmount: 40 });
  });

  it('adds the global latency to every upstream call', async () => {
    await sandbox.control.configure({ latencyMs: 150 });
    const startedAt = Date.now();

    await sandbox.r3.status('1');

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140);
  });

  it('refuses a fault spec it does not understand with HTTP 400', async () => {
    const response = await sandbox.http.post('/_control/faults', { operation: 'create', fault: 'explode' });

    expect(response.status).toBe(400);
    expect(response.data.error).toMatch(/fault/);
  });
});
