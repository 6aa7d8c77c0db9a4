import type { PollingCadence } from '../config';
import { isFinalStatus, type PaymentStatus } from './payment-status';

const MAX_BACKOFF_MS = 10 * 60_000;

/** What the schedule needs to know of a payment. */
export interface PolledPayment {
  status: PaymentStatus;
  externalId: string | null;
  createdAt: Date;
  pollFailures: number;
  /** The pace the provider asked for, while it can still complete the payment. */
  pollIntervalMs: number | null;
  /** After this the provider can no longer complete the payment (a QR code's or link's end). */
  settlesBy: Date | null;
}

/**
 * When to ask the provider next: often while a customer is likely to be paying, then rarely,
 * never faster than the provider allows, backing off while the provider fails. A payment without
 * the provider's id is asked about only where the provider can find it by our own reference.
 */
export function nextPollAt(payment: PolledPayment, cadence: PollingCadence, findableByReference = false, now = new Date()): Date | null {
  if (isFinalStatus(payment.status) || (!payment.externalId && !findableByReference)) return null;
  const age = now.getTime() - payment.createdAt.getTime();
  // While the provider can still complete the payment, at the pace it asked for (Kaspi's QR codes and links).
  const providerPace = payment.pollIntervalMs !== null && payment.settlesBy !== null && now < payment.settlesBy;
  const base = providerPace ? payment.pollIntervalMs! : age < cadence.fastWindowMs ? cadence.fastIntervalMs : cadence.slowIntervalMs;
  let interval = Math.max(base, cadence.minIntervalMs);
  if (payment.pollFailures > 0) {
    interval = Math.min(interval * 2 ** Math.min(payment.pollFailures, 6), Math.max(MAX_BACKOFF_MS, interval));
  }
  const next = now.getTime() + interval;
  // Asked once more as soon as the provider is done with it, so that it expires on time.
  const settles = payment.settlesBy?.getTime();
  return new Date(settles !== undefined && settles > now.getTime() ? Math.min(next, settles) : next);
}

/**
 * A payment still open past this can no longer be paid: past the moment the provider said it is
 * done with it (a QR code or link), or else past the gateway's own lifetime for an invoice.
 */
export function isPastLifetime(payment: { createdAt: Date; settlesBy: Date | null }, cadence: PollingCadence, now = new Date()): boolean {
  if (payment.settlesBy) return now.getTime() >= payment.settlesBy.getTime();
  return now.getTime() - payment.createdAt.getTime() >= cadence.lifetimeMs;
}
