import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { OutboxEventKind } from '../../src/domain/outbox-event';
import { PaymentMethod } from '../../src/domain/payment-method';
import { PaymentStatus } from '../../src/domain/payment-status';
import { LogOperation } from '../../src/entities/payment-log.entity';
import { Payment } from '../../src/entities/payment.entity';
import { ErrorCode } from '../../src/errors';
import type { CreatedPayment } from '../../src/providers/provider';
import type { CreatePaymentCommand } from '../../src/services/payment-creation.service';
import { FAKE_BIN, FAKE_DEVICE_TOKEN, MERCHANT, OPERATOR, refused, timedOut, useServiceHarness } from '../support/service-harness';

const SHOP = 8;
const OTHER_SHOP = 9;

describe('creating payments (services on a database, fake provider)', () => {
  const h = useServiceHarness(SHOP, OTHER_SHOP);
  beforeEach(() => {
    h.upstream.created.length = 0;
  });

  function create(input: Partial<CreatePaymentCommand> = {}, actor = MERCHANT) {
    return h.services.paymentCreation.create(h.ctx(actor), { shopId: SHOP, amount: 100, phone: '+7 701 521 15 45', idempotencyKey: randomUUID(), ...input });
  }

  const paymentsUnder = (idempotencyKey: string) => h.em().count(Payment, { idempotencyKey });

  it('records the payment, sends the invoice with the shop routing, and keeps what the provider answered', async () => {
    const { payment, errors } = await create({ amount: 150.5, message: 'Order #12345' });

    expect(errors).toEqual([]);
    expect(payment).toMatchObject({ status: PaymentStatus.WAITING, externalId: expect.stringMatching(/^fake-/), providerStatus: 'Wait', amount: 15_050, method: PaymentMethod.KASPI_REMOTE, phoneMasked: '7*********5' });
    expect(h.upstream.created).toEqual([
      expect.objectContaining({
        amount: 15_050,
        method: PaymentMethod.KASPI_REMOTE,
        phone: '77015211545',
        message: 'Order #12345',
        reference: payment!.id,
        routing: expect.objectContaining({ organizationBin: FAKE_BIN, deviceToken: FAKE_DEVICE_TOKEN }),
      }),
    ]);
    // The attempt is audited before the call, its outcome after it; the status change goes to the outbox.
    expect((await h.auditRows(payment!.id)).map((row) => [row.operationType, row.status, row.amount])).toEqual([
      [LogOperation.CREATE, PaymentStatus.PENDING, 15_050],
      [LogOperation.CREATE, 'Wait', 15_050],
    ]);
    expect((await h.outboxEvents(payment!.id)).map((event) => [event.kind, event.previousStatus, event.status])).toEqual([
      [OutboxEventKind.PAYMENT_STATUS_CHANGED, PaymentStatus.PENDING, PaymentStatus.WAITING],
    ]);
  });

  it('answers a request sent again under the same key with the first payment, and sends nothing more', async () => {
    const key = `order-${randomUUID()}`;
    const first = await create({ idempotencyKey: key });
    const again = await create({ idempotencyKey: key });

    expect(again.errors).toEqual([]);
    expect(again.payment?.id).toBe(first.payment!.id);
    expect(again.payment?.externalId).toBe(first.payment!.externalId);
    expect(h.upstream.created).toHaveLength(1);
    expect(await paymentsUnder(key)).toBe(1);
  });

  it('refuses the same key with a changed request as IDEMPOTENCY_CONFLICT, sending and writing nothing', async () => {
    const key = `order-${randomUUID()}`;
    await create({ idempotencyKey: key, amount: 100 });

    for (const changed of [{ amount: 101 }, { phone: '+7 701 521 15 46' }, { message: 'another order' }, { method: PaymentMethod.KASPI_QR }]) {
      const result = await create({ idempotencyKey: key, amount: 100, ...changed });
      expect(result.payment, JSON.stringify(changed)).toBeNull();
      expect(result.errors).toEqual([expect.objectContaining({ code: ErrorCode.IDEMPOTENCY_CONFLICT, field: ['input', 'idempotencyKey'] })]);
    }
    expect(h.upstream.created).toHaveLength(1);
    expect(await paymentsUnder(key)).toBe(1);
  });

  it('shares a shop\'s idempotency keys among its callers, and keeps them apart per shop', async () => {
    const key = `order-${randomUUID()}`;
    const merchant = await create({ idempotencyKey: key });
    const operator = await create({ idempotencyKey: key }, OPERATOR);
    expect(operator.errors).toEqual([]);
    expect(operator.payment?.id).toBe(merchant.payment!.id);
    expect(h.upstream.created).toHaveLength(1);

    const otherShop = await create({ shopId: OTHER_SHOP, idempotencyKey: key }, OPERATOR);
    expect(otherShop.errors).toEqual([]);
    expect(otherShop.payment?.id).not.toBe(merchant.payment!.id);
    expect(h.upstream.created).toHaveLength(2);
  });

  it('makes a duplicate that arrives while the first request is at the provider wait for it instead of sending again', async () => {
    const key = `order-${randomUUID()}`;
    let answer!: (created: CreatedPayment) => void;
    let called!: () => void;
    const atProvider = new Promise<void>((resolve) => (called = resolve));
    h.upstream.next.create.push(
      () =>
        new Promise<CreatedPayment>((resolve) => {
          answer = resolve;
          called();
        }),
    );

    const first = create({ idempotencyKey: key });
    await atProvider;
    const duplicate = create({ idempotencyKey: key });
    answer({ externalId: 'fake-slow', providerStatus: 'Wait', status: PaymentStatus.WAITING, recognised: true });

    const [a, b] = await Promise.all([first, duplicate]);
    expect(b.errors).toEqual([]);
    expect(b.payment?.id).toBe(a.payment!.id);
    expect(b.payment?.externalId).toBe('fake-slow');
    expect(h.upstream.created).toHaveLength(1);
  });

  it('leaves a payment whose create answer was lost UNKNOWN and never sends it again: not on a retry, not from the reconciler', async () => {
    const key = `order-${randomUUID()}`;
    h.upstream.next.create.push(timedOut);

    const lost = await create({ idempotencyKey: key });
    expect(lost.payment).toMatchObject({ status: PaymentStatus.UNKNOWN, externalId: null });
    expect(lost.errors).toEqual([expect.objectContaining({ code: ErrorCode.PROVIDER_UNAVAILABLE, retryable: false })]);
    expect(lost.errors[0].message).toMatch(/do not send it again/);

    const retry = await create({ idempotencyKey: key });
    expect(retry.payment).toMatchObject({ id: lost.payment!.id, status: PaymentStatus.UNKNOWN });
    expect(retry.errors).toEqual(lost.errors);
    await h.services.reconciler.tick();

    expect(h.upstream.created).toHaveLength(1);
    const stored = await h.em().findOneOrFail(Payment, { id: lost.payment!.id });
    expect(stored.status).toBe(PaymentStatus.UNKNOWN);
    expect((await h.auditRows(stored.id)).at(-1)).toMatchObject({ operationType: LogOperation.CREATE, status: PaymentStatus.UNKNOWN, errorCode: ErrorCode.PROVIDER_UNAVAILABLE });
  });

  it('fails a payment the provider refused, with its code, and replays that answer', async () => {
    const key = `order-${randomUUID()}`;
    h.upstream.next.create.push(() => refused('-14000002'));

    const result = await create({ idempotencyKey: key });
    const again = await create({ idempotencyKey: key });

    expect(result.payment?.status).toBe(PaymentStatus.FAILED);
    expect(result.errors).toEqual([expect.objectContaining({ code: ErrorCode.PROVIDER_REJECTED, providerCode: '-14000002' })]);
    expect(again.errors).toEqual(result.errors);
    expect(h.upstream.created).toHaveLength(1);
  });

  it('refuses a shop without a configuration before anything is recorded or sent', async () => {
    const key = `order-${randomUUID()}`;
    const result = await create({ shopId: 404, idempotencyKey: key });

    expect(result).toEqual({ payment: null, errors: [expect.objectContaining({ code: ErrorCode.CONFIG_NOT_FOUND, field: ['input', 'shopId'] })] });
    expect(h.upstream.created).toEqual([]);
    expect(await paymentsUnder(key)).toBe(0);
  });
});
