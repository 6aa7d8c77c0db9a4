import type { EntityManager } from '@mikro-orm/postgresql';
import type { PollingCadence } from '../config';
import { canTransition, isFinalStatus, PaymentStatus } from '../domain/payment-status';
import type { Payment } from '../entities/payment.entity';
import type { PaymentEventsService } from './payment-events.service';

const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * The only way a payment's status changes: checked against the transition table, and written
 * with its outbox event in the caller's transaction. A move the table forbids is not applied; it
 * is kept on the payment as an anomaly for a human to look at.
 *
 * @returns whether the status changed.
 */
export async function changeStatus(
  tx: EntityManager,
  events: PaymentEventsService,
  payment: Payment,
  to: PaymentStatus,
): Promise<boolean> {
  const from = payment.status;
  if (from === to) return false;
  if (!canTransition(from, to)) {
    payment.anomaly = `refused transition ${from} -> ${to} at ${new Date().toISOString()}`;
    return false;
  }
  payment.status = to;
  if (isFinalStatus(to)) payment.nextPollAt = null;
  await events.recordChange(tx, payment, from);
  return true;
}

/**
 * When to ask the provider next: often while a customer is likely to be paying, then rarely,
 * never faster than the provider allows, backing off while the provider fails.
 */
export function nextPollAt(payment: Payment, cadence: PollingCadence, now = new Date()): Date | null {
  if (isFinalStatus(payment.status) || !payment.externalId) return null;
  const age = now.getTime() - payment.createdAt.getTime();
  const base = age < cadence.fastWindowMs ? cadence.fastIntervalMs : cadence.slowIntervalMs;
  let interval = Math.max(base, cadence.minIntervalMs);
  if (payment.pollFailures > 0) {
    interval = Math.min(interval * 2 ** Math.min(payment.pollFailures, 6), Math.max(MAX_BACKOFF_MS, interval));
  }
  return new Date(now.getTime() + interval);
}

export function isPastLifetime(payment: Payment, cadence: PollingCadence, now = new Date()): boolean {
  return now.getTime() - payment.createdAt.getTime() >= cadence.lifetimeMs;
}
