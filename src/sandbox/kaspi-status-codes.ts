/**
 * Kaspi r3 StatusCode values the sandbox answers with. Those marked "sandbox" are not documented
 * anywhere public; they were chosen to be non-zero and distinct so that a caller treats them as an
 * unknown rejection, which is what it must do with a real Kaspi code it does not know.
 */
export const KaspiStatusCode = {
  SUCCESS: 0,
  /** Sandbox: the request is missing X-Request-ID, is not JSON, or lacks a required field. */
  INVALID_REQUEST: -1,
  /** Sandbox: the phone number is not 7 followed by ten digits. */
  INVALID_PHONE_NUMBER: -1400,
  NO_CLIENT_CERTIFICATE: -10000,
  DEVICE_NOT_FOUND: -1501,
  DEVICE_ALREADY_BOUND: -1503,
  PURCHASE_NOT_FOUND: -1601,
  NO_TRADE_POINTS: -14000002,
  TRADE_POINT_NOT_FOUND: -99000002,
  TRADE_POINT_MISMATCH: -99000003,
  REFUND_EXCEEDS_AVAILABLE: -99000005,
  STATUS_NOT_REFUNDABLE: -99000011,
  INVALID_AMOUNT: 990000028,
  /** Sandbox: a test call on a QR code or link past its ExpireDate. */
  QR_EXPIRED: -1602,
  SERVICE_UNAVAILABLE: -999,
} as const;

export type KaspiStatusCodeValue = (typeof KaspiStatusCode)[keyof typeof KaspiStatusCode];

/** What one r3 operation produced, before it is wrapped in an envelope or a proxy answer. */
export interface KaspiOutcome {
  statusCode: number;
  message: string;
  data: Record<string, unknown> | unknown[] | null;
}

export function succeeded(data: Record<string, unknown> | unknown[]): KaspiOutcome {
  return { statusCode: KaspiStatusCode.SUCCESS, message: 'OK', data };
}

export function rejected(statusCode: number, message: string): KaspiOutcome {
  return { statusCode, message, data: null };
}

export const SERVICE_UNAVAILABLE_MESSAGE = 'Service temporarily unavailable';
