import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OutboxEventKind } from '../../src/domain/outbox-event';
import { PaymentStatus } from '../../src/domain/payment-status';
import { LogOperation } from '../../src/entities/payment-log.entity';
import { Payment } from '../../src/entities/payment.entity';
import { ErrorCode } from '../../src/errors';
import { FAKE_BIN, FAKE_DEVICE_TOKEN, paidState, timedOut, useServiceHarness } from '../support/service-harness';

const SHOP = 8;

describe('learning a payment status (services on a database, fake provider)', () => {
  const h = useServiceHarness(SHOP);

  async function waiting(): Promise<Payment> {
    const { payment } = await h.services.paymentCreation.create(h.ctx(), { shopId: SHOP, amount: 100, phone: '+7 701 521 15 45', idempotencyKey: randomUUID() });
    expect(payment?.status).toBe(PaymentStatus.WAITING);
    return payment!;
  }

  const check = (paymentId: string) =>
    h.services.paymentStatusSync.checkStatus(h.em(), paymentId, { actor: 'reconciler', requestId: randomUUID() });
  const stored = (paymentId: string) => h.em().findOneOrFail(Payment, { id: paymentId });

  it('applies a provider answer through the lifecycle: the new status, its audit row and its outbox event', async () => {
    const payment = await waiting();
    const asked = h.upstream.statusAsked.length;
    h.upstream.next.status.push((request) => paidState(request.externalId));

    await check(payment.id);

    expect(h.upstream.statusAsked.slice(asked)).toEqual([
      expect.objectContaining({ externalId: payment.externalId, reference: payment.id, routing: expect.objectContaining({ organizationBin: FAKE_BIN, deviceToken: FAKE_DEVICE_TOKEN }) }),
    ]);
    const after = await stored(payment.id);
    expect(after).toMatchObject({ status: PaymentStatus.PROCESSED, providerStatus: 'Processed', nextPollAt: null });
    expect((await h.auditRows(payment.id)).at(-1)).toMatchObject({ operationType: LogOperation.STATUS, status: 'Processed', actor: 'reconciler', errorCode: null });
    expect((await h.outboxEvents(payment.id)).map((event) => [event.kind, event.previousStatus, event.status])).toEqual([
      [OutboxEventKind.PAYMENT_STATUS_CHANGED, PaymentStatus.PENDING, PaymentStatus.WAITING],
      [OutboxEventKind.PAYMENT_STATUS_CHANGED, PaymentStatus.WAITING, PaymentStatus.PROCESSED],
    ]);
  });

  it('does not ask about a payment that is final', async () => {
    const payment = await waiting();
    h.upstream.next.status.push((request) => paidState(request.externalId));
    await check(payment.id);
    const asked = h.upstream.statusAsked.length;

    await check(payment.id);

    expect(h.upstream.statusAsked).toHaveLength(asked);
    expect(await h.outboxEvents(payment.id)).toHaveLength(2);
  });

  it('keeps a status word it does not know without guessing an outcome: no move, no event, the word audited', async () => {
    const payment = await waiting();
    h.upstream.next.status.push((request) => ({ externalId: request.externalId, providerStatus: 'RemotePaymentRejected', status: PaymentStatus.WAITING, recognised: false }));

    await check(payment.id);

    expect(await stored(payment.id)).toMatchObject({ status: PaymentStatus.WAITING, providerStatus: 'RemotePaymentRejected' });
    expect((await h.auditRows(payment.id)).at(-1)).toMatchObject({ operationType: LogOperation.STATUS, details: { unrecognisedStatus: 'RemotePaymentRejected' } });
    expect(await h.outboxEvents(payment.id)).toHaveLength(1);
  });

  it('keeps a payment as it is when a status check gets no answer, audits the failed check and counts it', async () => {
    const payment = await waiting();
    h.upstream.next.status.push(timedOut);

    await check(payment.id);

    expect(await stored(payment.id)).toMatchObject({ status: PaymentStatus.WAITING, pollFailures: 1 });
    expect((await h.auditRows(payment.id)).at(-1)).toMatchObject({ operationType: LogOperation.STATUS, errorCode: ErrorCode.PROVIDER_UNAVAILABLE });
    expect(await h.outboxEvents(payment.id)).toHaveLength(1);
  });

  it('applies a state the provider reported by itself once, and a repeated report writes nothing', async () => {
    const payment = await waiting();
    const origin = { actor: 'notification', requestId: randomUUID() };
    const report = { providerStatus: 'Processed', status: PaymentStatus.PROCESSED, recognised: true };

    expect(await h.services.paymentStatusSync.applyReportedState(h.em(), payment.id, report, origin)).toBe(true);
    const audited = (await h.auditRows(payment.id)).length;
    expect(await h.services.paymentStatusSync.applyReportedState(h.em(), payment.id, report, origin)).toBe(false);

    expect((await stored(payment.id)).status).toBe(PaymentStatus.PROCESSED);
    expect(await h.auditRows(payment.id)).toHaveLength(audited);
    expect(await h.outboxEvents(payment.id)).toHaveLength(2);
  });

  it('does not let a late report move a final payment', async () => {
    const payment = await waiting();
    const origin = { actor: 'notification', requestId: randomUUID() };
    await h.services.paymentStatusSync.applyReportedState(h.em(), payment.id, { providerStatus: 'Processed', status: PaymentStatus.PROCESSED, recognised: true }, origin);

    const late = await h.services.paymentStatusSync.applyReportedState(h.em(), payment.id, { providerStatus: 'Declined', status: PaymentStatus.FAILED, recognised: true }, origin);

    expect(late).toBe(false);
    expect(await stored(payment.id)).toMatchObject({ status: PaymentStatus.PROCESSED, providerStatus: 'Processed' });
  });
});
