import {
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
  type ProviderError,
} from '../provider';
import { KASPI_PROVIDER_ID } from '../provider-ids';
import { InvalidAmountError, type Tiyn } from '../../domain/money';
import { KASPI_CODE_MEANINGS, classifyKaspiFailureCode, toKaspiAmount } from './kaspi.mappers';

export type KaspiTransport = 'direct' | 'proxy';

/** One upstream call, named as the sandbox and the audit log name them. */
export type KaspiOperation = 'create' | 'status' | 'refund' | 'details' | 'cancel';

/**
 * Calls after which a broken-off answer leaves the outcome unknown, and what may exist because of
 * them. The other calls change nothing that a later status poll would not show: asking again is safe.
 */
const AT_RISK_IF_LOST: Readonly<Partial<Record<KaspiOperation, string>>> = {
  create: 'the invoice may have been sent',
  refund: 'the refund may have been made',
};

export interface KaspiCallFacts {
  mode: KaspiTransport;
  operation: KaspiOperation;
  method: 'GET' | 'POST';
  /** The path only: proxy URLs carry the access token, the phone and the device token in the query. */
  path: string;
  /** The `X-Request-ID` sent with the call, to quote to Kaspi's support. */
  upstreamRequestId: string;
  /** Our own request id from the call context. */
  requestId: string;
  httpStatus: number | null;
  /** The transport's error code (`ECONNREFUSED`, `ECONNRESET`, …) when the call broke off. */
  transportCode: string | null;
  /** Kaspi's or the proxy's own message text, with this call's secrets masked. */
  upstreamMessage: string | null;
  /** False when the request certainly never left this process (refused, unresolved, TLS setup failed). */
  reachedUpstream: boolean;
  timedOut: boolean;
  elapsedMs: number;
}

/**
 * The `cause` attached to every provider error thrown by the Kaspi clients: what is known about the
 * call, and nothing that is secret. The transport's own error (which carries the full URL, the
 * query and the axios config) is deliberately not kept.
 */
export class KaspiCallFailure extends Error implements KaspiCallFacts {
  readonly mode: KaspiTransport;
  readonly operation: KaspiOperation;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly upstreamRequestId: string;
  readonly requestId: string;
  readonly httpStatus: number | null;
  readonly transportCode: string | null;
  readonly upstreamMessage: string | null;
  readonly reachedUpstream: boolean;
  readonly timedOut: boolean;
  readonly elapsedMs: number;

  constructor(facts: KaspiCallFacts, detail: string) {
    super(`${facts.method} ${facts.path}: ${detail}`);
    this.name = 'KaspiCallFailure';
    this.mode = facts.mode;
    this.operation = facts.operation;
    this.method = facts.method;
    this.path = facts.path;
    this.upstreamRequestId = facts.upstreamRequestId;
    this.requestId = facts.requestId;
    this.httpStatus = facts.httpStatus;
    this.transportCode = facts.transportCode;
    this.upstreamMessage = facts.upstreamMessage;
    this.reachedUpstream = facts.reachedUpstream;
    this.timedOut = facts.timedOut;
    this.elapsedMs = facts.elapsedMs;
  }
}

/** The Kaspi facts behind a provider error, when it came from the Kaspi clients. */
export function kaspiCallFailureOf(error: unknown): KaspiCallFailure | null {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof KaspiCallFailure ? cause : null;
}

/** Refused at start-up: the settings cannot work. The message never echoes a secret. */
export class KaspiConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KaspiConfigurationError';
  }
}

function subject(facts: Pick<KaspiCallFacts, 'mode' | 'operation'>): string {
  return `Kaspi ${facts.operation} (${facts.mode})`;
}

/**
 * No usable answer came back. Whether the request reached Kaspi decides: if it never left, nothing
 * happened; if it did, a create or a refund may have gone through.
 */
