import type { Tiyn } from './money';
import { PaymentStatus } from './payment-status';

/** Our own refund lifecycle. */
export enum RefundStatus {
  /** Recorded and reserved; the provider has not answered yet. */
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  /** The call broke off: the amount stays reserved until someone learns what happened. */
  UNKNOWN = 'UNKNOWN',
}

/**
 * Every move a refund may make. SUCCEEDED and FAILED are final; UNKNOWN waits for the provider's
 * answer, the provider's refunded total or a human.
 */
const TRANSITIONS: Record<RefundStatus, readonly RefundStatus[]> = {
  [RefundStatus.PENDING]: [RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.UNKNOWN],
  [RefundStatus.UNKNOWN]: [RefundStatus.SUCCEEDED, RefundStatus.FAILED],
  [RefundStatus.SUCCEEDED]: [],
  [RefundStatus.FAILED]: [],
};

export function canRefundTransition(from: RefundStatus, to: RefundStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinalRefundStatus(status: RefundStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** Refund statuses whose amount counts against what is left to refund. */
export const RESERVING_REFUND_STATUSES: readonly RefundStatus[] = [RefundStatus.PENDING, RefundStatus.SUCCEEDED, RefundStatus.UNKNOWN];

export function isReserving(status: RefundStatus): boolean {
  return RESERVING_REFUND_STATUSES.includes(status);
}

/**
 * What can still be refunded of a payment: nothing unless it was paid, else its amount less every
 * refund that succeeded, is in flight or has an unknown outcome. The reservation of a new refund
 * and every read model ask this one function.
 *
 * @example
 * refundableAmount({ amount: 10_000, status: PaymentStatus.PROCESSED }, [{ amount: 2_500, status: RefundStatus.UNKNOWN }]); // 7_500
 */
export function refundableAmount(
  payment: { amount: Tiyn; status: PaymentStatus },
  refunds: Iterable<{ amount: Tiyn; status: RefundStatus }>,
): Tiyn {
  if (payment.status !== PaymentStatus.PROCESSED) return 0;
  let reserved = 0;
  for (const refund of refunds) if (isReserving(refund.status)) reserved += refund.amount;
  return Math.max(payment.amount - reserved, 0);
}
