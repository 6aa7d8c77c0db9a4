import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookEndpoint } from '../../entities/webhook-endpoint.entity';

const SECRET_BYTES = 32;

/** A new signing secret: `whsec_` and the base64 of 32 random bytes, as Standard Webhooks has it. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** A webhook-id: unique per event and endpoint, the same on every attempt. */
export function newWebhookId(): string {
  return `msg_${randomUUID().replace(/-/g, '')}`;
}

/** The secrets an endpoint signs with now: its own, and while a rotation's overlap lasts, the one before. */
export function signingSecrets(endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now = new Date()): string[] {
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) secrets.push(endpoint.previousSecret);
  return secrets;
}

/**
 * The headers of one attempt, signed with the standardwebhooks library: `v1,<HMAC-SHA256>` over
 * `id.timestamp.body` for each secret, space-separated, so that a receiver holding either secret
 * accepts it during a rotation.
 */
export function signedHeaders(secrets: readonly string[], webhookId: string, body: string, at = new Date()): Record<string, string> {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(webhookId, at, body)).join(' '),
  };
}
