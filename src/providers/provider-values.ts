import { z } from 'zod';
import { tengeToTiyn } from '../domain/money';
import { PaymentStatus } from '../domain/payment-status';

/**
 * Values every provider's answers and settings carry alike, read one way for all of them.
 */

/** An amount in an answer (tenge, a JSON number), turned into tiyn; a third decimal fails validation instead of being rounded. */
export const upstreamAmountSchema = z
  .number()
  .nonnegative()
  .transform((tenge, ctx) => {
    try {
      return tengeToTiyn(tenge);
    } catch {
      ctx.issues.push({ code: 'custom', message: 'not an amount with at most two decimals', input: tenge });
      return z.NEVER;
    }
  });

/**
 * A provider's base URL from the settings: only http(s). The URL itself is never put into the
 * error, since it may carry credentials.
 */
export function parseProviderBaseUrl(baseUrl: string, name: string, configurationError: (message: string) => Error): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw configurationError(`${name} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configurationError(`${name} must use http or https`);
  }
  return url;
}

/** A provider's vocabulary of status words, and what each means in our lifecycle. */
export interface ProviderStatusWords<W extends string> {
  /** Every word the provider is known to send. */
  words: readonly W[];
  meaning(word: W): PaymentStatus;
  /**
   * Our status for any word. A word the provider is not known to send is WAITING with
   * `recognised: false`, never a guessed outcome: guessing a failure could make the merchant ship
   * nothing for a payment that went through.
   */
  read(word: string): { status: PaymentStatus; recognised: boolean };
}

/** A word of a provider's vocabulary. */
export type WordOf<V> = V extends ProviderStatusWords<infer W> ? W : never;

/** Reads a provider's words listed under the status each of them means. */
export function providerStatusWords<const W extends string>(
  wordsByStatus: Partial<Record<PaymentStatus, readonly W[]>>,
): ProviderStatusWords<W> {
  const meanings = new Map<string, PaymentStatus>();
  for (const [status, words] of Object.entries(wordsByStatus) as [PaymentStatus, readonly W[]][]) {
    for (const word of words) meanings.set(word, status);
  }
  return {
    words: [...meanings.keys()] as W[],
    meaning: (word: W) => meanings.get(word) as PaymentStatus,
    read: (word: string) => {
      const status = meanings.get(word);
      return status === undefined ? { status: PaymentStatus.WAITING, recognised: false } : { status, recognised: true };
    },
  };
}
