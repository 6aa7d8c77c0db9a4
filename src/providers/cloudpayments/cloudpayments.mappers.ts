import { requireChargeableTiyn, tiynToTenge, type Tiyn } from '../../domain/money';
import { PaymentStatus } from '../../domain/payment-status';
import { providerStatusWords, type WordOf } from '../provider-values';

/**
 * Every order and transaction status word CloudPayments is known to send, under what it means. A
 * decline is not final: the invoice page lets the customer try another card, and a final status
 * must stay final.
 */
export const CLOUDPAYMENTS_STATUS_WORDS = providerStatusWords({
  [PaymentStatus.WAITING]: ['Created', 'AwaitingAuthentication', 'Authorized', 'Declined'],
  [PaymentStatus.PROCESSED]: ['Completed'],
  [PaymentStatus.CANCELED]: ['Cancelled'],
});

export type CloudPaymentsStatus = WordOf<typeof CLOUDPAYMENTS_STATUS_WORDS>;

/** The word reported right after `orders/create`, whatever the order's `Status` says. */
export const CLOUDPAYMENTS_STATUS_AFTER_CREATE: CloudPaymentsStatus = 'Created';

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

/** Tiyn to CloudPayments' decimal amount (10050 → 100.5). */
export function toCloudPaymentsAmount(amount: Tiyn): number {
  return tiynToTenge(requireChargeableTiyn(amount));
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
