import { requireChargeableTiyn, tiynToTengeString, type Tiyn } from '../../domain/money';
import { PaymentMethod } from '../../domain/payment-method';
import { PaymentStatus } from '../../domain/payment-status';
import type { CreatedPayment, ProviderPaymentState } from '../provider';
import { providerStatusWords, type WordOf } from '../provider-values';

/** What Kaspi takes, in either mode, in order of preference: invoices by phone, payment links, QR codes. */
export const KASPI_METHODS: ReadonlySet<PaymentMethod> = new Set([
  PaymentMethod.KASPI_REMOTE,
  PaymentMethod.KASPI_LINK,
  PaymentMethod.KASPI_QR,
]);

/** Every status word Kaspi is known to send, under what it means; any other word is logged and treated as not final. */
export const KASPI_STATUS_WORDS = providerStatusWords({
  [PaymentStatus.WAITING]: ['QrTokenCreated', 'RemotePaymentCreated', 'Wait'],
  [PaymentStatus.PROCESSED]: ['Processed'],
  [PaymentStatus.FAILED]: ['Error'],
  [PaymentStatus.CANCELED]: ['RemotePaymentCanceled'],
});

export type KaspiStatus = WordOf<typeof KASPI_STATUS_WORDS>;

/**
 * The word we report right after a successful `remote/create`: Kaspi answers with the id only,
 * and at that moment the invoice sits in the customer's app.
 */
export const KASPI_STATUS_AFTER_CREATE: KaspiStatus = 'RemotePaymentCreated';

/** Kaspi's word for a QR code or a payment link that nobody has opened yet. */
export const KASPI_STATUS_AFTER_QR_CREATE: KaspiStatus = 'QrTokenCreated';

/** Builds our view of a payment from Kaspi's word (a word we do not know is not guessed at). */
export function toPaymentState(externalId: string, providerStatus: string): ProviderPaymentState {
  return { externalId, providerStatus, ...KASPI_STATUS_WORDS.read(providerStatus) };
}

/** What Kaspi said, with its QR code or link, about how long it takes the payment and how to poll it. */
export interface KaspiPaymentWindow {
  /** The QR token (`qr/create`). */
  qrToken?: string | null;
  /** The payment link (`qr/create-link`). */
  paymentUrl?: string | null;
  /** `ExpireDate`. */
  expireDate: Date | null;
  /** `StatusPollingInterval`, seconds. */
  statusPollingInterval?: number | null;
  /** `QrCodeScanWaitTimeout` or `LinkActivationWaitTimeout`, seconds: used when `ExpireDate` is missing. */
  openTimeout?: number | null;
  /** `PaymentConfirmationTimeout`, seconds: how long a customer who opened it has to confirm. */
  confirmationTimeout?: number | null;
}

/**
 * A created payment from Kaspi's answer. The expiry is Kaspi's `ExpireDate` (or, without one, the
 * time from now Kaspi waits for the QR or link to be opened); Kaspi is done with the payment once a
 * customer who opened it at the last moment has had the confirmation timeout too.
 */
export function toCreatedPayment(
  externalId: string,
  providerStatus: string,
  window: KaspiPaymentWindow | null,
  now: Date,
): CreatedPayment {
  const state = toPaymentState(externalId, providerStatus);
  const opened = window?.openTimeout ? new Date(now.getTime() + window.openTimeout * 1000) : null;
  const expiresAt = window?.expireDate ?? opened;
  const confirmationMs = (window?.confirmationTimeout ?? 0) * 1000;
  return {
    ...state,
    paymentUrl: window?.paymentUrl ?? null,
    qrToken: window?.qrToken ?? null,
    expiresAt,
    settlesBy: expiresAt ? new Date(expiresAt.getTime() + confirmationMs) : null,
    pollIntervalMs: window?.statusPollingInterval ? Math.round(window.statusPollingInterval * 1000) : null,
  };
}

/** Kaspi's behaviour options of a QR code or a link, in seconds, as both modes read them. */
export interface KaspiBehaviorOptions {
  statusPollingInterval?: number | null;
  qrCodeScanWaitTimeout?: number | null;
  linkActivationWaitTimeout?: number | null;
  paymentConfirmationTimeout?: number | null;
}

/** What Kaspi answered to a QR code's or a link's create, in either mode. */
export interface KaspiQrAnswer {
  externalId: string;
  /** The status word, where the answer has one. */
  status?: string | null;
  expireDate: Date | null;
  options?: KaspiBehaviorOptions | null;
}

