import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger } from 'pino';
import { maskPhoneNumbersInJson, REDACTED, scrubText, scrubValue } from './security/redaction';

export type { Logger };

/** Censored by pino itself, before the scrubbing below looks at anything. */
const REDACTED_PATHS = [
  'deviceToken',
  '*.deviceToken',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'passphrase',
  '*.passphrase',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'secret',
  '*.secret',
  'key',
  'apiKey',
];

const requestScope = new AsyncLocalStorage<{ requestId: string }>();
const BOUND_TO_REQUEST = Symbol('kaspi-gateway.boundToRequest');

/**
 * Runs `work` as part of one request: every line logged meanwhile, by any logger of the gateway
 * (services, providers, the reconciler when a request asks it), carries the request id.
 */
export function runInRequestScope<T>(requestId: string, work: () => T): T {
  return requestScope.run({ requestId }, work);
}

/** The logger handed to a request's resolvers: the request id is bound once, not repeated per line. */
export function requestLogger(logger: Logger, requestId: string): Logger {
  const child = logger.child({ requestId });
  (child as unknown as Record<symbol, boolean>)[BOUND_TO_REQUEST] = true;
  return child;
}

export interface LoggerOptions {
  bindings?: Record<string, unknown>;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

/**
 * JSON lines with the request id of the request being served. No secret reaches a line, whatever
 * the code that logs passes in: known secret fields are censored, errors are flattened and
 * scrubbed, UUIDs (device tokens are UUIDs) are masked outside identifier fields, and any phone
 * number left anywhere in the finished line is masked to its first and last digits.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'kaspi-gateway', ...options.bindings },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin(_object, _level, instance) {
        const scope = requestScope.getStore();
        if (!scope || (instance as unknown as Record<symbol, boolean>)[BOUND_TO_REQUEST]) return {};
        return { requestId: scope.requestId };
      },
      formatters: {
        bindings: (bindings) => scrubValue(bindings) as Record<string, unknown>,
        log: (object) => scrubValue(object) as Record<string, unknown>,
      },
      serializers: {
        msg: (message: unknown) => (typeof message === 'string' ? scrubText(message) : message),
        // Already flattened and scrubbed by the log formatter; pino's own would rename its type.
        err: (error: unknown) => (error instanceof Error ? scrubValue(error) : error),
      },
      hooks: { streamWrite: maskPhoneNumbersInJson },
    },
    options.destination ?? pino.destination(1),
  );
}
