/**
 * Public shapes of the Kaspi sandbox: its interface, options, fault specifications and the state it
 * reports. Type-only, Express's Router included, so that the control client can use them without
 * loading Express.
 */

import type { Router } from 'express';

/** How the gateway reached the sandbox: Kaspi's r3 API directly, or the merchant's proxy. */
export type SandboxMode = 'direct' | 'proxy';

/** The payment API's own calls and the health check: the calls a fault can be aimed at. */
export type FaultableOperation =
  | 'create'
  | 'qr-create'
  | 'qr-create-link'
  | 'status'
  | 'refund'
  | 'details'
  | 'cancel'
  | 'ping';

/** Every upstream call the sandbox answers, as named in the call log and the counters. */
export type SandboxOperation = FaultableOperation | 'tradepoints' | 'register' | CustomerAction;

/** What a customer can do to a payment (remote, QR or link) in Kaspi's test environment. */
export type CustomerAction = 'scan' | 'confirm' | 'scanerror' | 'confirmerror';

/** Operations a fault can target; `*` means the three creates, status, refund, details and cancel. */
export type FaultOperation = FaultableOperation | '*';

/**
 * - `latency`: answer normally, `latencyMs` late.
 * - `http5xx`: HTTP `httpStatus` with an HTML error page (or `body`).
 * - `unavailable`: envelope StatusCode −999 (proxy: `status: false` with code "-999").
 * - `drop`: destroy the socket without answering.
 * - `empty`: HTTP 200 with an empty body.
 * - `malformed`: HTTP 200 with truncated JSON (or `body`).
 */
export type FaultKind = 'latency' | 'http5xx' | 'unavailable' | 'drop' | 'empty' | 'malformed';

/** Spoils the answers of the next `count` calls of one operation. */
export interface FaultSpec {
  operation: FaultOperation;
  /** Which API the fault applies to; default `*`. */
  mode?: SandboxMode | '*';
  fault: FaultKind;
  /** How many matching calls the fault spoils; default 1. */
  count?: number;
  /** For `latency`: how long the answer is held back; default 1000. */
  latencyMs?: number;
  /** For `http5xx`: the HTTP status; default 503. */
  httpStatus?: number;
  /** For `http5xx` and `malformed`: the exact body to send instead of the default one. */
  body?: string;
  /**
   * Whether the operation still takes effect (payment created, refund made) before the answer is
   * spoiled. Default true for latency, drop, empty and malformed: Kaspi did it but the answer was
   * lost, so the caller cannot know the outcome. Default false for http5xx and unavailable. For
   * `latency`, false means the operation takes effect only when the late answer is sent.
   */
  applied?: boolean;
}

/** A fault waiting in the queue, with its defaults filled in. */
export interface PendingFault {
  id: string;
  operation: FaultOperation;
  mode: SandboxMode | '*';
  fault: FaultKind;
  /** Calls left to spoil. */
  remaining: number;
  latencyMs: number;
  httpStatus: number;
  body: string | null;
  applied: boolean;
}

export interface KaspiSandboxOptions {
  /**
   * A new remote payment turns `Wait` after half of this and `Processed` after all of it, unless a
   * test call or a forced status touched it first. 0 disables auto-advance. Default 3000.
   */
  autoAdvanceMs?: number;
  /**
   * An unknown UUID device token used on create with a valid BIN gets bound to that BIN, so a
   * newcomer's configuration just works. With false only tokens from `device/register` (or the
   * sandbox's `registerDevice`) are accepted. Default true.
   */
  autoEnrolDevices?: boolean;
  /** The `access_token` the proxy API expects. Default `sandbox-access-token`. */
  proxyAccessToken?: string;
  /** A fixed delay added to every r3 and proxy answer (benchmarks). Default 0. */
  latencyMs?: number;
  /** How many calls the call log keeps; counters are never trimmed. Default 10000. */
  callLogLimit?: number;
  /**
   * r3 calls without a client certificate signed by the server's CA get StatusCode −10000. Default
   * false; `startKaspiSandbox` turns it on when given `tls`.
   */
  requireClientCertificate?: boolean;
  /** How the proxy emits `data.externalId`; the real one has been seen sending numbers. Default `number`. */
  proxyExternalIdType?: 'number' | 'string';
  /**
   * How long a QR code or a payment link waits to be opened (Kaspi's `QrCodeScanWaitTimeout` and
   * `LinkActivationWaitTimeout`), in seconds; `ExpireDate` is this after the create. Default 180.
   */
  qrOpenTimeoutSec?: number;
  /** `StatusPollingInterval` in QR and link answers, seconds. Default 5. */
  qrPollingIntervalSec?: number;
  /** `PaymentConfirmationTimeout` in QR and link answers, seconds. Default 65. */
  qrConfirmationTimeoutSec?: number;
}

