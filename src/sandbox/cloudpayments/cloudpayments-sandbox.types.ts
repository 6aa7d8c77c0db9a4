/**
 * Public shapes of the CloudPayments sandbox: options, faults, test cards and the state it reports.
 * Type-only, so that tests can use them without loading Express.
 */

/** Every API call the sandbox answers, as named in its call log, counters and faults. */
export type CloudPaymentsSandboxOperation = 'create' | 'cancel' | 'find' | 'get' | 'refund';

/**
 * - `latency`: answer normally, `latencyMs` late.
 * - `http5xx`: HTTP `httpStatus` (default 503) with an HTML error page.
 * - `throttle`: HTTP 429, as above 5 (test site) or 30 (live) parallel requests.
 * - `drop`: destroy the socket without answering.
 * - `empty`: HTTP 200 with an empty body.
 * - `malformed`: HTTP 200 with truncated JSON.
 */
export type CloudPaymentsFaultKind = 'latency' | 'http5xx' | 'throttle' | 'drop' | 'empty' | 'malformed';

export interface CloudPaymentsFaultSpec {
  operation: CloudPaymentsSandboxOperation | '*';
  fault: CloudPaymentsFaultKind;
  /** How many matching calls the fault spoils; default 1. */
  count?: number;
  /** For `latency`; default 1000. */
  latencyMs?: number;
  /** For `http5xx`; default 503. */
  httpStatus?: number;
  /**
   * Whether the call still takes effect before its answer is spoiled. Default true for latency,
   * drop, empty and malformed (CloudPayments did it, the answer was lost); false for http5xx and
   * throttle.
   */
  applied?: boolean;
}

export interface PendingCloudPaymentsFault extends Required<Omit<CloudPaymentsFaultSpec, 'count'>> {
  id: string;
  remaining: number;
}

export interface CloudPaymentsSandboxOptions {
  /**
   * Where notifications go: `{notificationUrl}/{type}` (`check`, `pay`, `fail`, `refund`, …), as
   * the cabinet's per-type URLs would be set. Null: none are sent.
   */
  notificationUrl?: string | null;
  /** False drops every notification (recorded as dropped), to exercise reconciliation. Default true. */
  sendNotifications?: boolean;
  /** Format of notifications, as chosen in the cabinet. Default `form`. */
  notificationFormat?: 'form' | 'json';
  /** A Public ID seen for the first time is enrolled with the secret it came with. Default true. */
  autoEnrolSites?: boolean;
  /** Delay added to every API answer. Default 0. */
  latencyMs?: number;
}

export type ResolvedCloudPaymentsSandboxOptions = Required<CloudPaymentsSandboxOptions>;

/** A card a tester can pay with on the invoice page, and what the bank answers. */
export interface TestCard {
  number: string;
  label: string;
  /** Null: the payment completes; otherwise the decline's ReasonCode. */
  declineReasonCode: number | null;
}

export interface SandboxTransactionView {
  TransactionId: number;
  InvoiceId: string | null;
  Amount: number;
  Currency: string;
  Status: string;
  Reason: string | null;
  ReasonCode: number | null;
  CardHolderMessage: string | null;
  Refunded: boolean;
  /** Tenge refunded so far (sandbox view only). */
  refundedAmount: number;
}

export interface SandboxOrderView {
  Id: string;
  Number: number;
  publicId: string;
  Amount: number;
  Currency: string;
  Description: string;
  InvoiceId: string | null;
  Email: string | null;
  Phone: string | null;
  SendEmail: boolean;
  SendSms: boolean;
  RequireConfirmation: boolean;
  Status: 'Created' | 'Paid' | 'Cancelled';
  createdAt: string;
}

export interface SandboxCallView {
  seq: number;
  at: string;
  operation: CloudPaymentsSandboxOperation;
  publicId: string | null;
  requestId: string | null;
  body: Record<string, unknown>;
  /** Answered from the X-Request-ID memory, without acting again. */
  replayed: boolean;
  fault: CloudPaymentsFaultKind | null;
  httpStatus: number | null;
}

export interface SandboxNotificationView {
  seq: number;
  at: string;
  type: string;
  invoiceId: string | null;
  url: string | null;
  /** `sent` got an answer; `dropped` was switched off; `failed` had no answer. */
  outcome: 'sent' | 'dropped' | 'failed';
  httpStatus: number | null;
  answer: unknown;
}

export interface CloudPaymentsSandboxSnapshot {
  orders: SandboxOrderView[];
  transactions: SandboxTransactionView[];
  calls: SandboxCallView[];
  notifications: SandboxNotificationView[];
  faults: PendingCloudPaymentsFault[];
  options: ResolvedCloudPaymentsSandboxOptions;
}
