import { ProviderRejectedError, ProviderUnavailableError, type ProviderError } from '../provider';
import { ProviderCallFailure, providerCallErrors, type ProviderCallFacts } from '../provider-call';
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

export interface KaspiCallFacts extends ProviderCallFacts<KaspiOperation> {
  mode: KaspiTransport;
  method: 'GET' | 'POST';
  timedOut: boolean;
}

/** The `cause` attached to every provider error thrown by the Kaspi clients. */
export class KaspiCallFailure extends ProviderCallFailure<KaspiOperation> implements KaspiCallFacts {
  readonly mode: KaspiTransport;
  readonly method: 'GET' | 'POST';
  readonly timedOut: boolean;

  constructor(facts: KaspiCallFacts, detail: string) {
    super(facts, facts.method, detail);
    this.mode = facts.mode;
    this.method = facts.method;
    this.timedOut = facts.timedOut;
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

export const { noUsableAnswer, rejectedByHttpStatus, unavailableByHttpStatus, refusedLocally } = providerCallErrors({
  providerId: KASPI_PROVIDER_ID,
  subject,
  atRiskIfLost: AT_RISK_IF_LOST,
  failure: (facts: KaspiCallFacts, detail) => new KaspiCallFailure(facts, detail),
});

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
