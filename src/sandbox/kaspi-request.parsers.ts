import { tengeToTiyn, type Tiyn } from '../domain/money';
import type { SandboxCallParams, SandboxCallParamValue } from './kaspi-sandbox.types';
import { KaspiStatusCode, rejected, succeeded, type KaspiOutcome } from './kaspi-status-codes';

/**
 * Field checks shared by the r3 and proxy emulations. They are written against what Kaspi accepts,
 * independently of the gateway's own validation, so that a gateway bug shows up as a refusal here.
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; outcome: KaspiOutcome };

/** The values of a set of checks, once all of them have passed. */
export type CheckedFields<T> = { [K in keyof T]: T[K] extends Checked<infer V> ? V : never };

/** How a dialect carries a field: under its name (which its refusals give it too) and with its check. */
export type RequestField = readonly [name: string, check: (value: unknown, name: string) => Checked<unknown>];

/** The two ways in: r3's JSON bodies (and its GET query), and the proxy's query strings. */
export type RequestDialect = 'r3' | 'proxy';

const BIN_PATTERN = /^\d{12}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PHONE_PATTERN = /^7\d{10}$/;
const DIGITS_PATTERN = /^\d{1,30}$/;
const MAX_COMMENT_LENGTH = 1000;
const MAX_LOGGED_TEXT = 256;

export function accept<T>(value: T): Checked<T> {
  return { ok: true, value };
}

export function refuse<T>(statusCode: number, message: string): Checked<T> {
  return { ok: false, outcome: rejected(statusCode, message) };
}

export function parseBin(value: unknown, field = 'OrganizationBin'): Checked<string> {
  if (value === undefined || value === null || value === '') {
    return refuse(KaspiStatusCode.INVALID_REQUEST, `${field} is required`);
  }
  if (typeof value !== 'string' || !BIN_PATTERN.test(value)) {
    return refuse(KaspiStatusCode.INVALID_REQUEST, `${field} must be a 12-digit BIN`);
  }
  return accept(value);
}

/** Tokens are compared in lower case: Kaspi treats them as GUIDs. */
export function parseDeviceToken(value: unknown, field = 'DeviceToken'): Checked<string> {
  if (value === undefined || value === null || value === '') {
    return refuse(KaspiStatusCode.INVALID_REQUEST, `${field} is required`);
  }
  if (typeof value !== 'string' || !UUID_PATTERN.test(value)) {
    return refuse(KaspiStatusCode.DEVICE_NOT_FOUND, 'Device not found');
  }
  return accept(value.toLowerCase());
}

/** Direct mode: Kaspi takes the amount as a JSON number of tenge with at most two decimals. */
export function parseAmountNumber(value: unknown): Checked<Tiyn> {
  if (typeof value !== 'number') {
    return refuse(KaspiStatusCode.INVALID_AMOUNT, 'Amount must be a number of tenge');
  }
  return tiynFrom(value);
}

/** Proxy mode: the amount arrives as query string text such as "100" or "100.5". */
export function parseAmountText(value: unknown): Checked<Tiyn> {
  if (typeof value !== 'string' || value === '') {
    return refuse(KaspiStatusCode.INVALID_AMOUNT, 'amount is required');
  }
  return tiynFrom(value);
}

function tiynFrom(tenge: number | string): Checked<Tiyn> {
  try {
    const tiyn = tengeToTiyn(tenge);
    if (tiyn <= 0) return refuse(KaspiStatusCode.INVALID_AMOUNT, 'Amount must be positive');
    return accept(tiyn);
  } catch {
    return refuse(
      KaspiStatusCode.INVALID_AMOUNT,
      'Amount must be a positive number of tenge with at most two decimal places',
    );
  }
}

export function parsePhone(value: unknown): Checked<string> {
  if (typeof value !== 'string' || !PHONE_PATTERN.test(value)) {
    return refuse(
      KaspiStatusCode.INVALID_PHONE_NUMBER,
      'PhoneNumber must be 11 digits starting with 7, e.g. 77015211545',
    );
  }
  return accept(value);
}

export function parseComment(value: unknown): Checked<string | null> {
  if (value === undefined || value === null || value === '') return accept(null);
  if (typeof value !== 'string') return refuse(KaspiStatusCode.INVALID_REQUEST, 'Comment must be a string');
  if (value.length > MAX_COMMENT_LENGTH) {
    return refuse(KaspiStatusCode.INVALID_REQUEST, `Comment must be at most ${MAX_COMMENT_LENGTH} characters`);
  }
  return accept(value);
}

/** The merchant's optional reference on a QR or link create. */
export function parseExternalId(value: unknown, field = 'ExternalId'): Checked<string | null> {
  if (value === undefined || value === null || value === '') return accept(null);
  if (typeof value !== 'string' || value.length > 64) {
    return refuse(KaspiStatusCode.INVALID_REQUEST, `${field} must be a string of at most 64 characters`);
  }
  return accept(value);
}

