import { describe, expect, it } from 'vitest';
import type { PollingCadence } from '../../src/config';
import { defaultMethod, hasWhatMethodNeeds, PaymentMethod } from '../../src/domain/payment-method';
import { PaymentStatus } from '../../src/domain/payment-status';
import { isPastLifetime, nextPollAt } from '../../src/domain/poll-schedule';
import { KASPI_METHODS } from '../../src/providers/kaspi/kaspi.mappers';

const CADENCE: PollingCadence = { fastIntervalMs: 15_000, fastWindowMs: 600_000, slowIntervalMs: 180_000, minIntervalMs: 5_000, lifetimeMs: 86_400_000 };
const CREATED = new Date('2026-11-28T15:00:00Z');
const at = (seconds: number) => new Date(CREATED.getTime() + seconds * 1000);

function qrPayment(overrides: Partial<{ pollIntervalMs: number | null; settlesBy: Date | null }> = {}) {
  return { status: PaymentStatus.WAITING, externalId: '42', createdAt: CREATED, pollFailures: 0, pollIntervalMs: 5_000, settlesBy: at(245), ...overrides };
}

describe('payment methods', () => {
  it('defaults a Kaspi payment to an invoice when a phone is given and to a link without one', () => {
    expect(defaultMethod(KASPI_METHODS, { phone: '77015211545' })).toBe(PaymentMethod.KASPI_REMOTE);
    expect(defaultMethod(KASPI_METHODS, { phone: null })).toBe(PaymentMethod.KASPI_LINK);
    expect(defaultMethod([PaymentMethod.KASPI_REMOTE], { phone: null })).toBeNull();
  });

  it('holds that only an invoice by phone needs the phone', () => {
    expect(hasWhatMethodNeeds(PaymentMethod.KASPI_REMOTE, { phone: null })).toBe(false);
    expect(hasWhatMethodNeeds(PaymentMethod.KASPI_QR, { phone: null })).toBe(true);
  });
});

describe('the polling schedule of QR codes and links', () => {
  it('polls at the pace Kaspi asked for, never faster than the minimum, and once more when Kaspi is done with it', () => {
    expect(nextPollAt(qrPayment(), CADENCE, false, at(10))).toEqual(at(15));
    expect(nextPollAt(qrPayment({ pollIntervalMs: 1_000 }), CADENCE, false, at(10))).toEqual(at(15));
    expect(nextPollAt(qrPayment(), CADENCE, false, at(243))).toEqual(at(245));
    expect(nextPollAt(qrPayment({ pollIntervalMs: null, settlesBy: null }), CADENCE, false, at(10))).toEqual(at(25));
  });

  it('expires a QR or link payment when Kaspi is done with it, and an invoice after the gateway lifetime', () => {
    expect(isPastLifetime(qrPayment(), CADENCE, at(244))).toBe(false);
    expect(isPastLifetime(qrPayment(), CADENCE, at(245))).toBe(true);
    expect(isPastLifetime({ createdAt: CREATED, settlesBy: null }, CADENCE, at(245))).toBe(false);
    expect(isPastLifetime({ createdAt: CREATED, settlesBy: null }, CADENCE, at(86_400))).toBe(true);
  });
});
