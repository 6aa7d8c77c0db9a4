import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, recordExchange, SERVICE_KEY, startTestGateway, VIEWER_KEY, type TestGateway } from '../support/gateway';
import { redisAnswers } from '../support/database';
import { runOverWebSocket } from './support/ws';

const REDIS_URL = 'redis://127.0.0.1:6379';
// A window of a few seconds: a loaded machine can take over a second between two calls of one test.
const WINDOW_SECONDS = 5;
const BUDGETS = { RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS), RATE_LIMIT_PAYMENTS: '3', RATE_LIMIT_ADMIN: '2', RATE_LIMIT_READS: '4' };

/** A payment for a shop with no configuration: refused as data, but it still counts against the budget. */
const create = (alias: string) => `${alias}: createKaspiPayment(input: { shopId: 999, amount: 1, phone: "77015211545" }) { errors { code } }`;
const CREATES = (count: number) => `mutation { ${Array.from({ length: count }, (_, index) => create(`c${index}`)).join(' ')} }`;
const READ = '{ paymentStatus(externalId: "12800000001") { id } }';

interface RawAnswer {
  status: number;
  retryAfterHeader: string | null;
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function post(gw: TestGateway, query: string, key = SERVICE_KEY): Promise<RawAnswer> {
  const response = await fetch(gw.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as RawAnswer['body'];
  recordExchange({ query }, body);
  return { status: response.status, retryAfterHeader: response.headers.get('retry-after'), body };
}

function expectRateLimited(answer: RawAnswer, operationClass: string): number {
  expect(answer.status).toBe(429);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toHaveLength(1);
  const extensions = answer.body.errors![0].extensions!;
  expect(extensions).toMatchObject({ code: 'RATE_LIMITED', operationClass });
  expect(extensions.retryAfter).toBeGreaterThanOrEqual(1);
  expect(extensions.retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(answer.retryAfterHeader).toBe(String(extensions.retryAfter));
  return extensions.retryAfter as number;
}

const nextWindow = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 150));

describe('rate limits per API key and operation class, in memory', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway(BUDGETS);
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('counts aliased calls one by one, refuses the whole operation with RATE_LIMITED, then lets the caller through after the window', async () => {
    const withinBudget = await post(gw, CREATES(3));
    expect(withinBudget.status).toBe(200);
    expect(Object.values(withinBudget.body.data)).toHaveLength(3);

    const retryAfter = expectRateLimited(await post(gw, CREATES(1)), 'payments');
    // Another class and another key have budgets of their own.
    expect((await post(gw, READ)).status).toBe(200);
    expect((await post(gw, CREATES(1), ADMIN_KEY)).status).toBe(200);

    await nextWindow(retryAfter);
    const again = await post(gw, CREATES(1));
    expect(again.status).toBe(200);
    expect(again.body.data.c0.errors).toEqual([{ code: 'CONFIG_NOT_FOUND' }]);
  });

  it('refuses an operation whose aliases alone exceed the budget, without running any of them', async () => {
    const before = await gw.gql('{ logs(limit: 500) { id } }');
    expectRateLimited(await post(gw, CREATES(4), VIEWER_KEY), 'payments');
    const after = await gw.gql('{ logs(limit: 500) { id } }');
    expect(after.data.logs).toHaveLength(before.data.logs.length);
  });

  it('limits admin mutations on their own budget', async () => {
    const deactivate = (alias: string) => `${alias}: deactivateConfig(shopId: 998) { errors { code } }`;
    expect((await post(gw, `mutation { ${deactivate('a')} ${deactivate('b')} }`, ADMIN_KEY)).status).toBe(200);
    expectRateLimited(await post(gw, `mutation { ${deactivate('c')} }`, ADMIN_KEY), 'admin');
  });

  it('applies the read budget to subscriptions and queries over graphql-ws, then lets them through after the window', async () => {
    const client = gw.subscribe({ key: VIEWER_KEY });
    await nextWindow(0);
    for (let index = 0; index < 4; index += 1) expect((await runOverWebSocket(client, READ)).errors).toEqual([]);
    const refused = await runOverWebSocket(client, 'subscription { paymentStatusChanged { status } }');
    expect(refused.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number), operationClass: 'reads' } }),
    ]);
    await nextWindow(refused.errors[0].extensions?.retryAfter as number);
    expect((await runOverWebSocket(client, READ)).errors).toEqual([]);
  });
});

describe('rate limits shared through Redis (REDIS_URL; skipped where no Redis answers)', () => {
  const prefix = `kaspi-gw-test:${randomBytes(6).toString('hex')}`;
  let first: TestGateway;
  let second: TestGateway;
  let redisRuns = false;

  beforeAll(async () => {
    redisRuns = await redisAnswers();
    if (!redisRuns) return;
    const env = { ...BUDGETS, REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix };
    [first, second] = await Promise.all([startTestGateway(env), startTestGateway(env)]);
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    if (!redisRuns) return;
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('draws one budget across two instances, answers RATE_LIMITED on the second, and lets the caller through after the window', async (ctx) => {
    if (!redisRuns) ctx.skip();
    await nextWindow(0);
    expect((await post(first, CREATES(2))).status).toBe(200);
    expect((await post(second, CREATES(1))).status).toBe(200);
    const retryAfter = expectRateLimited(await post(second, CREATES(1)), 'payments');
    expectRateLimited(await post(first, CREATES(1)), 'payments');

    const redis = new Redis(REDIS_URL);
    expect(await redis.keys(`${prefix}:payments*`)).not.toHaveLength(0);
    await redis.quit();

    await nextWindow(retryAfter);
    expect((await post(first, CREATES(1))).status).toBe(200);
    expect((await post(second, CREATES(1))).status).toBe(200);
  });
});
