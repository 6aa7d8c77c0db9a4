import type { PaymentMethod } from '../domain/payment-method';
import type { PaymentStatus } from '../domain/payment-status';
import type { Tiyn } from '../domain/money';

/**
 * Where a payment is routed: the organization (BIN) and the device that issues its invoices.
 * Taken from the shop's configuration when the payment is created and kept with the payment,
 * because Kaspi refuses a refund whose device token does not match the payment's.
 */
export interface RoutingSnapshot {
  organizationBin: string;
  deviceToken: string | null;
  /** The shop's own account at a provider that authenticates each merchant (CloudPayments' site). */
  account?: MerchantAccount | null;
}

/** A merchant's credentials at a provider: a public id and a secret that signs or authorises its calls. */
export interface MerchantAccount {
  id: string;
  secret: string;
}

/** Carried into every upstream call so that a call can be traced from the audit log. */
export interface CallContext {
  requestId: string;
}

export interface CreatePaymentRequest extends CallContext {
  routing: RoutingSnapshot;
  amount: Tiyn;
  /** One of the provider's `methods`. */
  method: PaymentMethod;
  /** Normalised to 7XXXXXXXXXX; the methods that need one are refused without it. */
  phone?: string | null;
  message?: string | null;
  /** Where a provider sends the payment link by e-mail. */
  email?: string | null;
  /**
   * Our own id of the payment. A provider that keeps a merchant reference (CloudPayments' InvoiceId)
   * stores it, so that the payment can be found by it even when the create's answer was lost.
   */
  reference?: string | null;
}

export interface ProviderPaymentState {
  /** The provider's payment id, always a string (Kaspi's are 64-bit integers). */
  externalId: string;
  /** The provider's own status word, e.g. "Wait". */
  providerStatus: string;
  /** Our status for it; a word the mapper does not know maps to a non-final status. */
  status: PaymentStatus;
  /** False when the provider's word was not recognised: log it, never guess an outcome. */
  recognised: boolean;
  /** The page where the customer pays, for providers that have one. */
  paymentUrl?: string | null;
  /**
   * The provider's id of the transaction that paid, where it differs from `externalId`
   * (CloudPayments' TransactionId, while `externalId` is the order's id); refunds go by it.
   */
  providerTransactionId?: string | null;
}

/** What a successful create tells beyond the status: where and until when the customer can pay. */
export interface CreatedPayment extends ProviderPaymentState {
  /** The text to draw as a QR code for the customer to scan. */
  qrToken?: string | null;
  /** When the provider stops taking new customers for this payment (its QR or link expires). */
  expiresAt?: Date | null;
  /**
   * After this the provider can no longer complete the payment: `expiresAt` plus the time a customer
   * who started just before has to confirm. A payment still open then has expired.
   */
  settlesBy?: Date | null;
  /** How often the provider asks to be polled for this payment's status. */
  pollIntervalMs?: number | null;
}

export interface StatusRequest extends CallContext {
  externalId: string;
  routing: RoutingSnapshot;
  /** Our own id of the payment, as {@link CreatePaymentRequest.reference}. */
  reference?: string | null;
}

/** A lookup by our own id of the payment, for a payment whose provider id was never learned. */
export interface FindByReferenceRequest extends CallContext {
  reference: string;
  routing: RoutingSnapshot;
}

export interface RefundRequest extends CallContext {
  externalId: string;
  routing: RoutingSnapshot;
  amount: Tiyn;
  /** Our own id of the refund: a provider that keeps an idempotency key per call gets this one. */
  operationId?: string | null;
  /** As {@link ProviderPaymentState.providerTransactionId}, where the provider refunds by it. */
  providerTransactionId?: string | null;
}

export interface ProviderRefundResult {
  /** The provider's id of the refund operation, when it gives one. */
  returnOperationId: string | null;
}

export interface RefundableAmount {
  total: Tiyn;
  available: Tiyn;
}

/**
 * A payment provider: speaks one upstream and nothing else. It never touches the database.
 *
 * Failures are thrown as one of the classes below, never as raw transport errors:
 * - {@link ProviderRejectedError}: the provider answered and said no; nothing happened there.
 * - {@link ProviderUnavailableError}: the provider could not be reached or said it is unavailable,
 *   and the operation certainly did not happen.
 * - {@link ProviderOutcomeUnknownError}: the request may have reached the provider but no usable
 *   answer came back (timeout, dropped connection, empty or malformed body, HTTP 5xx). For create
 *   and refund the caller must record the outcome as UNKNOWN and must not retry on its own.
 * Each class carries its `kind`: callers read it rather than testing the classes again.
 *
 * Optional capabilities are optional methods: a provider that cannot do a thing lacks the method.
 *
 * @example
 * const provider = registry.get('kaspi');
 * const created = await provider.createPayment({ routing, amount: 10_000, method: PaymentMethod.KASPI_QR, requestId });
 * draw(created.qrToken);
 */
