import {
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
  type ProviderError,
} from './provider';

/** What is known about one upstream call that failed, whichever provider it went to. Nothing secret. */
export interface ProviderCallFacts<Operation extends string = string> {
  operation: Operation;
  /** The path only: never the query, which may carry secrets. */
  path: string;
  /** The `X-Request-ID` sent with the call, to quote to the provider's support. */
  upstreamRequestId: string;
  /** Our own request id from the call context. */
  requestId: string;
  httpStatus: number | null;
  /** The transport's error code (`ECONNREFUSED`, `ECONNRESET`, `TIMEOUT`, …) when the call broke off. */
  transportCode: string | null;
  /** The provider's own message text, cut short and with this call's secrets masked. */
  upstreamMessage: string | null;
  /** False when the request certainly never left this process (refused, unresolved, TLS setup failed). */
  reachedUpstream: boolean;
  elapsedMs: number;
}

/**
 * The `cause` of a provider error thrown by a provider's client: the call's facts and nothing else.
 * The transport's own error (which carries the full URL, the query and the client's config) is
 * deliberately not kept.
 */
export abstract class ProviderCallFailure<Operation extends string = string>
  extends Error
  implements ProviderCallFacts<Operation>
{
  readonly operation: Operation;
  readonly path: string;
  readonly upstreamRequestId: string;
  readonly requestId: string;
  readonly httpStatus: number | null;
  readonly transportCode: string | null;
  readonly upstreamMessage: string | null;
  readonly reachedUpstream: boolean;
  readonly elapsedMs: number;

  constructor(facts: ProviderCallFacts<Operation>, method: string, detail: string) {
    super(`${method} ${facts.path}: ${detail}`);
    this.name = new.target.name;
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

/** How one provider names its calls and what its lost answers may leave behind. */
export interface ProviderCallWording<Call, Facts extends Call & ProviderCallFacts> {
  providerId: string;
  /** How a call is named at the start of every message, e.g. `Kaspi create (direct)`. */
  subject: (call: Call) => string;
  /** Calls after which a broken-off answer leaves the outcome unknown, and what may exist because of them. */
  atRiskIfLost: Readonly<Partial<Record<Facts['operation'], string>>>;
  failure: (facts: Facts, detail: string) => ProviderCallFailure;
}

/**
 * The errors every provider's client raises alike when a call fails without the provider's own
 * refusal: no usable answer, an HTTP status that turns the call away or asks to come back later,
 * and a refusal before anything was sent. Only the subject and the calls at risk differ.
 */
export function providerCallErrors<Call, Facts extends Call & ProviderCallFacts>(
  wording: ProviderCallWording<Call, Facts>,
) {
  const { providerId, subject, atRiskIfLost, failure } = wording;
  return {
    /**
     * No usable answer came back. Whether the request reached the provider decides: if it never
     * left, nothing happened; if it did, a create or a refund may have gone through.
     */
    noUsableAnswer(facts: Facts, reason: string): ProviderError {
      const cause = failure(facts, reason);
      if (!facts.reachedUpstream) {
        return new ProviderUnavailableError(providerId, `${subject(facts)} could not be reached: ${reason}; nothing was sent`, null, {
          cause,
        });
      }
      const atRisk = atRiskIfLost[facts.operation as Facts['operation']];
      if (atRisk) {
        return new ProviderOutcomeUnknownError(
          providerId,
          `${subject(facts)} gave no usable answer: ${reason}; ${atRisk}, check before retrying`,
          null,
          { cause },
        );
      }
      return new ProviderUnavailableError(providerId, `${subject(facts)} gave no usable answer: ${reason}`, null, { cause });
    },

    /** An HTTP status that, without a usable body, says the request was turned away. */
    rejectedByHttpStatus(facts: Facts): ProviderError {
      return new ProviderRejectedError(providerId, `${subject(facts)} was rejected: HTTP ${facts.httpStatus}`, `HTTP_${facts.httpStatus}`, {
        cause: failure(facts, `HTTP ${facts.httpStatus}`),
      });
    },

    /** An HTTP status that says the server did nothing and asks to come back later (408, 429). */
    unavailableByHttpStatus(facts: Facts): ProviderError {
      return new ProviderUnavailableError(
        providerId,
        `${subject(facts)}: the server asked to try later (HTTP ${facts.httpStatus}); nothing was done`,
        `HTTP_${facts.httpStatus}`,
        { cause: failure(facts, `HTTP ${facts.httpStatus}`) },
      );
    },

    /** Refused before anything was sent: the request cannot be made as asked. */
    refusedLocally(call: Call, reason: string): ProviderRejectedError {
      return new ProviderRejectedError(providerId, `${subject(call)} was not sent: ${reason}`, null);
    },
  };
}

/**
 * Plain words for a transport error code, so that an error never carries the transport's own text.
 * `ownWords` is asked first, for the codes a provider's transport tells apart in its own wording;
 * what it leaves (undefined) gets the wording every provider shares.
 */
export function describeTransportFailure(code: string | null, ownWords: (code: string) => string | undefined): string {
  if (code === null) return 'the request failed';
  const own = ownWords(code);
  if (own !== undefined) return own;
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused (ECONNREFUSED)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name could not be resolved (${code})`;
    default:
      return `the request failed (${code})`;
  }
}
