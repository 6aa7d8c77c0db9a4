import { ProviderRejectedError, type ProviderError } from '../provider';
import { ProviderCallFailure, providerCallErrors, type ProviderCallFacts } from '../provider-call';
import { CLOUDPAYMENTS_PROVIDER_ID } from '../provider-ids';

export { CLOUDPAYMENTS_PROVIDER_ID };

/** One upstream call, named as the sandbox, the metrics and the audit log name them. */
export type CloudPaymentsOperation = 'create' | 'cancel' | 'find' | 'get' | 'refund';

/** Calls after which a broken-off answer leaves the outcome unknown; the others are safe to ask again. */
const AT_RISK_IF_LOST: Readonly<Partial<Record<CloudPaymentsOperation, string>>> = {
  create: 'the order may have been created',
  refund: 'the refund may have been made',
};

export type CloudPaymentsCallFacts = ProviderCallFacts<CloudPaymentsOperation>;

/**
 * The `cause` of every provider error the CloudPayments client throws. Every call is a POST whose
 * `X-Request-ID` is our operation's id, under which CloudPayments keeps the result for an hour.
 */
export class CloudPaymentsCallFailure extends ProviderCallFailure<CloudPaymentsOperation> {
  constructor(facts: CloudPaymentsCallFacts, detail: string) {
    super(facts, 'POST', detail);
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

const calls = providerCallErrors({
  providerId: CLOUDPAYMENTS_PROVIDER_ID,
  subject,
  atRiskIfLost: AT_RISK_IF_LOST,
  failure: (facts: CloudPaymentsCallFacts, detail) => new CloudPaymentsCallFailure(facts, detail),
});

export const { noUsableAnswer, rejectedByHttpStatus, unavailableByHttpStatus } = calls;

/** `Success: false` without a transaction: CloudPayments refused the call and did nothing. */
export function rejectedByCloudPayments(facts: CloudPaymentsCallFacts, code: string | null): ProviderError {
  const detail = facts.upstreamMessage ? `"${facts.upstreamMessage}"` : 'no message';
  return new ProviderRejectedError(CLOUDPAYMENTS_PROVIDER_ID, `${subject(facts)} was rejected: ${detail}`, code, {
    cause: new CloudPaymentsCallFailure(facts, detail),
  });
}

/** Refused before anything was sent. */
export function refusedLocally(operation: CloudPaymentsOperation, reason: string): ProviderRejectedError {
  return calls.refusedLocally({ operation }, reason);
}