export interface PaymentProvider {
  readonly id: string;
  /** The payment methods `createPayment` takes, in order of preference (the first that fits is the default). */
  readonly methods: ReadonlySet<PaymentMethod>;
  /** Creates the payment by its method (an invoice, a QR code, a link). Never retried by the provider itself. */
  createPayment(request: CreatePaymentRequest): Promise<CreatedPayment>;
  /** Asks the provider for the payment's current status. Safe to retry. */
  getStatus(request: StatusRequest): Promise<ProviderPaymentState>;
  /** Refunds part or all of a paid payment. Never retried by the provider itself. */
  refund(request: RefundRequest): Promise<ProviderRefundResult>;
  /** How much of the payment is left to refund; only a provider that can tell has this method. */
  getRefundableAmount?(request: StatusRequest): Promise<RefundableAmount>;
  /** Cancels an unpaid invoice; only a provider that can has this method. */
  cancelPayment?(request: StatusRequest): Promise<ProviderPaymentState>;
  /**
   * Finds a payment by our own reference; null when the provider has nothing for it (yet). Only a
   * provider that keeps our reference has this method: with it, a create whose answer was lost is
   * settled once the provider knows the payment.
   */
  findPayment?(request: FindByReferenceRequest): Promise<ProviderPaymentState | null>;
  /**
   * How long the provider answers a repeated call under the same operation id (`RefundRequest.operationId`)
   * with the first call's result instead of acting again; only a provider that keeps them has it.
   */
  readonly idempotencyWindowMs?: number;
  /** True for a provider that authenticates each merchant: a shop routed to it needs its own account. */
  readonly requiresMerchantAccount?: boolean;
  /** Only a provider that calls the gateway back (CloudPayments) has notifications. */
  readonly notifications?: ProviderNotifications;
}

/** A notification as it arrived at `POST /notifications/{provider}/{type}`, before anything in it is trusted. */
export interface InboundNotification {
  /** The last segment of the path, lower-cased: what the provider says happened. */
  type: string;
  /** Header names lower-cased. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received: signatures are computed over these bytes. */
  rawBody: Buffer;
}

/** What a notification says, in our terms. */
export type NotificationEvent =
  /** The provider asks whether it may take this payment (amount as it will charge it). */
  | { kind: 'check'; amount: Tiyn }
  /** The payment's state changed (paid, declined, cancelled). */
  | { kind: 'payment'; amount: Tiyn; state: Omit<ProviderPaymentState, 'externalId'> }
  /** A refund of the payment was made. */
  | { kind: 'refund'; amount: Tiyn; returnOperationId: string }
  /** A notification the gateway has no use for; acknowledged so that it is not sent again. */
  | { kind: 'ignored' };

export interface NotificationReading {
  /** Our own id of the payment, as the body claims it (unverified until the signature is checked). */
  reference: string;
  event: NotificationEvent;
}

/** How the gateway decided; the provider words the answer it expects. */
export type NotificationVerdict = 'accepted' | 'unknown-payment' | 'wrong-amount' | 'not-payable';

/**
 * Reading and answering a provider's notifications. The gateway finds the payment by the reading's
 * reference, checks the signature with that shop's account before writing anything, and applies
 * the event through the same rules as a status poll.
 */
export interface ProviderNotifications {
  /** Parses the body; null when it is not a notification this provider sends. */
  read(notification: InboundNotification): NotificationReading | null;
  /** Whether the notification carries any signature at all. */
  isSigned(notification: InboundNotification): boolean;
  /** Whether the signature is the merchant's, compared in constant time. */
  verify(notification: InboundNotification, account: MerchantAccount): boolean;
  /** The HTTP answer the provider expects for a verdict. */
  answer(type: string, verdict: NotificationVerdict): { httpStatus: number; body: unknown };
}

export type ProviderErrorKind = 'rejected' | 'unavailable' | 'unknown';

export abstract class ProviderError extends Error {
  abstract readonly kind: ProviderErrorKind;
  constructor(
    readonly providerId: string,
    message: string,
    /** The provider's own error code, as a string ("-1501"), when it gave one. */
    readonly providerCode: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ProviderRejectedError extends ProviderError {
  readonly kind = 'rejected' as const;
  /** The provider said the same call may succeed later (Kaspi −99000006). */
  retryable = false;
}

export class ProviderUnavailableError extends ProviderError {
  readonly kind = 'unavailable' as const;
}

export class ProviderOutcomeUnknownError extends ProviderError {
  readonly kind = 'unknown' as const;
}

/** Every provider error there is; `kind` tells them apart. */
export type AnyProviderError = ProviderRejectedError | ProviderUnavailableError | ProviderOutcomeUnknownError;

/** Whether a thrown value is one of the provider errors, narrowed so that `kind` decides the rest. */
export function isProviderError(error: unknown): error is AnyProviderError {
  return error instanceof ProviderError;
}
