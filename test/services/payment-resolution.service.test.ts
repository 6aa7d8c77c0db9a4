import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OutboxEventKind } from '../../src/domain/outbox-event';
import { PaymentStatus } from '../../src/domain/payment-status';
import { LogOperation } from '../../src/entities/payment-log.entity';
import { Payment } from '../../src/entities/payment.entity';
import { ErrorCode } from '../../src/errors';
import type { ResolvePaymentCommand } from '../../src/services/payment-resolution.service';
import { OPERATOR, paidState, timedOut, useServiceHarness } from '../support/service-harness';

const SHOP = 8;

describe('an admin settling a payment the gateway could not (services on a database, fake provider)', () => {
  const h = useServiceHarness(SHOP);

  /** A payment whose create answer was lost: UNKNOWN, with no provider id. */
  async function lostPayment(): Promise<Payment> {
    h.upstream.next.create.push(timedOut);
    const { payment } = await h.services.paymentCreation.create(h.ctx(), { shopId: SHOP, amount: 100, phone: '+7 701 521 15 45', idempotencyKey: randomUUID() });
    expect(payment).toMatchObject({ status: PaymentStatus.UNKNOWN, externalId: null });
    return h.em().findOneOrFail(Payment, { id: payment!.id });
  }

  const resolve = (input: ResolvePaymentCommand) => h.services.paymentResolution.resolveUnknown(h.ctx(OPERATOR), input);

  it('attaches the invoice id an admin found at the provider and asks the provider about it at once', async () => {
    const payment = await lostPayment();
    h.upstream.next.status.push((request) => paidState(request.externalId));

    const result = await resolve({ paymentId: payment.id, externalId: 'found-4711', reason: 'found in the Kaspi cabinet' });

    expect(result.errors).toEqual([]);
    expect(result.payment).toMatchObject({ id: payment.id, externalId: 'found-4711', status: PaymentStatus.PROCESSED });
    expect(h.upstream.statusAsked.at(-1)).toMatchObject({ externalId: 'found-4711' });
    const resolution = (await h.auditRows(payment.id)).find((row) => row.operationType === LogOperation.RESOLVE);
    expect(resolution).toMatchObject({ actor: OPERATOR.label, details: { action: 'attachExternalId', reason: 'found in the Kaspi cabinet' } });
    expect((await h.outboxEvents(payment.id)).map((event) => [event.kind, event.status]).at(-1)).toEqual([OutboxEventKind.PAYMENT_STATUS_CHANGED, PaymentStatus.PROCESSED]);
  });

  it('marks FAILED a payment an admin made sure does not exist at the provider, saying who and why', async () => {
    const payment = await lostPayment();
    const asked = h.upstream.statusAsked.length;

    const result = await resolve({ paymentId: payment.id, markFailed: true, reason: 'no such invoice at Kaspi' });

    expect(result.errors).toEqual([]);
    expect(result.payment?.status).toBe(PaymentStatus.FAILED);
    expect(h.upstream.statusAsked).toHaveLength(asked);
    const stored = await h.em().findOneOrFail(Payment, { id: payment.id });
    expect(stored.errorMessage).toBe(`marked FAILED by ${OPERATOR.label}: no such invoice at Kaspi`);
    expect((await h.auditRows(payment.id)).at(-1)).toMatchObject({
      operationType: LogOperation.RESOLVE,
      status: PaymentStatus.FAILED,
      actor: OPERATOR.label,
      details: { action: 'markFailed', reason: 'no such invoice at Kaspi' },
    });
  });

  it.each([
    ['neither an id nor markFailed', { reason: 'checked' }],
    ['both an id and markFailed', { externalId: 'found-1', markFailed: true, reason: 'checked' }],
    ['no reason', { markFailed: true, reason: ' ' }],
  ])('refuses %s as BAD_INPUT and changes nothing', async (_case, input) => {
    const payment = await lostPayment();
    const rows = (await h.auditRows(payment.id)).length;

    const result = await resolve({ paymentId: payment.id, ...input });

    expect(result.errors).toEqual([expect.objectContaining({ code: ErrorCode.BAD_INPUT })]);
    expect(await h.em().findOneOrFail(Payment, { id: payment.id })).toMatchObject({ status: PaymentStatus.UNKNOWN, externalId: null });
    expect(await h.auditRows(payment.id)).toHaveLength(rows);
  });

  it('refuses a payment that is not UNKNOWN, an id that belongs to another payment, and a payment that does not exist', async () => {
    const paid = await h.paidPayment(SHOP, 50);
    const lost = await lostPayment();

    expect((await resolve({ paymentId: paid.id, markFailed: true, reason: 'checked' })).errors).toEqual([expect.objectContaining({ code: ErrorCode.BAD_INPUT })]);
    expect((await resolve({ paymentId: lost.id, externalId: paid.externalId, reason: 'checked' })).errors).toEqual([
      expect.objectContaining({ code: ErrorCode.BAD_INPUT, message: expect.stringMatching(/already belongs to another payment/) }),
    ]);
    expect((await resolve({ paymentId: randomUUID(), markFailed: true, reason: 'checked' })).errors).toEqual([expect.objectContaining({ code: ErrorCode.PAYMENT_NOT_FOUND })]);
    expect(await h.em().findOneOrFail(Payment, { id: paid.id })).toMatchObject({ status: PaymentStatus.PROCESSED });
    expect(await h.em().findOneOrFail(Payment, { id: lost.id })).toMatchObject({ status: PaymentStatus.UNKNOWN, externalId: null });
  });
});
