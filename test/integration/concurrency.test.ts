import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Refund } from '../../src/entities';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { CREATE_KASPI_PAYMENT, PAYMENT_STATUS, REFUND } from '../support/documents';
import { ADMIN_KEY, eventually, SERVICE_KEY, type TestGateway } from '../support/gateway';
import { startSandboxedGateway } from '../support/sandbox';

const SHOP = 71;
const OTHER_SHOP = 72;

describe('retries and races', () => {
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  beforeAll(async () => {
    // These tests are about races, not timeouts: a loaded machine must not turn a slow invoice into an unknown one.
    ({ gw, sandbox } = await startSandboxedGateway(
      [SHOP, OTHER_SHOP].map((shopId) => ({ shopId, organizationBin: '991011000048', deviceToken: '3a4b5c6d-7e8f-4091-a2b3-c4d5e6f7a8b9' })),
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

  it('scopes idempotency keys to the shop: one payment and one refund per shop and key, whichever API key retries', async () => {
    const createsBefore = (await sandbox.state()).counters.create ?? 0;
    const input = { shopId: SHOP, amount: 12, phone: '77015211545', idempotencyKey: 'shared-key-between-callers' };
    const asAdmin = await gw.gql(CREATE_KASPI_PAYMENT, { input }, ADMIN_KEY);
    const asService = await gw.gql(CREATE_KASPI_PAYMENT, { input }, SERVICE_KEY);
    const payment = asAdmin.data.createKaspiPayment.payment;
    expect(asService.data.createKaspiPayment.errors).toEqual([]);
    expect(asService.data.createKaspiPayment.payment.id).toBe(payment.id);
    expect(((await sandbox.state()).counters.create ?? 0) - createsBefore).toBe(1);
    const changed = await gw.gql(CREATE_KASPI_PAYMENT, { input: { ...input, amount: 13 } }, SERVICE_KEY);
    expect(changed.data.createKaspiPayment).toMatchObject({ payment: null, errors: [{ code: 'IDEMPOTENCY_CONFLICT', retryable: false }] });

    const onOtherShop = await gw.gql(CREATE_KASPI_PAYMENT, { input: { ...input, shopId: OTHER_SHOP } }, SERVICE_KEY);
    const otherPayment = onOtherShop.data.createKaspiPayment.payment;
    expect(onOtherShop.data.createKaspiPayment.errors).toEqual([]);
    expect(otherPayment.id).not.toBe(payment.id);
    expect(((await sandbox.state()).counters.create ?? 0) - createsBefore).toBe(2);

    for (const paid of [payment, otherPayment]) {
      await sandbox.confirm(paid.externalId);
      await eventually(async () => {
        const status = await gw.gql(PAYMENT_STATUS, { externalId: paid.externalId });
        return status.data.paymentStatus.status === 'PROCESSED' ? true : undefined;
      });
    }
    const refund = { shopId: SHOP, externalId: payment.externalId, amount: 5, idempotencyKey: 'shared-return-between-callers' };
    const refundAsAdmin = await gw.gql(REFUND, { input: refund }, ADMIN_KEY);
    const refundAsService = await gw.gql(REFUND, { input: refund }, SERVICE_KEY);
    expect(refundAsAdmin.data.refund.errors).toEqual([]);
    expect(refundAsService.data.refund.errors).toEqual([]);
    expect(refundAsService.data.refund.refund.id).toBe(refundAsAdmin.data.refund.refund.id);
    const refundChanged = await gw.gql(REFUND, { input: { ...refund, amount: 6 } }, SERVICE_KEY);
    expect(refundChanged.data.refund.errors).toMatchObject([{ code: 'IDEMPOTENCY_CONFLICT' }]);
    expect((await sandbox.payment(payment.externalId))?.refundedAmount).toBe(5);

    const refundOnOtherShop = await gw.gql(REFUND, { input: { ...refund, shopId: OTHER_SHOP, externalId: otherPayment.externalId } }, SERVICE_KEY);
    expect(refundOnOtherShop.data.refund.errors).toEqual([]);
    expect(refundOnOtherShop.data.refund.refund.id).not.toBe(refundAsAdmin.data.refund.refund.id);
    expect((await sandbox.payment(otherPayment.externalId))?.refundedAmount).toBe(5);
    expect(await gw.gateway.orm.em.fork().count(Refund, { idempotencyKey: refund.idempotencyKey })).toBe(2);

    // A key of the other shop only is not told what this shop did under its keys.
    const restricted = await gw.gql(
      `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret errors { code } } }`,
      { input: { role: 'service', label: 'other-shop-backend', shopIds: [OTHER_SHOP] } },
    );
    const otherShopKey = restricted.data.createApiKey.secret as string;
    const foreignCreate = await gw.gql(CREATE_KASPI_PAYMENT, { input }, otherShopKey);
    expect(foreignCreate.data.createKaspiPayment.payment).toBeNull();
    expect(foreignCreate.data.createKaspiPayment.errors).toHaveLength(1);
    const foreignRefund = await gw.gql(REFUND, { input: refund }, otherShopKey);
    expect(foreignRefund.data.refund).toMatchObject({ refund: null, payment: null, errors: [{ code: 'PAYMENT_NOT_FOUND' }] });
    expect(foreignRefund.data.refund.errors).toHaveLength(1);
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
