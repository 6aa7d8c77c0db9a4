import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_KASPI_PAYMENT, LOGS, PAYMENT_STATUS, REFUND } from '../support/documents';
import { eventually, type TestGateway } from '../support/gateway';
import { startSandboxedGateway } from '../support/sandbox';

const SHOP = 51;
const TOKEN = '7d9e8f10-2a3b-4c5d-8e6f-a1b2c3d4e5f6';

type Fault = 'latency' | 'drop' | 'empty' | 'malformed' | 'http5xx' | 'unavailable';
/** Faults where Kaspi did the work and only the answer was lost. */
const APPLIED: Fault[] = ['latency', 'drop', 'empty', 'malformed'];

describe('Kaspi faults: unknown is not failed, and nothing is sent twice', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  beforeAll(async () => {
    ({ gw, sandbox } = await startSandboxedGateway([{ shopId: SHOP, organizationBin: '210440028324', deviceToken: TOKEN }]));
  });

  afterAll(async () => {
    await gw?.stop();
  });

  describe.each<[Fault, string]>([
    ['latency', 'UNKNOWN'],
    ['drop', 'UNKNOWN'],
    ['empty', 'UNKNOWN'],
    ['malformed', 'UNKNOWN'],
    ['http5xx', 'UNKNOWN'],
    ['unavailable', 'FAILED'],
  ])('on create, a %s answer', (fault, expectedStatus) => {
    it(`leaves the payment ${expectedStatus}, sends one invoice at most, and a retry with the same key sends none`, async () => {
      await sandbox.injectFault({ operation: 'create', fault, latencyMs: 2_500 });
      const before = await sandbox.state();
      const key = `fault-create-${fault}`;
      const input = { shopId: SHOP, amount: 77, phone: '77015211545', idempotencyKey: key };

      const first = await gw.gql(CREATE_KASPI_PAYMENT, { input });
      expect(first.status).toBe(200);
      const { payment, errors } = first.data.createKaspiPayment;
      expect(payment.status).toBe(expectedStatus);
      expect(payment.externalId).toBeNull();
      expect(errors).toEqual([
        expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', providerCode: fault === 'unavailable' ? '-999' : null }),
      ]);
      expect(errors[0].message).not.toMatch(/StatusCode|ECONN|socket|<html/i);
      // The same key replays this answer for ever: a retry with it cannot help, whatever the fault.
      expect(errors[0].retryable).toBe(false);
      if (fault === 'unavailable') expect(errors[0].message).toMatch(/new idempotency key/);

      // A late answer is logged by the sandbox only when it is finally sent.
      const after = await eventually(async () => {
        const state = await sandbox.state();
        return (state.counters.create ?? 0) > (before.counters.create ?? 0) ? state : undefined;
      }, 5_000, 'the sandbox to record the create call');
      expect((after.counters.create ?? 0) - (before.counters.create ?? 0)).toBe(1);
      const invoicesIssued = after.payments.length - before.payments.length;
      expect(invoicesIssued).toBe(APPLIED.includes(fault) ? 1 : 0);

      const retry = await gw.gql(CREATE_KASPI_PAYMENT, { input });
      expect(retry.data.createKaspiPayment.payment.id).toBe(payment.id);
      expect(retry.data.createKaspiPayment.payment.status).toBe(expectedStatus);
      expect(retry.data.createKaspiPayment.errors).toEqual(errors);
      expect((await sandbox.state()).counters.create).toBe(after.counters.create);

      const logs = await gw.gql(LOGS, { shopId: SHOP, limit: 500 });
      expect(logs.data.logs).toContainEqual(
        expect.objectContaining({ operationType: 'CREATE', status: expectedStatus, errorCode: 'PROVIDER_UNAVAILABLE', amount: 77 }),
      );
    });
  });

  it('keeps a payment as it is while status checks fail, and logs each failed check', async () => {
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 30, phone: '77015211545' } });
    const externalId = created.data.createKaspiPayment.payment.externalId;
    for (const fault of ['latency', 'drop', 'empty', 'malformed', 'http5xx', 'unavailable'] as Fault[]) {
      await sandbox.injectFault({ operation: 'status', fault, latencyMs: 2_500 });
    }
    await sandbox.confirm(externalId);
    for (let i = 0; i < 3; i += 1) {
      const status = await gw.gql(PAYMENT_STATUS, { externalId });
      expect(status.errors).toBeUndefined();
      expect(['WAITING', 'PROCESSED']).toContain(status.data.paymentStatus.status);
    }
    const failedChecks = await eventually(async () => {
      const logs = await gw.gql(LOGS, { externalId, limit: 500 });
      const failed = logs.data.logs.filter((row: any) => row.operationType === 'STATUS' && row.errorCode === 'PROVIDER_UNAVAILABLE');
      return failed.length >= 6 ? failed : undefined;
    }, 20_000, 'six failed status checks in the log');
    expect(failedChecks).toHaveLength(6);
    const settled = await eventually(async () => {
      const status = await gw.gql(PAYMENT_STATUS, { externalId });
      return status.data.paymentStatus.status === 'PROCESSED' ? status.data.paymentStatus : undefined;
    }, 20_000, 'the payment to be seen as PROCESSED once Kaspi answers again');
    expect(settled.providerStatus).toBe('Processed');
  });

  it('never refunds above the amount whatever the refund answers, and settles the unknown ones from Kaspi', async () => {
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 100, phone: '77015211545' } });
    const externalId = created.data.createKaspiPayment.payment.externalId;
    await sandbox.confirm(externalId);
    await eventually(async () => ((await gw.gql(PAYMENT_STATUS, { externalId })).data.paymentStatus.status === 'PROCESSED' ? true : undefined));

    const outcomes: Array<[Fault, string]> = [
      ['latency', 'UNKNOWN'],
      ['drop', 'UNKNOWN'],
      ['empty', 'UNKNOWN'],
      ['malformed', 'UNKNOWN'],
      ['http5xx', 'UNKNOWN'],
      ['unavailable', 'FAILED'],
    ];
    for (const [fault, expected] of outcomes) {
      await sandbox.injectFault({ operation: 'refund', fault, latencyMs: 2_500 });
      const result = await gw.gql(REFUND, { input: { shopId: SHOP, externalId, amount: 10 } });
      expect(result.data.refund.refund.status).toBe(expected);
      expect(result.data.refund.errors[0].code).toBe('PROVIDER_UNAVAILABLE');
    }
    // However the unknown ones end, 50 can still be refunded: they reserve at most 50.
    const more = await gw.gql(REFUND, { input: { shopId: SHOP, externalId, amount: 50 } });
    expect(more.data.refund.errors).toEqual([]);

    // Direct mode asks Kaspi what is left to refund: the four that reached Kaspi succeeded, the 5xx one did not.
    const settled = await eventually(async () => {
      const payment = (await gw.gql(PAYMENT_STATUS, { externalId })).data.paymentStatus;
      return payment.refunds.some((refund: any) => refund.status === 'UNKNOWN') ? undefined : payment;
    }, 15_000, 'the unknown refunds to be settled');
    expect(settled.refunds.map((refund: any) => refund.status).sort()).toEqual(
      ['FAILED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
    );
    expect(settled).toMatchObject({ refundedAmount: 90, refundableAmount: 10 });
    expect((await sandbox.payment(externalId))?.refundedAmount).toBe(90);
    const over = await gw.gql(REFUND, { input: { shopId: SHOP, externalId, amount: 10.01 } });
    expect(over.data.refund.errors[0].code).toBe('REFUND_EXCEEDS_AVAILABLE');
  });
});
