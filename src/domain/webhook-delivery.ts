/** The lifecycle of one delivery of one event to one endpoint. */
export enum WebhookDeliveryStatus {
  /** Not delivered yet; attempts go on. */
  PENDING = 'PENDING',
  /** The endpoint answered 2xx. */
  SUCCEEDED = 'SUCCEEDED',
  /** Every attempt failed, or the endpoint was turned off. */
  FAILED = 'FAILED',
}

/**
 * Every move a delivery may make. Retries stay PENDING (the next attempt is scheduled in the row);
 * only a redelivery, asked for by a human, takes a finished delivery back to PENDING.
 */
const TRANSITIONS: Record<WebhookDeliveryStatus, readonly WebhookDeliveryStatus[]> = {
  [WebhookDeliveryStatus.PENDING]: [WebhookDeliveryStatus.SUCCEEDED, WebhookDeliveryStatus.FAILED],
  [WebhookDeliveryStatus.SUCCEEDED]: [WebhookDeliveryStatus.PENDING],
  [WebhookDeliveryStatus.FAILED]: [WebhookDeliveryStatus.PENDING],
};

export function canDeliveryTransition(from: WebhookDeliveryStatus, to: WebhookDeliveryStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The event types an endpoint can ask for, and their names on the wire (the body's `type`). */
export enum WebhookEventType {
  PAYMENT_STATUS_CHANGED = 'PAYMENT_STATUS_CHANGED',
  REFUND_STATUS_CHANGED = 'REFUND_STATUS_CHANGED',
}

export const WIRE_EVENT_TYPES: Record<WebhookEventType, string> = {
  [WebhookEventType.PAYMENT_STATUS_CHANGED]: 'payment.status_changed',
  [WebhookEventType.REFUND_STATUS_CHANGED]: 'refund.status_changed',
};

/** What came of one HTTP attempt. */
export type AttemptResult =
  | { kind: 'answered'; status: number; retryAfter: string | null; seconds: number }
  | { kind: 'failed'; error: string; seconds: number };

/**
 * How an attempt counts. 2xx is success; 3xx is a failure and never followed (a redirect could
 * point anywhere); 410 Gone means the receiver wants no more; 429, 502, 503, 504 ask us to slow
 * down; anything else, a timeout or a broken connection is a failure to retry.
 */
export type AttemptVerdict = 'succeeded' | 'gone' | 'slow_down' | 'failed';

export function judgeAttempt(result: AttemptResult): AttemptVerdict {
  if (result.kind === 'failed') return 'failed';
  const { status } = result;
  if (status >= 200 && status < 300) return 'succeeded';
  if (status === 410) return 'gone';
  if (status === 429 || status === 502 || status === 503 || status === 504) return 'slow_down';
  return 'failed';
}

/** The label a delivery outcome carries in metrics. */
export type DeliveryOutcome = 'succeeded' | 'failed' | 'retrying' | 'gone' | 'slowed_down' | 'endpoint_disabled';

/**
 * The delay before the attempt after `attemptsMade` attempts, from the schedule (its first entry is
 * the first attempt, normally at once), with up to `jitter` of it added at random so that
 * receivers that come back at once are not hit by every gateway in step. Null: no attempt is left.
 *
 * @example nextAttemptDelayMs([0, 5_000, 300_000], 1, 0.2, () => 0.5) === 5_500
 */
export function nextAttemptDelayMs(scheduleMs: readonly number[], attemptsMade: number, jitter: number, random = Math.random): number | null {
  if (attemptsMade >= scheduleMs.length) return null;
  const base = scheduleMs[attemptsMade];
  return Math.round(base + base * jitter * random());
}

/**
 * A `Retry-After` header as milliseconds from `now`: seconds, or an HTTP date. Null when absent or
 * unreadable; never negative; capped so that a receiver cannot park a delivery for ever.
 */
export function retryAfterMs(header: string | null, capMs: number, now = Date.now()): number | null {
  if (!header) return null;
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), capMs);
}
