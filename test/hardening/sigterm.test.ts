import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CREATE_CONFIG, CREATE_KASPI_PAYMENT } from '../support/documents';
import { ADMIN_KEY, recordExchange } from '../support/gateway';
import { gql, startGatewayProcess, type GatewayProcess } from '../support/gateway-process';

const SHOP = 51;
const BURST = 40;
const SPACING_MS = 15;
const KASPI_LATENCY_MS = 300;

interface Attempt {
  index: number;
  requestId: string;
  sentAt: number;
  answeredAt?: number;
  httpStatus?: number;
  payment?: { id: string; status: string };
  errorCode?: string;
  /** The transport error, for a request that got no answer. */
  failure?: string;
}

async function send(graphqlUrl: string, index: number): Promise<Attempt> {
  const attempt: Attempt = { index, requestId: `sigterm-burst-${String(index).padStart(3, '0')}`, sentAt: Date.now() };
  const variables = { input: { shopId: SHOP, amount: 100 + index, phone: '77015211545', idempotencyKey: attempt.requestId } };
  try {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, 'x-request-id': attempt.requestId },
      body: JSON.stringify({ query: CREATE_KASPI_PAYMENT, variables }),
    });
    const body = (await response.json()) as { data?: { createKaspiPayment: { payment: Attempt['payment'] } }; errors?: Array<{ extensions?: { code?: string } }> };
    recordExchange({ query: CREATE_KASPI_PAYMENT, variables }, body);
    attempt.answeredAt = Date.now();
    attempt.httpStatus = response.status;
    attempt.payment = body.data?.createKaspiPayment.payment ?? undefined;
    attempt.errorCode = body.errors?.[0]?.extensions?.code;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    attempt.failure = cause?.code ?? cause?.message ?? String(error);
  }
  return attempt;
}

describe('SIGTERM during a burst of payments', () => {
  let sandbox: Awaited<ReturnType<typeof startKaspiSandbox>>;
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let gateway: GatewayProcess | null = null;

  beforeAll(async () => {
    sandbox = await startKaspiSandbox({ autoAdvanceMs: 0, latencyMs: KASPI_LATENCY_MS });
    database = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-gw-sigterm-'));
    env = {
      // As deployed: production arms the same signal handling as a real instance.
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      KASPI_MODE: 'direct',
      KASPI_BASE_URL: sandbox.url,
      SHUTDOWN_TIMEOUT_MS: '10000',
      LOGS_MAX_LIMIT: '1000',
    };
  });

  afterAll(async () => {
    await gateway?.kill();
    await sandbox?.close();
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every request it accepted, exits 0, and every answered payment is there after the restart', async () => {
    gateway = await startGatewayProcess(env, 'sigterm');
    const config = await gql(gateway.graphqlUrl, CREATE_CONFIG, { input: { shopId: SHOP, organizationBin: '210440028324', deviceToken: 'd2e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a' } });
    expect(config.data.createConfig.errors).toEqual([]);

    const attempts: Array<Promise<Attempt>> = [];
    let sigtermAt = 0;
    let exited: Promise<number | null> = Promise.resolve(null);
    for (let index = 0; index < BURST; index += 1) {
      attempts.push(send(gateway.graphqlUrl, index));
      if (index === BURST / 2) {
        sigtermAt = Date.now();
        exited = gateway.kill('SIGTERM');
      }
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
    }
    const results = await Promise.all(attempts);
    expect(await exited).toBe(0);

    const answered = results.filter((attempt) => attempt.answeredAt !== undefined);
    const served = answered.filter((attempt) => attempt.httpStatus === 200);
    const turnedAway = answered.filter((attempt) => attempt.httpStatus !== 200);
    const refused = results.filter((attempt) => attempt.failure === 'ECONNREFUSED');
    const lost = results.filter((attempt) => attempt.failure !== undefined && attempt.failure !== 'ECONNREFUSED');
    // Some were still waiting for Kaspi when the signal came and were answered after it; later ones found the port closed.
    expect(served.some((attempt) => attempt.sentAt < sigtermAt && attempt.answeredAt! > sigtermAt + KASPI_LATENCY_MS / 2)).toBe(true);
    expect(refused.length).toBeGreaterThan(0);
    for (const attempt of served) expect(attempt.payment, `answer to ${attempt.requestId}`).toMatchObject({ status: 'WAITING' });
    // A request that reached a kept-alive connection during the drain gets a whole answer saying to send it again.
    for (const attempt of turnedAway) expect([attempt.httpStatus, attempt.errorCode]).toEqual([503, 'SERVICE_UNAVAILABLE']);

    gateway = await startGatewayProcess(env, 'sigterm-restarted');
    const stored = await gql(gateway.graphqlUrl, `{ payments(shopId: ${SHOP}, limit: 500) { id status } }`);
    const byId = new Map((stored.data.payments as Array<{ id: string; status: string }>).map((payment) => [payment.id, payment]));
    for (const attempt of served) expect(byId.get(attempt.payment!.id), `payment of ${attempt.requestId}`).toMatchObject({ status: 'WAITING' });
    const timeline = results.map((a) => `${a.index}@${a.sentAt - sigtermAt}ms:${a.failure ?? a.payment?.status ?? a.errorCode}`).join(' ');
    expect(byId.size, `payments stored vs answered; burst relative to SIGTERM: ${timeline}`).toBe(served.length);

    // A request cut off without an answer would have left a trace of having been taken: an audit row under its request id.
    const audit = await gql(gateway.graphqlUrl, `{ logs(shopId: ${SHOP}, limit: 1000) { requestId operationType } }`);
    const taken = new Set((audit.data.logs as Array<{ requestId: string }>).map((row) => row.requestId));
    expect([...turnedAway, ...refused, ...lost].filter((attempt) => taken.has(attempt.requestId))).toEqual([]);

    // An idle instance leaves without waiting out its drain timeout.
    const stoppingAt = Date.now();
    expect(await gateway.kill('SIGTERM')).toBe(0);
    expect(Date.now() - stoppingAt).toBeLessThan(Number(env.SHUTDOWN_TIMEOUT_MS));
    // Two gateway processes start and stop here: on a loaded machine that alone can take tens of seconds.
  }, 120_000);
});
