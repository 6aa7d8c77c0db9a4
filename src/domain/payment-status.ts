/** Our own payment lifecycle; provider words are mapped onto it in each provider's mappers. */
export enum PaymentStatus {
  PENDING = 'PENDING',
  WAITING = 'WAITING',
  PROCESSED = 'PROCESSED',
  FAILED = 'FAILED',
  CANCELED = 'CANCELED',
  EXPIRED = 'EXPIRED',
  UNKNOWN = 'UNKNOWN',
}

export const FINAL_STATUSES: ReadonlySet<PaymentStatus> = new Set([
  PaymentStatus.PROCESSED,
  PaymentStatus.FAILED,
  PaymentStatus.CANCELED,
  PaymentStatus.EXPIRED,
]);

export function isFinalStatus(status: PaymentStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * Every move a payment may make. A final status is final; PROCESSED never goes back to WAITING.
 * An upstream answer that asks for anything else is logged and flagged, never applied.
 */
const TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  [PaymentStatus.PENDING]: [
    PaymentStatus.WAITING,
    PaymentStatus.PROCESSED,
    PaymentStatus.FAILED,
    PaymentStatus.CANCELED,
    PaymentStatus.UNKNOWN,
  ],
  [PaymentStatus.UNKNOWN]: [
    PaymentStatus.WAITING,
    PaymentStatus.PROCESSED,
    PaymentStatus.FAILED,
    PaymentStatus.CANCELED,
    PaymentStatus.EXPIRED,
  ],
  [PaymentStatus.WAITING]: [
    PaymentStatus.PROCESSED,
    PaymentStatus.FAILED,
    PaymentStatus.CANCELED,
    PaymentStatus.EXPIRED,
  ],
  [PaymentStatus.PROCESSED]: [],
  [PaymentStatus.FAILED]: [],
  [PaymentStatus.CANCELED]: [],
  [PaymentStatus.EXPIRED]: [],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}
