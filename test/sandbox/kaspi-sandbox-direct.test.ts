import { randomUUID } from 'node:crypto';
import express from 'express';
import axios from 'axios';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKaspiSandbox } from '../../src/sandbox/kaspi-sandbox';
import {
  BIN,
  createBody,
  createPaid,
  OTHER_BIN,
  PHONE,
  requestHeaders,
  sleep,
  startTestSandbox,
  type Envelope,
  type TestSandbox,
} from './sandbox-test.helpers';

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

describe('remote payment lifecycle', () => {
  it('creates a remote payment and answers its QrPaymentId as a JSON number in an envelope', async () => {
    const response = await sandbox.r3.create(createBody(token, { Amount: 100.5 }));

    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ StatusCode: 0, Data: { QrPaymentId: expect.any(Number) } });
    const qrPaymentId = response.data.Data!.QrPaymentId;
    expect(qrPaymentId).toBeGreaterThan(12_800_000_000);
    expect(qrPaymentId).toBeLessThan(Number.MAX_SAFE_INTEGER);

    const status = await sandbox.r3.status(String(qrPaymentId));
    expect(status.data).toMatchObject({ StatusCode: 0, Data: { Status: 'RemotePaymentCreated', Amount: 100.5 } });
  });

  it('moves a payment through Wait to Processed by itself after autoAdvanceMs', async () => {
    await sandbox.control.configure({ autoAdvanceMs: 300 });
    const created = await sandbox.r3.create(createBody(token));
    const qrPaymentId = String(created.data.Data!.QrPaymentId);
    const startedAt = Date.now();

    const seen: string[] = [];
    while (seen.at(-1) !== 'Processed' && Date.now() - startedAt < 3000) {
      const status = (await sandbox.r3.status(qrPaymentId)).data.Data!.Status;
      if (seen.at(-1) !== status) seen.push(status);
      await sleep(20);
    }

    expect(seen).toEqual(['RemotePaymentCreated', 'Wait', 'Processed']);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(280);
    const processed = await sandbox.r3.status(qrPaymentId);
    expect(processed.data.Data).toMatchObject({ TransactionId: expect.any(String), Amount: 100 });
  });

  it('keeps a payment unpaid forever when auto-advance is off', async () => {
    const created = await sandbox.r3.create(createBody(token));
    await sleep(50);

    const status = await sandbox.r3.status(String(created.data.Data!.QrPaymentId));

    expect(status.data.Data!.Status).toBe('RemotePaymentCreated');
  });

  it('follows the test calls scan and confirm and then stops advancing by itself', async () => {
    await sandbox.control.configure({ autoAdvanceMs: 200 });
    const created = await sandbox.r3.create(createBody(token));
    const qrPaymentId = created.data.Data!.QrPaymentId;

    const scanned = await sandbox.r3.test('scan', qrPaymentId);
    expect(scanned.data).toMatchObject({ StatusCode: 0 });
    await sleep(250);
    expect((await sandbox.r3.status(String(qrPaymentId))).data.Data!.Status).toBe('Wait');

    const confirmed = await sandbox.r3.test('confirm', String(qrPaymentId));
    expect(confirmed.data.StatusCode).toBe(0);
    expect((await sandbox.r3.status(String(qrPaymentId))).data.Data!.Status).toBe('Processed');
  });

  it.each(['scanerror', 'confirmerror'])('turns a payment to Error on the test call %s', async (action) => {
    const created = await sandbox.r3.create(createBody(token));
    const qrPaymentId = created.data.Data!.QrPaymentId;

    await sandbox.r3.test(action, qrPaymentId);

    expect((await sandbox.r3.status(String(qrPaymentId))).data.Data!.Status).toBe('Error');
  });

  it('refuses a test call on a payment that is already final', async () => {
    const qrPaymentId = await createPaid(sandbox, token);

    const response = await sandbox.r3.test('scanerror', qrPaymentId);

    expect(response.data.StatusCode).not.toBe(0);
    expect((await sandbox.r3.status(qrPaymentId)).data.Data!.Status).toBe('Processed');
  });

  it('answers the status on the v01 path as well as on v02', async () => {
    const created = await sandbox.r3.create(createBody(token));

    const response = await sandbox.http.get(`/r3/v01/payment/status/${created.data.Data!.QrPaymentId}`, {
      headers: requestHeaders(),
    });

    expect(response.data).toMatchObject({ StatusCode: 0, Data: { Status: 'RemotePaymentCreated' } });
  });

  it('answers -1601 for a payment it does not know', async () => {
    const response = await sandbox.r3.status('12345');

    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ StatusCode: -1601, Data: null });
  });

  it('reports an unknown status word set by forceStatus without inventing anything', async () => {
    const created = await sandbox.r3.create(createBody(token));
    const qrPaymentId = String(created.data.Data!.QrPaymentId);

    await sandbox.control.forceStatus(qrPaymentId, 'RemotePaymentRejected');

    expect((await sandbox.r3.status(qrPaymentId)).data.Data!.Status).toBe('RemotePaymentRejected');
  });
});

