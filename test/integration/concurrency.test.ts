import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Refund } from '../../src/entities';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_KASPI_PAYMENT, PAYMENT_STATUS, REFUND } from '../support/documents';
import { eventually, SERVICE_KEY, type TestGateway } from '../support/gateway';
import { startSandboxedGateway } from '../support/sandbox';

const SHOP = 71;

describe('retries and races', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  beforeAll(async () => {
    // These tests are about races, not timeouts: a loaded machine must not turn a slow invoice into an unknown one.
    ({ gw, sandbox } = await startSandboxedGateway(
      [{ shopId: SHOP, organizationBin: '991011000048', deviceToken: '3a4b5c6d-7e8f-4091-a2b3-c4d5e6f7a8b9' }],
      { KASPI_CREATE_TIMEOUT_MS: '15000', KASPI_REFUND_TIMEOUT_MS: '15000' },
    ));
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('sends one invoice for 100 concurrent creates with one idempotency key, and all 100 callers see the same payment', async () => {
    // A slow Kaspi keeps the first request in flight while the duplicates arrive.
    await sandbox.injectFault({ operation: 'create', fault: 'latency', latencyMs: 300 });
    const before = (await sandbox.state()).counters.create ?? 0;
    const input = { shopId: SHOP, amount: 150, phone: '77015211545', idempotencyKey: 'order-100-concurrent' };
    const results = await Promise.all(Array.from({ length: 100 }, () => gw.gql(CREATE_KASPI_PAYMENT, { input }, SERVICE_KEY)));

    expect(results.filter((result) => result.status !== 200 || result.errors).map((r) => r.errors)).toEqual([]);
    const ids = new Set(results.map((result) => result.data.createKaspiPayment.payment.id));
    expect(ids.size).toBe(1);
    expect(results.every((result) => result.data.createKaspiPayment.errors.length === 0)).toBe(true);
    expect(new Set(results.map((result) => result.data.createKaspiPayment.payment.status))).toEqual(new Set(['WAITING']));
    expect(((await sandbox.state()).counters.create ?? 0) - before).toBe(1);
  });

  it('refuses the same key with a different request', async () => {
    const key = 'order-reused-key';
    const first = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 10, phone: '77015211545', idempotencyKey: key } });
    expect(first.data.createKaspiPayment.errors).toEqual([]);
    const second = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 11, phone: '77015211545', idempotencyKey: key } });
    expect(second.data.createKaspiPayment).toEqual({ payment: null, errors: [expect.objectContaining({ code: 'IDEMPOTENCY_CONFLICT', retryable: false })] });
  });

  it('scopes idempotency keys to the caller', async () => {
    const input = { shopId: SHOP, amount: 12, phone: '77015211545', idempotencyKey: 'shared-key-between-callers' };
    const asAdmin = await gw.gql(CREATE_KASPI_PAYMENT, { input });
    const asService = await gw.gql(CREATE_KASPI_PAYMENT, { input }, SERVICE_KEY);
    expect(asAdmin.data.createKaspiPayment.payment.id).not.toBe(asService.data.createKaspiPayment.payment.id);
  });

  it('accepts exactly 10 of 50 concurrent refunds of 10 on a payment of 100', async () => {
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 100, phone: '77015211545' } });
    const { externalId } = created.data.createKaspiPayment.payment;
    await sandbox.confirm(externalId);
    await eventually(async () => {
      const status = await gw.gql(PAYMENT_STATUS, { externalId });
      return status.data.paymentStatus.status === 'PROCESSED' ? true : undefined;
    });

    const results = await Promise.all(
      Array.from({ length: 50 }, () => gw.gql(REFUND, { input: { shopId: SHOP, externalId, amount: 10 } }, SERVICE_KEY)),
    );
    const accepted = results.filter((result) => result.data.refund.errors.length === 0);
    const refused = results.filter((result) => result.data.refund.errors[0]?.code === 'REFUND_EXCEEDS_AVAILABLE');
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);

    const payment = await gw.gql(PAYMENT_STATUS, { externalId });
    expect(payment.data.paymentStatus.refundedAmount).toBe(100);
    expect(payment.data.paymentStatus.refunds).toHaveLength(10);
    expect((await sandbox.payment(externalId))?.refundedAmount).toBe(100);
    expect(await gw.gateway.orm.em.fork().count(Refund, { payment: { externalId } })).toBe(10);
  });

  it('returns the first refund for a retried refund key and never refunds twice', async () => {
    const created = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: SHOP, amount: 40, phone: '77015211545' } });
    const { externalId } = created.data.createKaspiPayment.payment;
    await sandbox.confirm(externalId);
    await eventually(async () => {
      const status = await gw.gql(PAYMENT_STATUS, { externalId });
      return status.data.paymentStatus.status === 'PROCESSED' ? true : undefined;
    });
    const input = { shopId: SHOP, externalId, amount: 15, idempotencyKey: 'return-42' };
    const results = await Promise.all(Array.from({ length: 20 }, () => gw.gql(REFUND, { input })));
    expect(new Set(results.map((result) => result.data.refund.refund?.id)).size).toBe(1);
    expect((await sandbox.payment(externalId))?.refundedAmount).toBe(15);
  });
});
