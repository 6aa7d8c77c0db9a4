import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { OutboxEventKind } from '../../src/domain/outbox-event';
import { PaymentStatus } from '../../src/domain/payment-status';
import { RefundStatus } from '../../src/domain/refund-status';
import { LogOperation } from '../../src/entities/payment-log.entity';
import { Payment } from '../../src/entities/payment.entity';
import { Refund } from '../../src/entities/refund.entity';
import { ErrorCode } from '../../src/errors';
import { FAKE_BIN, FAKE_DEVICE_TOKEN, OPERATOR, refused, timedOut, useServiceHarness } from '../support/service-harness';

const SHOP = 8;

describe('refunds (services on a database, fake provider)', () => {
  const h = useServiceHarness(SHOP);
  beforeEach(() => {
    h.upstream.refunded.length = 0;
  });

  const stored = (paymentId: string) => h.stored(paymentId);

  function refund(payment: Payment, amount: number, idempotencyKey: string | null = randomUUID()) {
    return h.services.refunds.refund(h.ctx(), { shopId: SHOP, externalId: payment.externalId!, amount, idempotencyKey });
  }

  it('refunds part of a payment, then more of it, each with the routing and amount the payment was made with', async () => {
    const payment = await h.paidPayment(SHOP, 100);

    const first = await refund(payment, 30);
    expect(first.errors).toEqual([]);
    expect(first.refund?.status).toBe(RefundStatus.SUCCEEDED);
    const second = await refund(payment, 45.5);
    expect(second.errors).toEqual([]);
    expect(second.refund?.status).toBe(RefundStatus.SUCCEEDED);

    expect(h.upstream.refunded).toEqual([
      expect.objectContaining({ externalId: payment.externalId, amount: 3_000, operationId: first.refund!.id, routing: expect.objectContaining({ organizationBin: FAKE_BIN, deviceToken: FAKE_DEVICE_TOKEN }) }),
      expect.objectContaining({ externalId: payment.externalId, amount: 4_550, operationId: second.refund!.id }),
    ]);
    const { payment: after, refundable } = await stored(payment.id);
    expect(after.refundedAmount).toBe(7_550);
    expect(refundable).toBe(2_450);
  });

  it('refuses a refund above what is left to refund, sends nothing upstream and reserves nothing', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    expect((await refund(payment, 80)).errors).toEqual([]);

    const tooMuch = await refund(payment, 20.01);
    expect(tooMuch.refund).toBeNull();
    expect(tooMuch.errors).toEqual([expect.objectContaining({ code: ErrorCode.REFUND_EXCEEDS_AVAILABLE, field: ['input', 'amount'] })]);
    expect(h.upstream.refunded).toHaveLength(1);

    const { refunds, refundable } = await stored(payment.id);
    expect(refunds).toHaveLength(1);
    expect(refundable).toBe(2_000);
    // The refusal is audited, with the amount asked for.
    const refusals = (await h.auditRows(payment.id)).filter((row) => row.operationType === LogOperation.REFUND && row.errorCode === ErrorCode.REFUND_EXCEEDS_AVAILABLE);
    expect(refusals).toEqual([expect.objectContaining({ amount: 2_001, refundId: null })]);

    // What is left can still be refunded, to the last tiyn.
    expect((await refund(payment, 20)).refund?.status).toBe(RefundStatus.SUCCEEDED);
    expect((await stored(payment.id)).refundable).toBe(0);
    expect((await refund(payment, 0.01)).errors[0]?.code).toBe(ErrorCode.REFUND_EXCEEDS_AVAILABLE);
  });

  it('has reserved the amount, PENDING, by the time the provider is called', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    let seenDuringCall: Awaited<ReturnType<typeof stored>> | null = null;
    h.upstream.next.refund.push(async () => {
      seenDuringCall = await stored(payment.id);
      return { returnOperationId: 'return-reserved' };
    });

    await refund(payment, 60);

    expect(seenDuringCall!.refunds.map((r) => [r.amount, r.status])).toEqual([[6_000, RefundStatus.PENDING]]);
    expect(seenDuringCall!.refundable).toBe(4_000);
  });

  it('keeps the reservation of a refund whose outcome is unknown, so that nothing more than was paid can go out', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    h.upstream.next.refund.push(timedOut);

    const unknown = await refund(payment, 70);
    expect(unknown.refund?.status).toBe(RefundStatus.UNKNOWN);
    expect(unknown.errors).toEqual([expect.objectContaining({ code: ErrorCode.PROVIDER_UNAVAILABLE })]);

    let state = await stored(payment.id);
    expect(state.refundable).toBe(3_000);
    expect(state.payment.refundedAmount).toBe(0);
    expect((await refund(payment, 30.01)).errors[0]?.code).toBe(ErrorCode.REFUND_EXCEEDS_AVAILABLE);
    expect((await refund(payment, 30)).refund?.status).toBe(RefundStatus.SUCCEEDED);
    expect(h.upstream.refunded.map((call) => call.amount)).toEqual([7_000, 3_000]);

    // Learned to have failed: the reservation is released, and only then can the rest go back.
    const resolved = await h.services.refunds.resolveUnknown(h.ctx(OPERATOR), { refundId: unknown.refund!.id, outcome: 'FAILED', reason: 'not found at the provider' });
    expect(resolved.errors).toEqual([]);
    state = await stored(payment.id);
    expect(state.refundable).toBe(7_000);
    expect(state.payment.refundedAmount).toBe(3_000);
  });

  it('counts an unknown refund learned to have succeeded as refunded, once', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    h.upstream.next.refund.push(timedOut);
    const unknown = await refund(payment, 40);

    await h.services.refunds.resolveUnknown(h.ctx(OPERATOR), { refundId: unknown.refund!.id, outcome: 'SUCCEEDED', reason: 'seen in the provider cabinet' });
    const again = await h.services.refunds.resolveUnknown(h.ctx(OPERATOR), { refundId: unknown.refund!.id, outcome: 'SUCCEEDED', reason: 'seen in the provider cabinet' });

    expect(again.errors).toEqual([expect.objectContaining({ code: ErrorCode.BAD_INPUT })]);
    const { payment: after, refundable } = await stored(payment.id);
    expect(after.refundedAmount).toBe(4_000);
    expect(refundable).toBe(6_000);
  });

  it('releases the reservation of a refund the provider refused', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    h.upstream.next.refund.push(() => refused('-1501'));

    const result = await refund(payment, 100);

    expect(result.refund?.status).toBe(RefundStatus.FAILED);
    expect(result.errors).toEqual([expect.objectContaining({ code: ErrorCode.PROVIDER_REJECTED, providerCode: '-1501' })]);
    const { payment: after, refundable } = await stored(payment.id);
    expect(refundable).toBe(10_000);
    expect(after.refundedAmount).toBe(0);
  });

  it('replays a refund sent again under the same key without calling the provider again, and refuses the key for another amount', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    const key = `return-${randomUUID()}`;

    const first = await refund(payment, 25, key);
    const again = await refund(payment, 25, key);
    const changed = await refund(payment, 26, key);

    expect(again.refund?.id).toBe(first.refund!.id);
    expect(again.errors).toEqual([]);
    expect(changed.refund).toBeNull();
    expect(changed.errors).toEqual([expect.objectContaining({ code: ErrorCode.IDEMPOTENCY_CONFLICT })]);
    expect(h.upstream.refunded).toHaveLength(1);
    expect((await stored(payment.id)).refundable).toBe(7_500);
  });

  it('lets only one of two refunds sent at once through when together they exceed the payment', async () => {
    const payment = await h.paidPayment(SHOP, 100);

    const results = await Promise.all([refund(payment, 60), refund(payment, 60)]);

    expect(results.map((result) => result.refund?.status ?? result.errors[0]?.code).sort()).toEqual([ErrorCode.REFUND_EXCEEDS_AVAILABLE, RefundStatus.SUCCEEDED]);
    expect(h.upstream.refunded).toHaveLength(1);
    expect((await stored(payment.id)).refundable).toBe(4_000);
  });

  it('refuses to refund a payment that is not PROCESSED', async () => {
    const { payment } = await h.services.paymentCreation.create(h.ctx(), { shopId: SHOP, amount: 100, phone: '+7 701 521 15 45', idempotencyKey: randomUUID() });
    expect(payment?.status).toBe(PaymentStatus.WAITING);

    const result = await refund(payment!, 10);

    expect(result.errors).toEqual([expect.objectContaining({ code: ErrorCode.PAYMENT_NOT_REFUNDABLE })]);
    expect(h.upstream.refunded).toEqual([]);
    expect(await h.em().count(Refund, { payment: payment!.id })).toBe(0);
  });

  it('writes each move of a refund to the outbox and the audit log in the transaction that makes it', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    const { refund: made } = await refund(payment, 10);

    const refundEvents = (await h.outboxEvents(payment.id)).filter((event) => event.kind === OutboxEventKind.REFUND_STATUS_CHANGED);
    expect(refundEvents.map((event) => [event.refundId, event.previousStatus, event.status])).toEqual([
      [made!.id, null, RefundStatus.PENDING],
      [made!.id, RefundStatus.PENDING, RefundStatus.SUCCEEDED],
    ]);
    const audit = (await h.auditRows(payment.id)).filter((row) => row.refundId === made!.id);
    expect(audit.map((row) => [row.operationType, row.amount])).toEqual([
      [LogOperation.REFUND, 1_000],
      [LogOperation.REFUND, 1_000],
    ]);
    expect(audit[1].details).toEqual({ returnOperationId: expect.any(String) });
  });
});
