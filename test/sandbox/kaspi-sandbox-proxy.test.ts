import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, OTHER_BIN, PHONE, startTestSandbox, type TestSandbox } from './sandbox-test.helpers';

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

function createParams(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { phone: PHONE, amount: '100', message: 'Order 42', organizationBin: BIN, deviceToken: token, ...overrides };
}

async function createProcessed(amount = '100'): Promise<string> {
  const created = await sandbox.proxy.create(createParams({ amount }));
  const externalId = String(created.data.data!.externalId);
  await sandbox.control.confirm(externalId);
  return externalId;
}

describe('proxy API', () => {
  it('creates a payment over GET and answers externalId as a JSON number with the status', async () => {
    const response = await sandbox.proxy.create(createParams({ amount: '100.5' }));

    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      status: true,
      data: { externalId: expect.any(Number), status: 'RemotePaymentCreated' },
    });
    const payment = await sandbox.control.payment(String(response.data.data!.externalId));
    expect(payment).toMatchObject({ mode: 'proxy', amount: 100.5, phone: PHONE, comment: 'Order 42', deviceToken: token });
  });

  it('answers externalId as a string when configured to', async () => {
    await sandbox.control.configure({ proxyExternalIdType: 'string' });

    const response = await sandbox.proxy.create(createParams());

    expect(response.data.data!.externalId).toEqual(expect.stringMatching(/^\d+$/));
  });

  it('accepts the paths without their trailing slash', async () => {
    const response = await sandbox.http.get('/proxy/create', {
      params: { access_token: 'sandbox-access-token', ...createParams() },
    });

    expect(response.data.status).toBe(true);
  });

  it('reports the status of a payment as the customer pays it', async () => {
    const created = await sandbox.proxy.create(createParams());
    const externalId = String(created.data.data!.externalId);

    const before = await sandbox.proxy.status({ externalId });
    await sandbox.control.scan(externalId);
    const during = await sandbox.proxy.status({ externalId });
    await sandbox.control.confirm(externalId);
    const after = await sandbox.proxy.status({ externalId });

    expect([before, during, after].map((response) => response.data.data!.status)).toEqual([
      'RemotePaymentCreated',
      'Wait',
      'Processed',
    ]);
    expect(after.data.data!.externalId).toBe(Number(externalId));
  });

  it.each([
    ['a wrong access token', { access_token: 'guess' }],
    ['no access token', { access_token: undefined }],
  ])('refuses a call with %s with HTTP 401 and creates nothing', async (_label, override) => {
    const response = await sandbox.http.get('/proxy/create/', { params: { ...createParams(), ...override } });

    expect(response.status).toBe(401);
    expect(response.data).toEqual({ status: false, error: 'invalid access token' });
    expect(await sandbox.control.payments()).toEqual([]);
  });

  it('honours an access token changed through the control API', async () => {
    await sandbox.control.configure({ proxyAccessToken: 'rotated' });

    const old = await sandbox.proxy.create(createParams());
    const rotated = await sandbox.proxy.create(createParams({ access_token: 'rotated' }));

    expect(old.status).toBe(401);
    expect(rotated.data.status).toBe(true);
  });

  it("passes Kaspi's refusals on as errors keyed by the Kaspi code", async () => {
    const badAmount = await sandbox.proxy.create(createParams({ amount: '100.005' }));
    const unknown = await sandbox.proxy.status({ externalId: '42' });

    expect(badAmount.data).toEqual({ status: false, data: { errors: { '990000028': expect.any(String) } } });
    expect(unknown.data).toEqual({ status: false, data: { errors: { '-1601': 'Purchase not found' } } });
  });

  it('refunds 50 and 50 of a payment of 100 and refuses a third refund with -99000005', async () => {
    const externalId = await createProcessed();
    const refund = { externalId, amount: '50', organizationBin: BIN, deviceToken: token };

    const first = await sandbox.proxy.refund(refund);
    const second = await sandbox.proxy.refund(refund);
    const third = await sandbox.proxy.refund({ ...refund, amount: '1' });

    expect(first.data).toEqual({ status: true, data: { returnOperationId: expect.any(Number) } });
    expect(second.data.status).toBe(true);
    expect(third.data).toEqual({ status: false, data: { errors: { '-99000005': expect.any(String) } } });
  });

  it('refuses a proxy refund with a token that is not the payment’s with -99000003', async () => {
    const externalId = await createProcessed();
    const otherToken = randomUUID();
    await sandbox.proxy.create(createParams({ deviceToken: otherToken }));

    const response = await sandbox.proxy.refund({ externalId, amount: '10', organizationBin: BIN, deviceToken: otherToken });

    expect(response.data.data!.errors).toHaveProperty('-99000003');
  });

  it('refuses a proxy refund on an unpaid payment with -99000011', async () => {
    const created = await sandbox.proxy.create(createParams());

    const response = await sandbox.proxy.refund({
      externalId: String(created.data.data!.externalId),
      amount: '10',
      organizationBin: BIN,
      deviceToken: token,
    });

    expect(response.data.data!.errors).toHaveProperty('-99000011');
  });

  it('refuses a token already bound to another BIN with -1501', async () => {
    await sandbox.proxy.create(createParams());

    const response = await sandbox.proxy.create(createParams({ organizationBin: OTHER_BIN }));

    expect(response.data.data!.errors).toHaveProperty('-1501');
  });
});
