import axios from 'axios';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN, BIN, createBody, PHONE, startTestSandbox, type TestSandbox } from './sandbox-test.helpers';

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

describe('call log', () => {
  it('records what the direct mode sent: request id, BIN, token, amount as sent, phone and the answer', async () => {
    const requestId = randomUUID();
    const created = await sandbox.r3.create(createBody(token, { Amount: 100.5 }), requestId);
    const qrPaymentId = String(created.data.Data!.QrPaymentId);
    await sandbox.r3.status(qrPaymentId);

    const { calls, counters } = await sandbox.control.state();

    expect(calls).toEqual([
      expect.objectContaining({
        mode: 'direct',
        operation: 'create',
        requestId,
        params: { organizationBin: BIN, deviceToken: token, amount: 100.5, phone: PHONE, comment: 'Order 42' },
        applied: true,
        fault: null,
        statusCode: 0,
        outcomeStatusCode: 0,
        httpStatus: 200,
      }),
      expect.objectContaining({ operation: 'status', params: { qrPaymentId }, applied: true }),
    ]);
    expect(counters).toEqual({ create: 1, status: 1 });
  });

  it('records proxy calls with a flag for the access token instead of the token itself', async () => {
    await sandbox.proxy.create({ phone: PHONE, amount: '99.99', organizationBin: BIN, deviceToken: token });
    await sandbox.http.get('/proxy/status/', { params: { access_token: 'wrong', externalId: '1' } });

    const { calls } = await sandbox.control.state();

    expect(calls[0]).toMatchObject({
      mode: 'proxy',
      operation: 'create',
      params: { amount: '99.99', phone: PHONE, organizationBin: BIN, deviceToken: token, accessTokenValid: true },
      applied: true,
    });
    expect(calls[1]).toMatchObject({ operation: 'status', params: { accessTokenValid: false }, applied: false, httpStatus: 401 });
    expect(JSON.stringify(calls)).not.toContain(ACCESS_TOKEN);
  });

  it('records a spoiled answer with its fault, whether the operation was applied, and no answered StatusCode', async () => {
    await sandbox.control.injectFault({ operation: 'create', fault: 'malformed' });
    await sandbox.control.injectFault({ operation: 'create', fault: 'unavailable' });

    await sandbox.raw.post('/r3/v01/remote/create', createBody(token), { headers: { 'X-Request-ID': 'a' } });
    await sandbox.raw.post('/r3/v01/remote/create', createBody(token), { headers: { 'X-Request-ID': 'b' } });

    const { calls } = await sandbox.control.state();
    expect(calls).toEqual([
      expect.objectContaining({ requestId: 'a', fault: 'malformed', applied: true, outcomeStatusCode: 0, statusCode: null }),
      expect.objectContaining({ requestId: 'b', fault: 'unavailable', applied: false, outcomeStatusCode: null, statusCode: -999 }),
    ]);
  });

  it('keeps only the newest calls within callLogLimit but counts all of them', async () => {
    await sandbox.control.configure({ callLogLimit: 3 });

    for (let call = 0; call < 5; call += 1) await sandbox.r3.status(String(call));

    const { calls, counters } = await sandbox.control.state();
    expect(calls.map((entry) => entry.params.qrPaymentId)).toEqual(['2', '3', '4']);
    expect(counters.status).toBe(5);
  });

  it('narrows the state to one payment and the last calls when asked', async () => {
    const first = await sandbox.r3.create(createBody(token));
    await sandbox.r3.create(createBody(token));

    const state = await sandbox.control.state({ qrPaymentId: String(first.data.Data!.QrPaymentId), callsLimit: 1 });

    expect(state.payments.map((payment) => payment.qrPaymentId)).toEqual([String(first.data.Data!.QrPaymentId)]);
    expect(state.calls).toHaveLength(1);
  });
});

