import type { PollingCadence } from '../config';
import { isFinalStatus, type PaymentStatus } from './payment-status';

const MAX_BACKOFF_MS = 10 * 60_000;

/** What the schedule needs to know of a payment. */
export interface PolledPayment {
  status: PaymentStatus;
  externalId: string | null;
  createdAt: Date;
  pollFailures: number;
}

/**
 * When to ask the provider next: often while a customer is likely to be paying, then rarely,
 * never faster than the provider allows, backing off while the provider fails. A payment without
 * the provider's id is asked about only where the provider can find it by our own reference.
 */
export function nextPollAt(payment: PolledPayment, cadence: PollingCadence, findableByReference = false, now = new Date()): Date | null {
  if (isFinalStatus(payment.status) || (!payment.externalId && !findableByReference)) return null;
  const age = now.getTime() - payment.createdAt.getTime();
  const base = age < cadence.fastWindowMs ? cadence.fastIntervalMs : cadence.slowIntervalMs;
  let interval = Math.max(base, cadence.minIntervalMs);
  if (payment.pollFailures > 0) {
    interval = Math.min(interval * 2 ** Math.min(payment.pollFailures, 6), Math.max(MAX_BACKOFF_MS, interval));
  }
  return new Date(now.getTime() + interval);
}

export function isPastLifetime(payment: { createdAt: Date }, cadence: PollingCadence, now = new Date()): boolean {
  return now.getTime() - payment.createdAt.getTime() >= cadence.lifetimeMs;
}