describe('request validation', () => {
  it('refuses a call without X-Request-ID with a non-zero StatusCode and a message', async () => {
    const response = await sandbox.http.post('/r3/v01/remote/create', createBody(token));

    expect(response.status).toBe(200);
    expect(response.data.StatusCode).not.toBe(0);
    expect(response.data.Message).toMatch(/X-Request-ID/);
    expect((await sandbox.control.payments()).length).toBe(0);
  });

  it.each([
    ['a third decimal', 100.001],
    ['zero', 0],
    ['a negative amount', -5],
    ['a string', '100'],
    ['an amount too large for tiyn', 1e20],
    ['no amount at all', undefined],
  ])('refuses %s as Amount with 990000028', async (_label, amount) => {
    const response = await sandbox.r3.create(createBody(token, { Amount: amount }));

    expect(response.data.StatusCode).toBe(990000028);
  });

  it.each(['87015211545', '+77015211545', '7701521154', '', 77015211545])(
    'refuses the phone number %j with a non-zero StatusCode',
    async (phone) => {
      const response = await sandbox.r3.create(createBody(token, { PhoneNumber: phone }));

      expect(response.data.StatusCode).toBe(-1400);
      expect(response.data.Message).toMatch(/PhoneNumber/);
    },
  );

  it.each(['12345', '12345678901a', 123456789012])('refuses the BIN %j', async (bin) => {
    const response = await sandbox.r3.create(createBody(token, { OrganizationBin: bin }));

    expect(response.data.StatusCode).toBe(-1);
  });

  it('refuses a device token that is not a UUID as an unknown device', async () => {
    const response = await sandbox.r3.create(createBody('trade-point-1'));

    expect(response.data.StatusCode).toBe(-1501);
  });

  it.each([
    ['unparsable JSON', '{"OrganizationBin":'],
    ['a JSON array', '[]'],
    ['a bare string', '"hello"'],
    ['null', 'null'],
    ['an infinite amount', `{"OrganizationBin":"${BIN}","Amount":1e400,"PhoneNumber":"${PHONE}"}`],
    ['an empty body', ''],
  ])('answers %s with an envelope error instead of failing', async (_label, body) => {
    const response = await sandbox.http.post('/r3/v01/remote/create', body, {
      headers: { ...requestHeaders(), 'Content-Type': 'application/json' },
    });

    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ StatusCode: expect.any(Number), Data: null });
    expect(response.data.StatusCode).not.toBe(0);
  });

  it('answers an oversized body with an envelope error', async () => {
    const response = await sandbox.http.post(
      '/r3/v01/remote/create',
      { ...createBody(token), Comment: 'x'.repeat(400_000) },
      { headers: requestHeaders() },
    );

    expect(response.status).toBe(200);
    expect(response.data.StatusCode).toBe(-1);
  });

  it('looks up a QrPaymentId too large for a double as an unknown payment', async () => {
    const response = await sandbox.http.post(
      '/r3/v01/payment/return',
      `{"OrganizationBin":"${BIN}","DeviceToken":"${token}","QrPaymentId":123456789012345678901234567890,"Amount":1}`,
      { headers: { ...requestHeaders(), 'Content-Type': 'application/json' } },
    );

    expect(response.data.StatusCode).toBe(-1601);
  });

  it('answers an unknown r3 method with 404 and an envelope', async () => {
    const response = await sandbox.http.get('/r3/v01/remote/nothing', { headers: requestHeaders() });

    expect(response.status).toBe(404);
    expect(response.data.StatusCode).not.toBe(0);
  });
});

