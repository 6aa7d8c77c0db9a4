import { InvalidAmountError, tengeToTiyn, tiynToTenge, type Tiyn } from '../../domain/money';
import { PaymentStatus } from '../../domain/payment-status';

/** Every order and transaction status word CloudPayments is known to send. */
export const CLOUDPAYMENTS_STATUSES = [
  'Created',
  'AwaitingAuthentication',
  'Authorized',
  'Completed',
  'Declined',
  'Cancelled',
] as const;
export type CloudPaymentsStatus = (typeof CLOUDPAYMENTS_STATUSES)[number];

/** The word reported right after `orders/create`, whatever the order's `Status` says. */
export const CLOUDPAYMENTS_STATUS_AFTER_CREATE: CloudPaymentsStatus = 'Created';

export function isCloudPaymentsStatus(word: string): word is CloudPaymentsStatus {
  return (CLOUDPAYMENTS_STATUSES as readonly string[]).includes(word);
}

function assertUnreachable(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}

/**
 * Our status for one of CloudPayments' words. A decline is not final: the invoice page lets the
 * customer try another card, and a final status must stay final.
 */
export function cloudPaymentsStatusToPaymentStatus(word: CloudPaymentsStatus): PaymentStatus {
  switch (word) {
    case 'Created':
    case 'AwaitingAuthentication':
    case 'Authorized':
    case 'Declined':
      return PaymentStatus.WAITING;
    case 'Completed':
      return PaymentStatus.PROCESSED;
    case 'Cancelled':
      return PaymentStatus.CANCELED;
    default:
      return assertUnreachable(word);
  }
}

/** What CloudPayments' decline codes mean, for `providerStatus` and the audit log. */
export const CLOUDPAYMENTS_REASONS: Readonly<Record<number, string>> = {
  5001: 'ReferToCardIssuer',
  5005: 'DoNotHonor',
  5006: 'Error',
  5012: 'InvalidTransaction',
  5014: 'InvalidCardNumber',
  5051: 'InsufficientFunds',
  5054: 'ExpiredCard',
  5057: 'TransactionNotPermitted',
  5065: 'ExceedWithdrawalFrequency',
  5082: 'IncorrectCVV',
  5091: 'IssuerUnavailable',
  5204: 'SystemError',
  5206: 'AuthenticationFailed',
};

/**
 * The text kept as `providerStatus`: the word, and for a decline its reason ("Declined 5051
 * InsufficientFunds"), so that what the customer ran into is visible without the audit log.
 */
export function describeProviderStatus(word: string, reasonCode?: number | null, reason?: string | null): string {
  if (word !== 'Declined' || reasonCode == null) return word.slice(0, 64);
  return `${word} ${reasonCode} ${reason ?? CLOUDPAYMENTS_REASONS[reasonCode] ?? ''}`.trim().slice(0, 64);
}

/** Tiyn to CloudPayments' decimal amount (10050 → 100.5). Only a positive whole number of tiyn. */
export function toCloudPaymentsAmount(amount: Tiyn): number {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidAmountError('must be a positive whole number of tiyn');
  }
  return tiynToTenge(amount);
}

/** CloudPayments' decimal amount to tiyn; a third decimal is refused rather than rounded. */
export function fromCloudPaymentsAmount(amount: number): Tiyn {
  return tengeToTiyn(amount);
}

/** CloudPayments' answer codes to a `check` notification (anything but 0 refuses the payment). */
export const CHECK_CODES = {
  ACCEPT: 0,
  BAD_INVOICE: 10,
  BAD_ACCOUNT: 11,
  WRONG_AMOUNT: 12,
  CANNOT_ACCEPT: 13,
  EXPIRED: 20,
} as const;
