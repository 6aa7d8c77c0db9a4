import { isProviderError } from '../providers/provider';
import { ErrorCode, userError, type UserError } from '../errors';

/** What a call that changes money at the provider came to, in our terms. */
export type CallOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'rejected'; providerCode: string | null; retryable: boolean; detail: string }
  | { kind: 'unavailable'; providerCode: string | null; detail: string }
  | { kind: 'unknown'; detail: string };

/**
 * Runs one provider call and classifies its result. Anything that is not one of the provider's
 * typed errors is a bug somewhere below us: the request may have left, so it counts as unknown.
 */
export async function callProvider<T>(call: () => Promise<T>): Promise<CallOutcome<T>> {
  try {
    return { kind: 'ok', value: await call() };
  } catch (error) {
    if (!isProviderError(error)) {
      return { kind: 'unknown', detail: `unexpected provider failure: ${(error as Error)?.name ?? 'error'}` };
    }
    switch (error.kind) {
      case 'rejected':
        return { kind: 'rejected', providerCode: error.providerCode, retryable: error.retryable, detail: error.message };
      case 'unavailable':
        return { kind: 'unavailable', providerCode: error.providerCode, detail: error.message };
      case 'unknown':
        return { kind: 'unknown', detail: error.message };
    }
  }
}

/**
 * The message a client sees: ours, never the provider's own text. None of these is `retryable`:
 * the outcome is stored, and the same idempotency key replays it for ever. Where the provider did
 * nothing or invited a retry, the message says to send the request again under a new key.
 */
export function outcomeError(
  outcome: Exclude<CallOutcome<unknown>, { kind: 'ok' }>,
  what: 'payment' | 'refund' | 'status check',
): UserError {
  switch (outcome.kind) {
    case 'rejected':
      return userError(
        ErrorCode.PROVIDER_REJECTED,
        `the provider refused the ${what}${outcome.providerCode ? ` (code ${outcome.providerCode})` : ''}` +
          (outcome.retryable ? `; it may go through if sent again under a new idempotency key` : ''),
        undefined,
        { providerCode: outcome.providerCode, retryable: false },
      );
    case 'unavailable':
      return userError(
        ErrorCode.PROVIDER_UNAVAILABLE,
        `the provider is unavailable and nothing was done; send the ${what} again under a new idempotency key`,
        undefined,
        { providerCode: outcome.providerCode, retryable: false },
      );
    case 'unknown':
      return userError(
        ErrorCode.PROVIDER_UNAVAILABLE,
        `the provider did not answer, so whether the ${what} was made is not known; the gateway will reconcile it — do not send it again under a new idempotency key`,
        undefined,
        { retryable: false },
      );
  }
}