describe('devices', () => {
  it('binds an unknown token to the BIN of its first create and then refuses it with another BIN', async () => {
    expect((await sandbox.r3.create(createBody(token))).data.StatusCode).toBe(0);

    const response = await sandbox.r3.create(createBody(token, { OrganizationBin: OTHER_BIN }));

    expect(response.data.StatusCode).toBe(-1501);
    const state = await sandbox.control.state();
    expect(state.devices).toEqual([expect.objectContaining({ deviceToken: token, organizationBin: BIN, enrolledOnFirstUse: true })]);
  });

  it('registers a device for a trade point and accepts only registered tokens when auto-enrolment is off', async () => {
    await sandbox.control.configure({ autoEnrolDevices: false });
    const tradePoints = await sandbox.http.get(`/r3/v01/partner/tradepoints/${BIN}`, { headers: requestHeaders() });
    expect(tradePoints.data.StatusCode).toBe(0);
    const [first] = tradePoints.data.Data as Array<{ TradePointId: number; TradePointName: string }>;

    const registered = await sandbox.http.post(
      '/r3/v01/device/register',
      { DeviceId: 'till-1', OrganizationBin: BIN, TradePointId: first.TradePointId },
      { headers: requestHeaders() },
    );
    const deviceToken = (registered.data as Envelope<{ DeviceToken: string }>).Data!.DeviceToken;

    expect(deviceToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await sandbox.r3.create(createBody(randomUUID()))).data.StatusCode).toBe(-1501);
    expect((await sandbox.r3.create(createBody(deviceToken))).data.StatusCode).toBe(0);
  });

  it('refuses to move a registered device to another trade point and to register on an unknown one', async () => {
    const register = (tradePointId: number) =>
      sandbox.http.post(
        '/r3/v01/device/register',
        { DeviceId: 'till-1', OrganizationBin: BIN, TradePointId: tradePointId },
        { headers: requestHeaders() },
      );

    expect((await register(1)).data.StatusCode).toBe(0);
    expect((await register(2)).data.StatusCode).toBe(-1503);
    expect((await register(999)).data.StatusCode).toBe(-99000002);
  });
});

