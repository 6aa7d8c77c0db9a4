import { createHmac, timingSafeEqual } from 'node:crypto';
import type {
  InboundNotification,
  MerchantAccount,
  NotificationReading,
  NotificationVerdict,
  ProviderNotifications,
} from '../provider';
import { CHECK_CODES, CLOUDPAYMENTS_STATUS_WORDS, describeProviderStatus } from './cloudpayments.mappers';
import { notificationSchema, type CloudPaymentsNotificationFields } from './cloudpayments.schemas';

/** The notification types the cabinet sends, as the last segment of the URL we give it. */
export const NOTIFICATION_TYPES = ['check', 'pay', 'fail', 'confirm', 'refund', 'cancel', 'recurrent'] as const;
export type CloudPaymentsNotificationType = (typeof NOTIFICATION_TYPES)[number];

/** The signature over the raw body (`Content-HMAC`), or over the URL-decoded body (`X-Content-HMAC`). */
export function signNotification(body: string | Buffer, apiSecret: string): string {
  return createHmac('sha256', apiSecret).update(body).digest('base64');
}

/**
 * CloudPayments' notifications: form-urlencoded by default, JSON when the cabinet says so, signed
 * with the site's API secret. `check` is answered with CloudPayments' own codes; every other type
 * with `{"code":0}`, which stops CloudPayments from sending it again.
 */
export const cloudPaymentsNotifications: ProviderNotifications = {
  read(notification) {
    const type = notification.type as CloudPaymentsNotificationType;
    if (!(NOTIFICATION_TYPES as readonly string[]).includes(type)) return null;
    const fields = parseBody(notification);
    if (!fields) return null;
    const parsed = notificationSchema.safeParse(fields);
    if (!parsed.success) return null;
    return { reference: parsed.data.InvoiceId, event: eventOf(type, parsed.data) };
  },

  isSigned(notification) {
    return Boolean(notification.headers['content-hmac'] || notification.headers['x-content-hmac']);
  },

  verify(notification, account: MerchantAccount) {
    const raw = notification.headers['content-hmac'];
    if (raw) return sameSignature(raw, signNotification(notification.rawBody, account.secret));
    const decoded = notification.headers['x-content-hmac'];
    if (decoded) {
      const body = safeDecode(notification.rawBody.toString('utf8'));
      return body !== null && sameSignature(decoded, signNotification(body, account.secret));
    }
    return false;
  },

  answer(type, verdict: NotificationVerdict) {
    if (type !== 'check') return { httpStatus: 200, body: { code: 0 } };
    const code = {
      accepted: CHECK_CODES.ACCEPT,
      'unknown-payment': CHECK_CODES.BAD_INVOICE,
      'wrong-amount': CHECK_CODES.WRONG_AMOUNT,
      'not-payable': CHECK_CODES.CANNOT_ACCEPT,
    }[verdict];
    return { httpStatus: 200, body: { code } };
  },
};

function eventOf(type: CloudPaymentsNotificationType, fields: CloudPaymentsNotificationFields): NotificationReading['event'] {
  const state = (word: string) => ({
    providerStatus: describeProviderStatus(word, fields.ReasonCode, fields.Reason),
    ...CLOUDPAYMENTS_STATUS_WORDS.read(word),
    providerTransactionId: fields.TransactionId,
  });
  switch (type) {
    case 'check':
      return { kind: 'check', amount: fields.Amount };
    case 'pay':
      return { kind: 'payment', amount: fields.Amount, state: state(fields.Status || 'Completed') };
    case 'confirm':
      return { kind: 'payment', amount: fields.Amount, state: state('Completed') };
    case 'fail':
      return { kind: 'payment', amount: fields.Amount, state: state('Declined') };
    case 'cancel':
      return { kind: 'payment', amount: fields.Amount, state: state('Cancelled') };
    case 'refund':
      return { kind: 'refund', amount: fields.Amount, returnOperationId: fields.TransactionId };
    case 'recurrent':
      return { kind: 'ignored' };
  }
}

function parseBody(notification: InboundNotification): Record<string, unknown> | null {
  const text = notification.rawBody.toString('utf8');
  const contentType = notification.headers['content-type'] ?? '';
  if (/json/i.test(contentType) || text.trimStart().startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given.trim(), 'base64');
  const b = Buffer.from(expected, 'base64');
  // Both are SHA-256 digests when well formed; a length mismatch says nothing about the secret.
  return a.length === b.length && timingSafeEqual(a, b);
}
