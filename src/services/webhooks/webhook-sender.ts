import http from 'node:http';
import https from 'node:https';
import type { AttemptResult } from '../../domain/webhook-delivery';
import { guardedLookup, parseWebhookUrl, UnsafeWebhookTargetError, type AddressLookup, type WebhookTargetPolicy } from '../../security/webhook-target';

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SenderSettings {
  timeoutMs: number;
  policy: WebhookTargetPolicy;
  /** Name resolution; the system's by default, replaced in tests to play a DNS that changed. */
  lookup?: AddressLookup;
}

const USER_AGENT = 'kaspi-payment-gateway-webhooks/1';

/**
 * Sends one attempt. The target is checked again now, on the addresses actually connected to;
 * redirects are never followed (a 3xx is simply the answer); the whole exchange, connection
 * included, must finish within the timeout. The answer's body is read and thrown away unseen: what
 * a receiver answers is never stored or logged.
 */
export function postWebhook(post: WebhookPost, settings: SenderSettings): Promise<AttemptResult> {
  const startedAt = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - startedAt) / 1e9;
  let url: URL;
  try {
    url = parseWebhookUrl(post.url, settings.policy);
  } catch (error) {
    return Promise.resolve({ kind: 'failed', error: (error as Error).message, seconds: seconds() });
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(url.protocol, settings.policy, settings.lookup) as never,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(post.body),
          'user-agent': USER_AGENT,
          ...post.headers,
        },
      },
      (response) => {
        const retryAfter = response.headers['retry-after'];
        response.resume();
        response.once('error', () => undefined);
        settle({ kind: 'answered', status: response.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, seconds: seconds() });
      },
    );
    // Also bounds the answer's body, which is drained unread: a receiver that never ends it is cut off.
    const timer = setTimeout(() => {
      settle({ kind: 'failed', error: `no answer within ${settings.timeoutMs} ms`, seconds: seconds() });
      request.destroy();
    }, settings.timeoutMs);
    request.once('close', () => clearTimeout(timer));
    request.once('error', (error: NodeJS.ErrnoException) => {
      settle({ kind: 'failed', error: describeError(error), seconds: seconds() });
    });
    request.end(post.body);
  });
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error instanceof UnsafeWebhookTargetError) return error.message;
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
      return 'the host does not resolve';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      return error.code ? `connection failed (${error.code})` : 'connection failed';
  }
}
