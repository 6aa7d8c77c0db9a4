import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Secrets never reach a log line: these paths are censored wherever they appear in a logged
 * object, and phone numbers are logged masked by the code that logs them.
 */
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
  'phone',
  '*.phone',
  'secret',
  '*.secret',
  'key',
  'apiKey',
];

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'kaspi-gateway', ...bindings },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
