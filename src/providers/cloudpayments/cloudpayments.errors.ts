import {
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
  type ProviderError,
} from '../provider';
import { CLOUDPAYMENTS_PROVIDER_ID } from '../provider-ids';

export { CLOUDPAYMENTS_PROVIDER_ID };

/** One upstream call, named as the sandbox, the metrics and the audit log name them. */
export type CloudPaymentsOperation = 'create' | 'cancel' | 'find' | 'get' | 'refund';

/** Calls after which a broken-off answer leaves the outcome unknown; the others are safe to ask again. */
const AT_RISK_IF_LOST: Readonly<Partial<Record<CloudPaymentsOperation, string>>> = {
  create: 'the order may have been created',
  refund: 'the refund may have been made',
};

export interface CloudPaymentsCallFacts {
  operation: CloudPaymentsOperation;
  /** The path only, e.g. `/orders/create`. */
  path: string;
  /** The `X-Request-ID` sent: our operation's id, under which CloudPayments keeps the result for an hour. */
  upstreamRequestId: string;
  /** Our own request id from the call context. */
  requestId: string;
  httpStatus: number | null;
  /** The transport's error code (`ECONNREFUSED`, `ECONNRESET`, `TIMEOUT`) when the call broke off. */
  transportCode: string | null;
  /** CloudPayments' own `Message`, cut short. */
  upstreamMessage: string | null;
  /** False when the request certainly never left this process. */
  reachedUpstream: boolean;
  elapsedMs: number;
}

/**
 * The `cause` of every provider error the CloudPayments client throws: what is known about the call
 * and nothing secret (never the Authorization header, never a body).
 */
export class CloudPaymentsCallFailure extends Error implements CloudPaymentsCallFacts {
  readonly operation: CloudPaymentsOperation;
  readonly path: string;
  readonly upstreamRequestId: string;
  readonly requestId: string;
  readonly httpStatus: number | null;
  readonly transportCode: string | null;
  readonly upstreamMessage: string | null;
  readonly reachedUpstream: boolean;
  readonly elapsedMs: number;

  constructor(facts: CloudPaymentsCallFacts, detail: string) {
    super(`POST ${facts.path}: ${detail}`);
    this.name = 'CloudPaymentsCallFailure';
    this.operation = facts.operation;
    this.path = facts.path;
    this.upstreamRequestId = facts.upstreamRequestId;
    this.requestId = facts.requestId;
    this.httpStatus = facts.httpStatus;
    this.transportCode = facts.transportCode;
    this.upstreamMessage = facts.upstreamMessage;
    this.reachedUpstream = facts.reachedUpstream;
    this.elapsedMs = facts.elapsedMs;
  }
}

/** Refused at start-up or before a call: the settings or the routing cannot work. Never echoes a secret. */
export class CloudPaymentsConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudPaymentsConfigurationError';
  }
}

const subject = (facts: Pick<CloudPaymentsCallFacts, 'operation'>) => `CloudPayments ${facts.operation}`;

/**
 * No usable answer came back. If the request never left, nothing happened; if it did, a create or a
 * refund may have gone through and the outcome is unknown.
 */
export function noUsableAnswer(facts: CloudPaymentsCallFacts, reason: string): ProviderError {
  const cause = new CloudPaymentsCallFailure(facts, reason);
  if (!facts.reachedUpstream) {
    return new ProviderUnavailableError(CLOUDPAYMENTS_PROVIDER_ID, `${subject(facts)} could not be reached: ${reason}; nothing was sent`, null, { cause });
  }
  const atRisk = AT_RISK_IF_LOST[facts.operation];
  if (atRisk) {
    return new ProviderOutcomeUnknownError(
      CLOUDPAYMENTS_PROVIDER_ID,
      `${subject(facts)} gave no usable answer: ${reason}; ${atRisk}, check before retrying`,
      null,
      { cause },
    );
  }
  return new ProviderUnavailableError(CLOUDPAYMENTS_PROVIDER_ID, `${subject(facts)} gave no usable answer: ${reason}`, null, { cause });
}

/** HTTP 429 (over the parallel-request limit) or 408: CloudPayments did nothing; ask later. */
export function unavailableByHttpStatus(facts: CloudPaymentsCallFacts): ProviderError {
  return new ProviderUnavailableError(
    CLOUDPAYMENTS_PROVIDER_ID,
    `${subject(facts)}: the server asked to try later (HTTP ${facts.httpStatus}); nothing was done`,
    `HTTP_${facts.httpStatus}`,
    { cause: new CloudPaymentsCallFailure(facts, `HTTP ${facts.httpStatus}`) },
  );
}

/** A 4xx other than 408/429 (401: wrong Public ID or API secret): turned away, nothing done. */
export function rejectedByHttpStatus(facts: CloudPaymentsCallFacts): ProviderError {
  return new ProviderRejectedError(CLOUDPAYMENTS_PROVIDER_ID, `${subject(facts)} was rejected: HTTP ${facts.httpStatus}`, `HTTP_${facts.httpStatus}`, {
    cause: new CloudPaymentsCallFailure(facts, `HTTP ${facts.httpStatus}`),
  });
}

/** `Success: false` without a transaction: CloudPayments refused the call and did nothing. */
export function rejectedByCloudPayments(facts: CloudPaymentsCallFacts, code: string | null): ProviderError {
  const detail = facts.upstreamMessage ? `"${facts.upstreamMessage}"` : 'no message';
  return new ProviderRejectedError(CLOUDPAYMENTS_PROVIDER_ID, `${subject(facts)} was rejected: ${detail}`, code, {
    cause: new CloudPaymentsCallFailure(facts, detail),
  });
}

/** Refused before anything was sent. */
export function refusedLocally(operation: CloudPaymentsOperation, reason: string): ProviderRejectedError {
  return new ProviderRejectedError(CLOUDPAYMENTS_PROVIDER_ID, `${subject({ operation })} was not sent: ${reason}`, null);
}
