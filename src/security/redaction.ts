import { maskDeviceToken } from '../domain/device-token';
import { maskPhone } from '../domain/phone';

/**
 * A UUID, or a Kazakh mobile number written as 11 digits (7… or 8…, optionally +7) with or without
 * spaces, dashes or brackets. UUIDs come first so that a run of digits inside one is not taken for
 * a phone number.
 */
const UUID_OR_PHONE =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![\d])\+?[78](?:[\s()-]{0,2}\d){10}(?!\d)/gi;
const UUID = /^[0-9a-f]{8}-/i;
const PHONE_DIGITS = /^[78]\d{10}$/;

/** Keys whose values are secrets wherever they appear: replaced whole. */
const SECRET_KEY = /^(device_?tokens?|access_?token|token|passphrase|authorization|password|secret|api_?key|key|cookie|encryption_?keys?)$/i;
const PHONE_KEY = /^(phone|phone_?number)$/i;
/** Keys that carry our own identifiers (payment ids, request ids), which logs need whole. */
const IDENTIFIER_KEY = /^(id|requestId|upstreamRequestId|paymentId|refundId|callerId|eventId|configId)$/;

const MAX_DEPTH = 8;
export const REDACTED = '[redacted]';

/**
 * Masks every phone number in a text to its first and last digits and, unless `keepUuids`, every
 * UUID to its first 8 characters: Kaspi device tokens are UUIDs, and a text cannot say which UUID
 * is a device token.
 */
export function scrubText(text: string, options: { keepUuids?: boolean } = {}): string {
  return text.replace(UUID_OR_PHONE, (match) => {
    if (UUID.test(match)) return options.keepUuids ? match : maskDeviceToken(match)!;
    return maskPhone(match.replace(/\D/g, ''));
  });
}

/**
 * The last line of defence on a finished JSON log line: masks any phone number still in it, and
 * quotes the masked form where the number stood bare, so that the line stays valid JSON.
 */
export function maskPhoneNumbersInJson(line: string): string {
  return line.replace(UUID_OR_PHONE, (match, offset: number) => {
    if (UUID.test(match)) return match;
    const masked = maskPhone(match.replace(/\D/g, ''));
    return /[:,[]/.test(line[offset - 1] ?? '') ? `"${masked}"` : masked;
  });
}

/**
 * A copy of `value` fit for a log line: secrets under known keys replaced, phone numbers masked
 * and UUIDs masked outside identifier keys, errors turned into plain objects first. Never mutates
 * what it is given.
 */
export function scrubValue(value: unknown, key = '', depth = 0, seen = new WeakSet<object>()): unknown {
  if (value == null) return value;
  if (key && SECRET_KEY.test(key)) return REDACTED;
  if (typeof value === 'string') {
    if (key && PHONE_KEY.test(key)) return maskPhone(value.replace(/\D/g, ''));
    return scrubText(value, { keepUuids: IDENTIFIER_KEY.test(key) });
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    return PHONE_DIGITS.test(String(value)) ? maskPhone(String(value)) : value;
  }
  if (typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return scrubValue(errorToObject(value), key, depth + 1, seen);
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, key, depth + 1, seen));
  const copy: Record<string, unknown> = {};
  for (const [childKey, child] of Object.entries(value)) copy[childKey] = scrubValue(child, childKey, depth + 1, seen);
  return copy;
}

function errorToObject(error: Error): Record<string, unknown> {
  const plain: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  for (const [key, value] of Object.entries(error)) plain[key] = value;
  if (error.cause !== undefined) plain.cause = error.cause;
  return plain;
}