/** A created QR payment (`qr/create`): the customer has the scan wait to open it. */
export function toCreatedQrPayment(answer: KaspiQrAnswer & { qrToken: string }, now: Date): CreatedPayment {
  return toCreatedQrOrLink(answer, { qrToken: answer.qrToken }, answer.options?.qrCodeScanWaitTimeout, now);
}

/** A created link payment (`qr/create-link`): its open wait is the link's own, else the QR code's. */
export function toCreatedLinkPayment(answer: KaspiQrAnswer & { paymentUrl: string }, now: Date): CreatedPayment {
  const { options } = answer;
  const openTimeout = options?.linkActivationWaitTimeout ?? options?.qrCodeScanWaitTimeout;
  return toCreatedQrOrLink(answer, { paymentUrl: answer.paymentUrl }, openTimeout, now);
}

/** What a QR code and a link share once created; they differ only in the way in and its open wait. */
function toCreatedQrOrLink(
  answer: KaspiQrAnswer,
  wayIn: Pick<KaspiPaymentWindow, 'qrToken' | 'paymentUrl'>,
  openTimeout: number | null | undefined,
  now: Date,
): CreatedPayment {
  const { options } = answer;
  return toCreatedPayment(
    answer.externalId,
    answer.status ?? KASPI_STATUS_AFTER_QR_CREATE,
    {
      ...wayIn,
      expireDate: answer.expireDate,
      statusPollingInterval: options?.statusPollingInterval,
      openTimeout,
      confirmationTimeout: options?.paymentConfirmationTimeout,
    },
    now,
  );
}

/**
 * Kaspi's ISO-8601 dates with an offset ("2026-11-28T20:43:00+05:00", sometimes with seven decimals
 * of a second). A date without an offset, or anything else, is null: guessing the zone could expire
 * a payment hours early.
 */
export function parseKaspiDate(raw: unknown): Date | null {
  if (typeof raw !== 'string') return null;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.exec(raw.trim());
  if (!match) return null;
  const fraction = match[2] ? match[2].slice(0, 4).padEnd(4, '0') : '';
  const zone = match[3] === 'Z' ? 'Z' : match[3].replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${match[1]}${fraction}${zone}`);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/** What one of Kaspi's result codes means for the caller. */
export type KaspiFailureOutcome =
  /** Kaspi said it did nothing and the call may be repeated (−999). */
  | { kind: 'unavailable'; providerCode: string }
  | { kind: 'rejected'; providerCode: string; retryable: boolean };

export const KASPI_UNAVAILABLE_CODE = '-999';
export const KASPI_RETRYABLE_REFUND_CODE = '-99000006';

/** Kaspi's meaning of its known result codes, for messages that an operator can act on. */
export const KASPI_CODE_MEANINGS: Readonly<Record<string, string>> = {
  '-10000': 'no client certificate presented',
  '-1501': 'device not found',
  '-1502': 'device inactive',
  '-1503': 'device already bound to another trade point',
  '-1601': 'purchase not found',
  '-99000001': 'purchase not found',
  '-14000002': 'the organization has no trade points',
  '-99000002': 'trade point not found',
  '-99000003': "the purchase's trade point does not match this device",
  '-99000005': 'refund exceeds what is left to refund',
  '-99000006': 'refund failed; may be retried',
  '-99000011': 'purchase is in a status that cannot be refunded',
  '-99000020': 'partial refund not possible',
  '990000018': 'trade point disabled',
  '990000026': 'trade point does not accept QR payments',
  '990000028': 'invalid amount',
  '990000033': 'no payment methods available',
  '-999': 'service temporarily unavailable',
};

/** Classifies a failure code (the r3 envelope's non-zero `StatusCode`, or a proxy error code). */
export function classifyKaspiFailureCode(code: string): KaspiFailureOutcome {
  if (code === KASPI_UNAVAILABLE_CODE) return { kind: 'unavailable', providerCode: code };
  return { kind: 'rejected', providerCode: code, retryable: code === KASPI_RETRYABLE_REFUND_CODE };
}

/** Tiyn to the tenge literal Kaspi takes ("100", "100.5", "99.99"). */
export function toKaspiAmount(amount: Tiyn): string {
  return tiynToTengeString(requireChargeableTiyn(amount));
}

/**
 * Kaspi's payment ids are 64-bit integers that arrive either as JSON numbers or as strings; we keep
 * them as strings. Numbers beyond 2^53 are quoted before parsing (see `parseKaspiJson`), so a
 * number that reaches this point is exact.
 */
export function toExternalId(raw: string | number): string {
  if (typeof raw === 'string') return raw;
  if (!Number.isSafeInteger(raw) || raw < 0) {
    throw new RangeError('a Kaspi id must be a non-negative whole number');
  }
  return String(raw);
}