/** A QrPaymentId arrives as a JSON number or as digits in a string; it is kept as a string. */
export function parseQrPaymentId(value: unknown, field = 'QrPaymentId'): Checked<string> {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    return accept(value.toLocaleString('en-US', { useGrouping: false }));
  }
  if (typeof value === 'string' && DIGITS_PATTERN.test(value)) return accept(value);
  if (value === undefined || value === null || value === '') {
    return refuse(KaspiStatusCode.INVALID_REQUEST, `${field} is required`);
  }
  return refuse(KaspiStatusCode.INVALID_REQUEST, `${field} must be an integer`);
}

/** The id a merchant gives its own device when registering it. */
export function parseDeviceId(value: unknown): Checked<string> {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 128) {
    return refuse(KaspiStatusCode.INVALID_REQUEST, 'DeviceId is required');
  }
  return accept(value);
}

/** A small positive integer, sent as a number or as digits. */
export function parseTradePointId(value: unknown): Checked<number> {
  const numeric = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
  if (typeof numeric !== 'number' || !Number.isSafeInteger(numeric) || numeric <= 0) {
    return refuse(KaspiStatusCode.INVALID_REQUEST, 'TradePointId must be a positive integer');
  }
  return accept(numeric);
}

export function dropUndefined(params: SandboxCallParams): SandboxCallParams {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
}

/** Runs field checks in order and stops at the first refusal, as Kaspi answers one error at a time. */
export function checkAll<T extends Record<string, Checked<unknown>>>(checks: T): Checked<CheckedFields<T>> {
  const values: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(checks)) {
    if (!check.ok) return check;
    values[key] = check.value;
  }
  return { ok: true, value: values as CheckedFields<T> };
}

/**
 * Every field the emulated calls take, under the store's name: where each dialect carries it, and
 * its check there. A field only r3 takes has no proxy entry.
 */
export const REQUEST_FIELDS = {
  organizationBin: { r3: ['OrganizationBin', parseBin], proxy: ['organizationBin', parseBin] },
  amount: { r3: ['Amount', parseAmountNumber], proxy: ['amount', parseAmountText] },
  phone: { r3: ['PhoneNumber', parsePhone], proxy: ['phone', parsePhone] },
  deviceToken: { r3: ['DeviceToken', parseDeviceToken], proxy: ['deviceToken', parseDeviceToken] },
  comment: { r3: ['Comment', parseComment], proxy: ['message', parseComment] },
  qrPaymentId: { r3: ['QrPaymentId', parseQrPaymentId], proxy: ['externalId', parseQrPaymentId] },
  externalId: { r3: ['ExternalId', parseExternalId] },
  tradePointId: { r3: ['TradePointId', parseTradePointId] },
  deviceId: { r3: ['DeviceId', parseDeviceId] },
} as const satisfies Record<string, { r3: RequestField; proxy?: RequestField }>;

type RequestFields = typeof REQUEST_FIELDS;

/** The fields a dialect carries. */
export type FieldIn<D extends RequestDialect> = {
  [K in keyof RequestFields]: RequestFields[K] extends Record<D, RequestField> ? K : never;
}[keyof RequestFields];

/** The checks of the named fields in a dialect. */
export type FieldChecks<D extends RequestDialect, K extends FieldIn<D>> = {
  [P in K]: ReturnType<Extract<RequestFields[P], Record<D, RequestField>>[D][1]>;
};

/** Where a dialect carries a field. */
export function fieldName<D extends RequestDialect>(dialect: D, field: FieldIn<D>): string {
  return (REQUEST_FIELDS[field] as Record<D, RequestField>)[dialect][0];
}

/** Checks the named fields of a request's body or query; `answerChecked` stops at the first refusal in this order. */
export function checkFields<D extends RequestDialect, K extends FieldIn<D>>(
  dialect: D,
  names: readonly K[],
  source: Record<string, unknown>,
): FieldChecks<D, K> {
  const checks = names.map((name) => {
    const [field, check] = (REQUEST_FIELDS[name] as Record<D, RequestField>)[dialect];
    return [name, check(source[field], field)];
  });
  return Object.fromEntries(checks) as FieldChecks<D, K>;
}

/**
 * The course of every emulated call: the request's fields are checked in order, the store acts on
 * what passed, and the answer carries what it made. The first refusal, the request's or the
 * store's, is the answer.
 */
export function answerChecked<T extends Record<string, Checked<unknown>>, R>(
  checks: T,
  act: (fields: CheckedFields<T>) => Checked<R>,
  data: (result: R) => Record<string, unknown> | unknown[],
): KaspiOutcome {
  const fields = checkAll(checks);
  if (!fields.ok) return fields.outcome;
  const result = act(fields.value);
  return result.ok ? succeeded(data(result.value)) : result.outcome;
}

/** Keeps a request value for the call log without letting garbage input bloat it. */
export function asCallParam(value: unknown): SandboxCallParamValue | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : safeJson(value);
  return text.length > MAX_LOGGED_TEXT ? `${text.slice(0, MAX_LOGGED_TEXT)}…` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