export function noUsableAnswer(facts: KaspiCallFacts, reason: string): ProviderError {
  const cause = new KaspiCallFailure(facts, reason);
  if (!facts.reachedUpstream) {
    return new ProviderUnavailableError(
      KASPI_PROVIDER_ID,
      `${subject(facts)} could not be reached: ${reason}; nothing was sent`,
      null,
      { cause },
    );
  }
  const atRisk = AT_RISK_IF_LOST[facts.operation];
  if (atRisk) {
    return new ProviderOutcomeUnknownError(
      KASPI_PROVIDER_ID,
      `${subject(facts)} gave no usable answer: ${reason}; ${atRisk}, check before retrying`,
      null,
      { cause },
    );
  }
  return new ProviderUnavailableError(KASPI_PROVIDER_ID, `${subject(facts)} gave no usable answer: ${reason}`, null, {
    cause,
  });
}

/**
 * Kaspi (or the proxy) answered with a failure code. −999 means Kaspi did nothing; every other
 * code is a refusal.
 */
export function failureFromCode(facts: KaspiCallFacts, code: string | null): ProviderError {
  const described = describeCode(code);
  const cause = new KaspiCallFailure(facts, described);
  const outcome = code === null ? null : classifyKaspiFailureCode(code);
  if (outcome?.kind === 'unavailable') {
    return new ProviderUnavailableError(
      KASPI_PROVIDER_ID,
      `${subject(facts)}: Kaspi is temporarily unavailable (code ${outcome.providerCode}); nothing was done`,
      outcome.providerCode,
      { cause },
    );
  }
  const error = new ProviderRejectedError(KASPI_PROVIDER_ID, `${subject(facts)} was rejected: ${described}`, code, {
    cause,
  });
  error.retryable = outcome?.retryable ?? false;
  return error;
}

/** An HTTP status that, without a usable body, says the request was turned away. */
export function rejectedByHttpStatus(facts: KaspiCallFacts): ProviderError {
  const code = `HTTP_${facts.httpStatus}`;
  return new ProviderRejectedError(KASPI_PROVIDER_ID, `${subject(facts)} was rejected: HTTP ${facts.httpStatus}`, code, {
    cause: new KaspiCallFailure(facts, `HTTP ${facts.httpStatus}`),
  });
}

/** An HTTP status that says the server did nothing and asks to come back later (408, 429). */
export function unavailableByHttpStatus(facts: KaspiCallFacts): ProviderError {
  const code = `HTTP_${facts.httpStatus}`;
  return new ProviderUnavailableError(
    KASPI_PROVIDER_ID,
    `${subject(facts)}: the server asked to try later (HTTP ${facts.httpStatus}); nothing was done`,
    code,
    { cause: new KaspiCallFailure(facts, `HTTP ${facts.httpStatus}`) },
  );
}

/** Refused before anything was sent: the request cannot be made as asked. */
export function refusedLocally(
  facts: Pick<KaspiCallFacts, 'mode' | 'operation'>,
  reason: string,
): ProviderRejectedError {
  return new ProviderRejectedError(KASPI_PROVIDER_ID, `${subject(facts)} was not sent: ${reason}`, null);
}

/** Tiyn as the tenge literal Kaspi takes; an amount Kaspi cannot take is refused before anything is sent. */
export function kaspiAmountOrRefuse(facts: Pick<KaspiCallFacts, 'mode' | 'operation'>, amount: Tiyn): string {
  try {
    return toKaspiAmount(amount);
  } catch (error) {
    if (error instanceof InvalidAmountError) throw refusedLocally(facts, `the amount ${error.message}`);
    throw error;
  }
}

/** The customer's phone, which a remote invoice cannot go without. */
export function kaspiPhoneOrRefuse(facts: Pick<KaspiCallFacts, 'mode' | 'operation'>, phone: string | null | undefined): string {
  if (!phone) throw refusedLocally(facts, 'a remote invoice needs the customer\'s phone');
  return phone;
}

function describeCode(code: string | null): string {
  if (code === null) return 'no error code';
  const meaning = KASPI_CODE_MEANINGS[code];
  return meaning ? `code ${code} (${meaning})` : `code ${code}`;
}

/**
 * Masks this call's secrets wherever an upstream or transport text might echo them. Short values
 * are left alone: masking "7" everywhere would destroy the text and protect nothing.
 */
export function redact(text: string, secrets: readonly (string | null | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join('***');
  }
  return result;
}
