import { GraphQLError } from 'graphql';

/** Expected, business-level failures: returned as data in a payload's `errors`, never thrown. */
export enum ErrorCode {
  BAD_INPUT = 'BAD_INPUT',
  CONFIG_NOT_FOUND = 'CONFIG_NOT_FOUND',
  CONFIG_INACTIVE = 'CONFIG_INACTIVE',
  CONFIG_EXISTS = 'CONFIG_EXISTS',
  PAYMENT_NOT_FOUND = 'PAYMENT_NOT_FOUND',
  PAYMENT_NOT_REFUNDABLE = 'PAYMENT_NOT_REFUNDABLE',
  REFUND_EXCEEDS_AVAILABLE = 'REFUND_EXCEEDS_AVAILABLE',
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
  PROVIDER_REJECTED = 'PROVIDER_REJECTED',
  PROVIDER_UNAVAILABLE = 'PROVIDER_UNAVAILABLE',
  /** The object named by an id (a webhook endpoint, a delivery) does not exist. */
  NOT_FOUND = 'NOT_FOUND',
  /** The shop's provider cannot take a payment by this method, or the method lacks what it needs (a phone, an e-mail). */
  PAYMENT_METHOD_NOT_SUPPORTED = 'PAYMENT_METHOD_NOT_SUPPORTED',
  /** The refund named by an id does not exist, or belongs to a shop the caller does not see. */
  REFUND_NOT_FOUND = 'REFUND_NOT_FOUND',
}

export interface UserError {
  code: ErrorCode;
  message: string;
  field?: string[] | null;
  /**
   * True only when the same request may succeed if sent again later with the same idempotency key
   * (one still in progress); a stored outcome is replayed for that key, so it is never retryable.
   */
  retryable?: boolean;
  /** The provider's own code (e.g. Kaspi's "-1501"), for PROVIDER_REJECTED. */
  providerCode?: string | null;
}

export function userError(code: ErrorCode, message: string, field?: string[], extra?: Partial<UserError>): UserError {
  return { code, message, field: field ?? null, ...extra };
}

/** Codes of thrown GraphQL errors that may reach a client as they are; anything else is masked. */
export const PUBLIC_ERROR_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'RATE_LIMITED',
  'TOO_MANY_SUBSCRIPTIONS',
  'SERVICE_UNAVAILABLE',
  'BAD_INPUT',
  'REPLAY_CUT_SHORT',
]);

export function unauthenticated(): GraphQLError {
  return new GraphQLError('A valid API key is required: send "Authorization: Bearer <key>"', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

export function forbidden(): GraphQLError {
  return new GraphQLError('This API key is not allowed to do that', {
    extensions: { code: 'FORBIDDEN', http: { status: 403 } },
  });
}