describe('refunds', () => {
  it('accepts two refunds of 50 on a payment of 100 and refuses a third with -99000005', async () => {
    const qrPaymentId = await createPaid(sandbox, token);
    const refund = { OrganizationBin: BIN, DeviceToken: token, QrPaymentId: Number(qrPaymentId), Amount: 50 };

    const first = await sandbox.r3.refund(refund);
    const second = await sandbox.r3.refund(refund);
    const third = await sandbox.r3.refund({ ...refund, Amount: 0.01 });

    expect(first.data).toMatchObject({ StatusCode: 0, Data: { ReturnOperationId: expect.any(Number) } });
    expect(second.data.StatusCode).toBe(0);
    expect(second.data.Data!.ReturnOperationId).not.toBe(first.data.Data!.ReturnOperationId);
    expect(third.data.StatusCode).toBe(-99000005);
    const payment = await sandbox.control.payment(qrPaymentId);
    expect(payment).toMatchObject({ refundedAmount: 100, refunds: [{ amount: 50 }, { amount: 50 }] });
  });

  it('refuses a refund on a payment that is not Processed with -99000011', async () => {
    const created = await sandbox.r3.create(createBody(token));

    const response = await sandbox.r3.refund({
      OrganizationBin: BIN,
      DeviceToken: token,
      QrPaymentId: created.data.Data!.QrPaymentId,
      Amount: 10,
    });

    expect(response.data.StatusCode).toBe(-99000011);
  });

  it('refuses a refund with another device of the same BIN with -99000003', async () => {
    const qrPaymentId = await createPaid(sandbox, token);
    const otherToken = randomUUID();
    await sandbox.r3.create(createBody(otherToken));

    const response = await sandbox.r3.refund({ OrganizationBin: BIN, DeviceToken: otherToken, QrPaymentId: qrPaymentId, Amount: 10 });

    expect(response.data.StatusCode).toBe(-99000003);
    expect((await sandbox.control.payment(qrPaymentId))!.refundedAmount).toBe(0);
  });

  it('refuses a refund whose token belongs to another BIN as an unknown device', async () => {
    const qrPaymentId = await createPaid(sandbox, token);

    const response = await sandbox.r3.refund({ OrganizationBin: OTHER_BIN, DeviceToken: token, QrPaymentId: qrPaymentId, Amount: 10 });

    expect(response.data.StatusCode).toBe(-1501);
  });

  it('gives the total, what is left to refund and the transaction date in payment/details', async () => {
    const qrPaymentId = await createPaid(sandbox, token, 250.5);
    await sandbox.r3.refund({ OrganizationBin: BIN, DeviceToken: token, QrPaymentId: qrPaymentId, Amount: 0.5 });

    const response = await sandbox.r3.details(qrPaymentId, token);

    expect(response.data).toMatchObject({
      StatusCode: 0,
      Data: { QrPaymentId: Number(qrPaymentId), TotalAmount: 250.5, AvailableReturnAmount: 250 },
    });
    expect(Number.isNaN(Date.parse(response.data.Data!.TransactionDate))).toBe(false);
    expect((await sandbox.r3.details(qrPaymentId, randomUUID())).data.StatusCode).toBe(-99000003);
  });
});

describe('cancel', () => {
  it('cancels an unpaid invoice and keeps it RemotePaymentCanceled', async () => {
    const created = await sandbox.r3.create(createBody(token));
    const qrPaymentId = created.data.Data!.QrPaymentId;

    const response = await sandbox.r3.cancel({ OrganizationBin: BIN, DeviceToken: token, QrPaymentId: qrPaymentId });

    expect(response.data).toMatchObject({ StatusCode: 0, Data: { Status: 'RemotePaymentCanceled' } });
    expect((await sandbox.r3.status(String(qrPaymentId))).data.Data!.Status).toBe('RemotePaymentCanceled');
    expect((await sandbox.r3.test('confirm', qrPaymentId)).data.StatusCode).not.toBe(0);
  });

  it('refuses to cancel a paid payment', async () => {
    const qrPaymentId = await createPaid(sandbox, token);

    const response = await sandbox.r3.cancel({ OrganizationBin: BIN, DeviceToken: token, QrPaymentId: qrPaymentId });

    expect(response.data.StatusCode).toBe(-99000011);
    expect((await sandbox.r3.status(qrPaymentId)).data.Data!.Status).toBe('Processed');
  });
});

describe('mounting', () => {
  it('serves r3 and the proxy under whatever base path the router is mounted at', async () => {
    const kaspi = createKaspiSandbox();
    const app = express();
    app.use('/sandbox/kaspi', kaspi.router);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox/kaspi`;
    try {
      const ping = await axios.get(`${base}/r3/v01/health/ping`, { headers: requestHeaders() });
      const status = await axios.get(`${base}/proxy/status`, {
        params: { access_token: 'sandbox-access-token', externalId: '1' },
      });

      expect(ping.data.StatusCode).toBe(0);
      expect(status.data).toEqual({ status: false, data: { errors: { '-1601': 'Purchase not found' } } });
      expect(kaspi.snapshot().counters).toEqual({ ping: 1, status: 1 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