describe('control API', () => {
  it('forgets payments, calls, counters and faults and restores the options on reset, never reusing an id', async () => {
    const before = await sandbox.r3.create(createBody(token));
    await sandbox.control.configure({ autoAdvanceMs: 5, latencyMs: 1 });
    await sandbox.control.injectFault({ operation: 'status', fault: 'empty' });

    await sandbox.control.reset();

    const state = await sandbox.control.state();
    expect(state).toMatchObject({ payments: [], calls: [], counters: {}, devices: [], faults: [] });
    expect(state.options).toMatchObject({ autoAdvanceMs: 0, latencyMs: 0 });
    const after = await sandbox.r3.create(createBody(token));
    expect(after.data.Data!.QrPaymentId).toBeGreaterThan(before.data.Data!.QrPaymentId);
  });

  it('reports payments with tenge amounts and their refunds', async () => {
    const created = await sandbox.r3.create(createBody(token, { Amount: 1234.56 }));
    const qrPaymentId = String(created.data.Data!.QrPaymentId);
    await sandbox.control.confirm(qrPaymentId);
    await sandbox.r3.refund({ OrganizationBin: BIN, DeviceToken: token, QrPaymentId: qrPaymentId, Amount: 34.56 });

    const [payment] = (await sandbox.control.state()).payments;

    expect(payment).toMatchObject({
      qrPaymentId,
      organizationBin: BIN,
      deviceToken: token,
      amount: 1234.56,
      phone: PHONE,
      comment: 'Order 42',
      status: 'Processed',
      refunds: [{ returnOperationId: expect.stringMatching(/^\d+$/), amount: 34.56 }],
      refundedAmount: 34.56,
    });
  });

  it('answers 404 when forcing the status of an unknown payment', async () => {
    const failure = await sandbox.control.forceStatus('1', 'Processed').catch((error: unknown) => error);

    expect(axios.isAxiosError(failure) && failure.response?.status).toBe(404);
  });

  it('answers 409 when the customer acts on a payment that is already final', async () => {
    const created = await sandbox.r3.create(createBody(token));
    const qrPaymentId = String(created.data.Data!.QrPaymentId);
    await sandbox.control.forceStatus(qrPaymentId, 'Error');

    const failure = await sandbox.control.confirm(qrPaymentId).catch((error: unknown) => error);

    expect(axios.isAxiosError(failure) && failure.response?.status).toBe(409);
  });

  it('registers a device that works with auto-enrolment off', async () => {
    await sandbox.control.configure({ autoEnrolDevices: false });
    const device = await sandbox.control.registerDevice({ organizationBin: BIN, deviceToken: token });

    const response = await sandbox.r3.create(createBody(token));

    expect(device).toMatchObject({ deviceToken: token, organizationBin: BIN, tradePointId: 1 });
    expect(response.data.StatusCode).toBe(0);
  });

  it('refuses options it does not know and a body that is not JSON with HTTP 400', async () => {
    const unknownOption = await sandbox.http.post('/_control/config', { autoAdvance: 5 });
    const notJson = await sandbox.http.post('/_control/config', '{', { headers: { 'Content-Type': 'application/json' } });

    expect(unknownOption.status).toBe(400);
    expect(notJson.status).toBe(400);
  });
});

describe('who may read and drive the control API', () => {
  it('shows phone numbers and device tokens masked to a caller without the control token, and whole to one with it', async () => {
    const created = await sandbox.r3.create(createBody(token));
    const qrPaymentId = String(created.data.Data!.QrPaymentId);

    const anonymous = await sandbox.http.get('/_control/state');
    const text = JSON.stringify(anonymous.data);
    expect(anonymous.status).toBe(200);
    expect(text).not.toContain(token);
    expect(text).not.toContain(PHONE);
    expect(anonymous.data.payments[0]).toMatchObject({ qrPaymentId, phone: '7*********5', deviceToken: `${token.slice(0, 8)}…` });
    expect(anonymous.data.calls[0].params).toMatchObject({ phone: '7*********5', deviceToken: `${token.slice(0, 8)}…` });
    expect(anonymous.data.devices[0].deviceToken).toBe(`${token.slice(0, 8)}…`);
    const one = await sandbox.http.get(`/_control/payments/${qrPaymentId}`);
    expect(JSON.stringify(one.data)).not.toContain(token);
    const confirmed = await sandbox.http.post(`/_control/payments/${qrPaymentId}/scan`, {});
    expect(confirmed.status).toBe(200);
    expect(JSON.stringify(confirmed.data)).not.toContain(PHONE);

    expect((await sandbox.control.payment(qrPaymentId))).toMatchObject({ phone: PHONE, deviceToken: token });
  });

  it('refuses cross-site requests: another origin, a browser saying cross-site, and a POST a form could send', async () => {
    const other = await sandbox.http.post('/_control/reset', {}, { headers: { Origin: 'https://evil.example' } });
    const crossSite = await sandbox.http.post('/_control/faults', { operation: 'create', fault: 'drop' }, { headers: { 'Sec-Fetch-Site': 'cross-site' } });
    const form = await sandbox.http.post('/_control/reset', 'a=1', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    const plain = await sandbox.http.post('/_control/faults', '{"operation":"create","fault":"drop"}', { headers: { 'Content-Type': 'text/plain' } });
    const read = await sandbox.http.get('/_control/state', { headers: { Origin: 'https://evil.example' } });

    for (const refused of [other, crossSite, form, plain, read]) expect(refused.status).toBe(403);
    expect(await sandbox.control.faults()).toEqual([]);
    const sameOrigin = await sandbox.http.post('/_control/config', { latencyMs: 0 }, { headers: { Origin: sandbox.url } });
    expect(sameOrigin.status).toBe(200);
  });
});
