import type express from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { PUBLIC_ERROR_CODES } from '../errors';
import type { Logger } from '../logger';
import { withoutLimitDetails, withoutSuggestions } from '../security/query-limits';
import { scrubText } from '../security/redaction';

/**
 * What a client may see of an error: its own mistakes and auth failures; nothing of our insides.
 * Messages are scrubbed of phone numbers and UUIDs (a variable echoed back in a coercion error
 * could be a customer's number or a device token), and in production of field suggestions.
 */
export function maskFormatted(formatted: GraphQLFormattedError, error: unknown, logger: Logger, isProduction: boolean): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const message = clientMessage(formatted.message, isProduction);
  if (typeof code === 'string' && PUBLIC_ERROR_CODES.has(code)) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, message, extensions };
  }
  // A GraphQL error of its own (parse, validation, variable coercion), not one wrapping a fault of ours.
  if (error instanceof GraphQLError && !error.originalError) {
    return { message, locations: formatted.locations, path: formatted.path, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  logger.error({ err: unwrap(error), path: formatted.path }, 'internal error in a GraphQL operation');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** {@link maskFormatted} for an error still to be sent, as graphql-ws sends them. */
export function maskError(error: GraphQLError, logger: Logger, isProduction: boolean): GraphQLError {
  const formatted = maskFormatted(error.toJSON(), error, logger, isProduction);
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
}

/** The last word on an HTTP request that failed outside GraphQL: a body that could not be read, or a fault of ours. */
export function httpErrorHandler(logger: Logger): express.ErrorRequestHandler {
  return (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ errors: [{ message: 'The request could not be read', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    logger.error({ err: error }, 'unhandled HTTP error');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  };
}

function clientMessage(message: string, isProduction: boolean): string {
  const bounded = scrubText(withoutLimitDetails(message));
  return isProduction ? withoutSuggestions(bounded) : bounded;
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