export type ResolvedSandboxOptions = Required<KaspiSandboxOptions>;

export interface SandboxRefundView {
  returnOperationId: string;
  /** Tenge. */
  amount: number;
  createdAt: string;
}

/** How the payment was created: `remote/create`, `qr/create` or `qr/create-link`. */
export type SandboxPaymentKind = 'remote' | 'qr' | 'link';

export interface SandboxPaymentView {
  qrPaymentId: string;
  mode: SandboxMode;
  kind: SandboxPaymentKind;
  organizationBin: string;
  deviceToken: string;
  /** Tenge. */
  amount: number;
  /** Null for QR and link payments. */
  phone: string | null;
  comment: string | null;
  /** The merchant's reference sent with a QR or link create (`ExternalId`). */
  externalId: string | null;
  status: string;
  createdAt: string;
  /** When a QR code or link stops being accepted; null for remote payments. */
  expiresAt: string | null;
  refunds: SandboxRefundView[];
  /** Tenge. */
  refundedAmount: number;
}

export interface SandboxDeviceView {
  deviceToken: string;
  organizationBin: string;
  tradePointId: number;
  /** The `DeviceId` given to `device/register`; null for a device enrolled on first use. */
  deviceId: string | null;
  enrolledOnFirstUse: boolean;
}

/** A value from a request, as sent: long strings are cut, objects are flattened to JSON text. */
export type SandboxCallParamValue = string | number | boolean | null;

/** What an upstream call carried, under the same names in direct and proxy mode. */
export interface SandboxCallParams {
  organizationBin?: SandboxCallParamValue;
  deviceToken?: SandboxCallParamValue;
  /** As sent: a JSON value in direct mode, the query string text in proxy mode. */
  amount?: SandboxCallParamValue;
  phone?: SandboxCallParamValue;
  comment?: SandboxCallParamValue;
  /** The merchant's reference (`ExternalId` of a QR or link create). */
  externalId?: SandboxCallParamValue;
  qrPaymentId?: SandboxCallParamValue;
  deviceId?: SandboxCallParamValue;
  tradePointId?: SandboxCallParamValue;
  /** Proxy only: the access token itself is never recorded. */
  accessTokenValid?: boolean;
}

export interface SandboxCallRecord {
  /** Increases by one per call and is never reused, not even after a reset. */
  seq: number;
  at: string;
  mode: SandboxMode;
  operation: SandboxOperation;
  requestId: string | null;
  params: SandboxCallParams;
  /** The operation ran and succeeded (StatusCode 0), whatever happened to its answer. */
  applied: boolean;
  fault: FaultKind | null;
  faultId: string | null;
  /** The StatusCode the operation itself produced; null when it did not run. */
  outcomeStatusCode: number | null;
  /** The StatusCode in the answer actually sent; null when none was (dropped, empty, garbled). */
  statusCode: number | null;
  /** Null while the answer is being held back, and for a dropped connection. */
  httpStatus: number | null;
}

export type SandboxCounters = Partial<Record<SandboxOperation, number>>;

export interface SandboxSnapshot {
  payments: SandboxPaymentView[];
  calls: SandboxCallRecord[];
  /** Calls per operation since the last reset, both modes together; never trimmed. */
  counters: SandboxCounters;
  countersByMode: Record<SandboxMode, SandboxCounters>;
  devices: SandboxDeviceView[];
  faults: PendingFault[];
  options: ResolvedSandboxOptions;
}

