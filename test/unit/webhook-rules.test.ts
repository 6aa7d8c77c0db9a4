import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import {
  canDeliveryTransition,
  judgeAttempt,
  nextAttemptDelayMs,
  retryAfterMs,
  WebhookDeliveryStatus,
} from '../../src/domain/webhook-delivery';
import { checkWebhookUrl, isInternalAddress, parseWebhookUrl } from '../../src/security/webhook-target';
import { postWebhook } from '../../src/services/webhooks/webhook-sender';
import { generateWebhookSecret, signedHeaders, signingSecrets } from '../../src/services/webhooks/webhook-signing';

const answered = (status: number) => ({ kind: 'answered' as const, status, retryAfter: null, seconds: 0 });

describe('webhook delivery rules', () => {
  it('counts 2xx as success, 3xx as a failure, 410 as gone and 429/502/503/504 as a request to slow down', () => {
    expect([200, 204, 299].map((status) => judgeAttempt(answered(status)))).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect([301, 302, 307, 400, 404, 500].map((status) => judgeAttempt(answered(status)))).toEqual(Array(6).fill('failed'));
    expect(judgeAttempt(answered(410))).toBe('gone');
    expect([429, 502, 503, 504].map((status) => judgeAttempt(answered(status)))).toEqual(Array(4).fill('slow_down'));
    expect(judgeAttempt({ kind: 'failed', error: 'no answer within 15000 ms', seconds: 15 })).toBe('failed');
  });

  it('lets a delivery finish once and go back to PENDING only by a redelivery', () => {
    expect(canDeliveryTransition(WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.SUCCEEDED)).toBe(true);
    expect(canDeliveryTransition(WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED)).toBe(true);
    expect(canDeliveryTransition(WebhookDeliveryStatus.SUCCEEDED, WebhookDeliveryStatus.FAILED)).toBe(false);
    expect(canDeliveryTransition(WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.SUCCEEDED)).toBe(false);
    expect(canDeliveryTransition(WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.PENDING)).toBe(true);
  });

  it('follows the Standard Webhooks example schedule by default, about three days in ten attempts, with jitter on top', () => {
    const schedule = loadConfig({ NODE_ENV: 'test' }).webhooks.retryScheduleMs;
    expect(schedule).toHaveLength(10);
    expect(schedule.reduce((sum, delay) => sum + delay, 0) / 3_600_000).toBeCloseTo(75.6, 0);
    expect(nextAttemptDelayMs(schedule, 1, 0.2, () => 0)).toBe(5_000);
    expect(nextAttemptDelayMs(schedule, 1, 0.2, () => 0.999)).toBeLessThanOrEqual(6_000);
    expect(nextAttemptDelayMs(schedule, 10, 0.2)).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', WEBHOOK_RETRY_SCHEDULE_MS: '0, 100,200' }).webhooks.retryScheduleMs).toEqual([0, 100, 200]);
    expect(() => loadConfig({ NODE_ENV: 'test', WEBHOOK_RETRY_SCHEDULE_MS: '0,soon' })).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS/);
  });

  it('reads Retry-After as seconds or a date, never negative and never past the cap', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(retryAfterMs('120', 86_400_000, now)).toBe(120_000);
    expect(retryAfterMs('Sat, 28 Nov 2026 10:01:00 GMT', 86_400_000, now)).toBe(60_000);
    expect(retryAfterMs('Sat, 28 Nov 2026 09:00:00 GMT', 86_400_000, now)).toBe(0);
    expect(retryAfterMs('9999999', 3_600_000, now)).toBe(3_600_000);
    expect(retryAfterMs('soon', 3_600_000, now)).toBeNull();
    expect(retryAfterMs(null, 3_600_000, now)).toBeNull();
  });

  it('signs with the standardwebhooks library, with both secrets while a rotation overlaps', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = JSON.stringify({ type: 'payment.status_changed' });
    const endpoint = { secret: newSecret, previousSecret: oldSecret, previousSecretExpiresAt: new Date(Date.now() + 60_000) };
    const headers = signedHeaders(signingSecrets(endpoint), 'msg_1', body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'payment.status_changed' });
    expect(signingSecrets({ ...endpoint, previousSecretExpiresAt: new Date(Date.now() - 1) })).toEqual([newSecret]);
  });
});

describe('where webhooks may go', () => {
  it('knows loopback, private, link-local, metadata and other internal addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.100.100.200', '0.0.0.0', '::1', 'fd00:ec2::254', 'fe80::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '2.134.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isInternalAddress(address), address).toBe(false);
  });

  it('refuses in production http, credentials and internal addresses, and allows http to loopback only in development', async () => {
    for (const url of ['http://hooks.example.kz/x', 'https://127.0.0.1/x', 'https://10.0.0.5/x', 'https://[::1]/x', 'https://169.254.169.254/latest', 'https://user:pw@hooks.example.kz/']) {
      expect(() => parseWebhookUrl(url, 'production'), url).toThrow();
    }
    expect(() => parseWebhookUrl('http://127.0.0.1:9000/hook', 'development')).not.toThrow();
    expect(() => parseWebhookUrl('http://10.0.0.5/hook', 'development')).toThrow(/loopback/);
    const resolvesTo = (address: string) => async () => [{ address, family: 4 }];
    await expect(checkWebhookUrl('https://hooks.example.kz/x', 'production', resolvesTo('10.0.0.7'))).rejects.toThrow(/internal address/);
    await expect(checkWebhookUrl('https://hooks.example.kz/x', 'production', resolvesTo('93.184.216.34'))).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl('https://hooks.example.kz/x', 'production', async () => [])).rejects.toThrow(/does not resolve/);
  });

  it('checks the address again when it connects: a name whose DNS now points inside is refused, nothing is sent', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests += 1;
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const post = { url: `http://receiver.test:${port}/hook`, headers: {}, body: '{}' };
      const toLoopback = async () => [{ address: '127.0.0.1', family: 4 }];
      expect(await postWebhook(post, { timeoutMs: 2_000, policy: 'development', lookup: toLoopback })).toMatchObject({ kind: 'answered', status: 200 });
      const toPrivate = async () => [{ address: '10.20.30.40', family: 4 }];
      expect(await postWebhook({ ...post, url: `https://receiver.test:${port}/hook` }, { timeoutMs: 2_000, policy: 'production', lookup: toPrivate })).toMatchObject({
        kind: 'failed',
        error: expect.stringMatching(/internal address/),
      });
      expect(await postWebhook({ ...post, url: `https://receiver.test:${port}/hook` }, { timeoutMs: 2_000, policy: 'production', lookup: toLoopback })).toMatchObject({ kind: 'failed' });
      expect(requests).toBe(1);
    } finally {
      server.close();
    }
  });

  it('never follows a redirect and gives up at the timeout', async () => {
    let hang: http.ServerResponse | null = null;
    const server = http.createServer((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
      else hang = res;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await postWebhook({ url: `${base}/moved`, headers: {}, body: '{}' }, { timeoutMs: 2_000, policy: 'development' })).toMatchObject({ kind: 'answered', status: 302 });
      expect(await postWebhook({ url: `${base}/slow`, headers: {}, body: '{}' }, { timeoutMs: 200, policy: 'development' })).toMatchObject({
        kind: 'failed',
        error: 'no answer within 200 ms',
      });
    } finally {
      (hang as http.ServerResponse | null)?.end();
      server.closeAllConnections();
      server.close();
    }
  });
});
