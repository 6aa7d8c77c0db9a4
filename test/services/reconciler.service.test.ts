import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { OutboxEventKind } from '../../src/domain/outbox-event';
import { RefundStatus } from '../../src/domain/refund-status';
import { LogOperation } from '../../src/entities/payment-log.entity';
import { Payment } from '../../src/entities/payment.entity';
import { timedOut, useServiceHarness } from '../support/service-harness';

const SHOP = 8;

describe('the reconciler settling refunds whose outcome is unknown (services on a database, fake provider)', () => {
  const h = useServiceHarness(SHOP);
  beforeEach(() => {
    h.upstream.refunded.length = 0;
    h.upstream.refundableAsked.length = 0;
    h.upstream.idempotencyWindowMs = undefined;
  });

  const stored = (paymentId: string) => h.stored(paymentId);

  /** A refund whose answer was lost: UNKNOWN, its amount reserved. */
  async function unknownRefund(payment: Payment, amount: number) {
    h.upstream.next.refund.push(timedOut);
    const { refund } = await h.services.refunds.refund(h.ctx(), { shopId: SHOP, externalId: payment.externalId!, amount, idempotencyKey: randomUUID() });
    expect(refund?.status).toBe(RefundStatus.UNKNOWN);
    return refund!;
  }

  it('settles unknown refunds from the refundable amount the provider reports: the one that explains it SUCCEEDED, the rest FAILED', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    const thirty = await unknownRefund(payment, 30);
    const twenty = await unknownRefund(payment, 20);
    h.upstream.next.refundable.push(() => ({ total: 10_000, available: 7_000 }));

    await h.services.reconciler.tick();

    const after = await stored(payment.id);
    expect(Object.fromEntries(after.refunds.map((refund) => [refund.id, refund.status]))).toEqual({
      [thirty.id]: RefundStatus.SUCCEEDED,
      [twenty.id]: RefundStatus.FAILED,
    });
    expect(after.payment.refundedAmount).toBe(3_000);
    expect(after.refundable).toBe(7_000);
    expect(h.upstream.refundableAsked).toEqual([expect.objectContaining({ externalId: payment.externalId })]);

    // Each settlement is a move with its outbox event and its audit row, made by the reconciler.
    const events = (await h.outboxEvents(payment.id)).filter((event) => event.kind === OutboxEventKind.REFUND_STATUS_CHANGED);
    expect(events.slice(-2).map((event) => [event.refundId, event.previousStatus, event.status])).toEqual(
      expect.arrayContaining([
        [thirty.id, RefundStatus.UNKNOWN, RefundStatus.SUCCEEDED],
        [twenty.id, RefundStatus.UNKNOWN, RefundStatus.FAILED],
      ]),
    );
    const audit = (await h.auditRows(payment.id)).slice(-2);
    expect(audit.map((row) => [row.operationType, row.refundId, row.amount, row.actor])).toEqual(
      expect.arrayContaining([
        [LogOperation.REFUND, thirty.id, 3_000, 'reconciler'],
        [LogOperation.REFUND, twenty.id, 2_000, 'reconciler'],
      ]),
    );

    // Settled once: the next pass asks nothing and changes nothing.
    await h.services.reconciler.tick();
    expect(h.upstream.refundableAsked).toHaveLength(1);
    expect((await stored(payment.id)).payment.refundedAmount).toBe(3_000);
  });

  it('leaves them UNKNOWN for a human when the figure can be made up by refunds of different amounts', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    const refunds = [await unknownRefund(payment, 30), await unknownRefund(payment, 20), await unknownRefund(payment, 10)];
    // 30 tenge went back: the 30, or the 20 and the 10?
    h.upstream.next.refundable.push(() => ({ total: 10_000, available: 7_000 }));

    await h.services.reconciler.tick();

    const after = await stored(payment.id);
    expect(after.refunds.map((refund) => refund.status)).toEqual(refunds.map(() => RefundStatus.UNKNOWN));
    expect(after.payment.refundedAmount).toBe(0);
    expect(after.refundable).toBe(4_000);
  });

  it('asks again under the same operation id when the provider cannot tell the amount but remembers operations', async () => {
    h.upstream.idempotencyWindowMs = 24 * 60 * 60 * 1000;
    const payment = await h.paidPayment(SHOP, 100);
    const lost = await unknownRefund(payment, 40);

    await h.services.reconciler.tick();

    const calls = h.upstream.refunded.filter((call) => call.externalId === payment.externalId);
    expect(calls.map((call) => [call.operationId, call.amount])).toEqual([
      [lost.id, 4_000],
      [lost.id, 4_000],
    ]);
    const after = await stored(payment.id);
    expect(after.refunds.map((refund) => refund.status)).toEqual([RefundStatus.SUCCEEDED]);
    expect(after.payment.refundedAmount).toBe(4_000);
  });

  it('never sends an unknown refund again to a provider that does not remember operations', async () => {
    const payment = await h.paidPayment(SHOP, 100);
    await unknownRefund(payment, 40);

    await h.services.reconciler.tick();

    expect(h.upstream.refunded.filter((call) => call.externalId === payment.externalId)).toHaveLength(1);
    expect((await stored(payment.id)).refunds.map((refund) => refund.status)).toEqual([RefundStatus.UNKNOWN]);
  });
});