/** Narrows a snapshot; all payments and calls by default. */
export interface SnapshotQuery {
  /** Only this payment. */
  qrPaymentId?: string;
  /** Only the last N payments created. */
  paymentsLimit?: number;
  /** Only the last N calls. */
  callsLimit?: number;
}

export interface RegisterDeviceInput {
  organizationBin: string;
  tradePointId?: number;
  /** A UUID to use instead of a fresh one. */
  deviceToken?: string;
  deviceId?: string;
}

/** Many remote payments at once, without an HTTP call each (benchmarks with 100,000 payments). */
export interface SeedPaymentsInput {
  /** At most 200,000 per call. */
  count: number;
  organizationBin: string;
  deviceToken: string;
  /** Tenge, the same for every payment. */
  amount: number;
  /** 7XXXXXXXXXX */
  phone: string;
  /** Which API they are recorded as created through; default `proxy`. */
  mode?: SandboxMode;
  /** Back-dates their creation by this much, so that they look as old as the rows they mirror. Default 0. */
  ageMs?: number;
}

/**
 * An emulator of Kaspi's r3 API and of the merchant proxy, with controls for tests and benchmarks.
 *
 * Under whatever path `router` is mounted at:
 * - `/r3/v01/...` (and `/r3/v02/payment/status/:id`): Kaspi's r3 API, direct mode;
 * - `/proxy/{create,status,refund}/`: the merchant proxy;
 * - `/proxy/{create-qr,create-link}/`: what a proxy forwards to `qr/create` and `qr/create-link`;
 * - `/pay/:qrPaymentId`: where QR codes and links lead, a page on which a tester plays the customer;
 * - `/_control/...`: the JSON control API that mirrors the methods below.
 *
 * @example
 * const sandbox = createKaspiSandbox({ autoAdvanceMs: 0 });
 * app.use('/sandbox/kaspi', sandbox.router);
 * sandbox.injectFault({ operation: 'refund', fault: 'empty' });
 */
export interface KaspiSandbox {
  readonly router: Router;
  /** Shows phone numbers and device tokens whole over the control API: `Authorization: Bearer <controlToken>`. */
  readonly controlToken: string;
  /** The options in force now. */
  readonly options: ResolvedSandboxOptions;
  /**
   * Forgets payments, devices, calls, counters and faults, and restores the options the sandbox was
   * created with. QrPaymentIds keep increasing, so an id is never handed out twice.
   */
  reset(): void;
  /** The same data as `GET /_control/state`. */
  snapshot(query?: SnapshotQuery): SandboxSnapshot;
  /** Queues a fault for the next matching calls. */
  injectFault(spec: FaultSpec): PendingFault;
  clearFaults(): void;
  /** Changes some options; payments already created keep the auto-advance delay they were born with. */
  configure(options: KaspiSandboxOptions): ResolvedSandboxOptions;
  /**
   * Sets a payment's status to any word, known to Kaspi or not; auto-advance stops for it.
   * @throws SandboxControlError (404) for an unknown payment.
   */
  forceStatus(qrPaymentId: string, status: string): SandboxPaymentView;
  /**
   * What Kaspi's test calls do: the customer scans, confirms or fails.
   * @throws SandboxControlError: 404 for an unknown payment, 409 for one already final.
   */
  simulateCustomer(qrPaymentId: string, action: CustomerAction): SandboxPaymentView;
  payment(qrPaymentId: string): SandboxPaymentView | null;
  /**
   * Creates many remote payments in one go, as `remote/create` would, and returns their ids in
   * order. They are not written to the call log or the counters: no call was made.
   * @throws SandboxControlError (400) when the device cannot take payments for the BIN.
   */
  seedPayments(input: SeedPaymentsInput): string[];
  /**
   * `forceStatus` for many payments; ids the sandbox does not know are returned, not refused.
   */
  forceStatuses(qrPaymentIds: string[], status: string): { updated: number; notFound: string[] };
  /** Binds a device token to a BIN, as `device/register` does; needed when `autoEnrolDevices` is off. */
  registerDevice(input: RegisterDeviceInput): SandboxDeviceView;
}
