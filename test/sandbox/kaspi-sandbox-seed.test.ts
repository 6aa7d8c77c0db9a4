import axios from 'axios';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, PHONE, startTestSandbox, type TestSandbox } from './sandbox-test.helpers';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ autoAdvanceMs: 0 });
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(async () => {
  await sandbox.control.reset();
});

describe('bulk seeding', () => {
  it('creates many payments in one request that the proxy then answers for, back-dated as asked', async () => {
    const deviceToken = randomUUID();
    const before = Date.now();

    const ids = await sandbox.control.seedPayments({ count: 3, organizationBin: BIN, deviceToken, amount: 150.5, phone: PHONE, ageMs: 60_000 });

    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const status = await sandbox.proxy.status({ externalId: ids[2] });
    expect(status.data).toMatchObject({ status: true, data: { status: 'RemotePaymentCreated' } });
    const payment = await sandbox.control.payment(ids[0]);
    expect(payment).toMatchObject({ mode: 'proxy', organizationBin: BIN, deviceToken, amount: 150.5, phone: PHONE });
    expect(Date.parse(payment!.createdAt)).toBeLessThanOrEqual(before - 60_000 + 1_000);
  });

  it('does not count seeded payments as calls', async () => {
    await sandbox.control.seedPayments({ count: 2, organizationBin: BIN, deviceToken: randomUUID(), amount: 10, phone: PHONE });

    const { calls, counters } = await sandbox.control.state();

    expect(calls).toEqual([]);
    expect(counters).toEqual({});
  });

  it('forces one status on many payments and reports the ids it does not know', async () => {
    const ids = await sandbox.control.seedPayments({ count: 2, organizationBin: BIN, deviceToken: randomUUID(), amount: 10, phone: PHONE });

    const result = await sandbox.control.forceStatuses([...ids, '1'], 'Processed');

    expect(result).toEqual({ updated: 2, notFound: ['1'] });
    expect((await sandbox.control.payment(ids[1]))?.status).toBe('Processed');
  });

  it('refuses a seed for a device bound to another BIN with HTTP 400', async () => {
    const deviceToken = randomUUID();
    await sandbox.control.registerDevice({ organizationBin: BIN, deviceToken });

    const failure = await sandbox.control
      .seedPayments({ count: 1, organizationBin: '987654321098', deviceToken, amount: 10, phone: PHONE })
      .catch((error: unknown) => error);

    expect(axios.isAxiosError(failure) && failure.response?.status).toBe(400);
  });
});
