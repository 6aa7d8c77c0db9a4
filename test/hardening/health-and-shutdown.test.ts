import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../src/db/embedded-database';
import type { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ADMIN_KEY, eventually, recordExchange, startTestGateway, type TestGateway } from '../support/gateway';
import { routeShop, sandboxOf } from '../support/sandbox';

/** A TCP relay to the database that can stop passing bytes on, as a database that hangs would. */
class DatabaseRelay {
  private readonly server: net.Server;
  private held = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly target: URL) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      client.on('data', (chunk) => (this.held ? this.waiting.push(() => upstream.write(chunk)) : upstream.write(chunk)));
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const url = new URL(this.target);
    url.port = String((this.server.address() as net.AddressInfo).port);
    return url.toString();
  }

  hang(): void {
    this.held = true;
  }

  resume(): void {
    this.held = false;
    for (const send of this.waiting.splice(0)) send();
  }

  close(): Promise<void> {
    this.server.close();
    return Promise.resolve();
  }
}

describe('health probes and stopping', () => {
  let relay: DatabaseRelay;
  let embedded: EmbeddedDatabase | null = null;
  let database: TestDatabase;
  let gw: TestGateway;
  let sandbox: SandboxControlClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    if (!database.url) embedded = await startEmbeddedDatabase({ dataDir: null });
    relay = new DatabaseRelay(new URL(database.url ?? embedded!.url));
    gw = await startTestGateway({
      DATABASE_URL: await relay.listen(),
      DATABASE_POOL_MAX: database.url ? '4' : '1',
      READINESS_TIMEOUT_MS: '300',
      RECONCILE_TICK_MS: '60000',
    });
    sandbox = sandboxOf(gw);
  });

  afterAll(async () => {
    relay?.resume();
    await gw?.stop();
    await relay?.close();
    await embedded?.stop();
    await database?.drop();
  });

  it('says the process lives and is ready while the database answers and its providers are configured', async () => {
    expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', providers: ['kaspi', 'cloudpayments'] });
  });

  it('does not serve /metrics at all (404) when no METRICS_TOKEN is configured', async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
  });

  it('stops being ready within its timeout while the database does not answer, stays alive, and is ready again after', async () => {
    relay.hang();
    const started = Date.now();
    const notReady = await fetch(`${gw.url}/readyz`);
    expect(notReady.status).toBe(503);
    // The database hangs for ever: an answer at all shows the 300 ms bound cut the check short (loose, for a loaded machine).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);

    relay.resume();
    await eventually(async () => ((await fetch(`${gw.url}/readyz`)).status === 200 ? true : undefined), 5_000, 'readiness to return');
  });

  it('on stop answers the request in flight with what Kaspi said, closes subscriptions with 1001 and then refuses connections', async () => {
    await routeShop(gw, { shopId: 81, organizationBin: '210440028324', deviceToken: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e' });
    const subscriber = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => subscriber.once('close', resolve));
    await new Promise<void>((resolve) => {
      subscriber.on('open', () => subscriber.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ADMIN_KEY}` } })));
      subscriber.on('message', (data) => {
        if (JSON.parse(String(data)).type !== 'connection_ack') return;
        subscriber.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { paymentStatusChanged { status } }' } }));
        resolve();
      });
    });

    await sandbox.configure({ latencyMs: 1_000 });
    const query = 'mutation { createKaspiPayment(input: { shopId: 81, amount: 100, phone: "77015211545" }) { payment { id status } errors { code } } }';
    const inFlight = fetch(gw.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query }),
    });
    // Recorded as PENDING and sent to Kaspi well within this; Kaspi answers a second later.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const stopped = gw.gateway.stop();
    const answer = await inFlight;
    const body = (await answer.json()) as { data: { createKaspiPayment: { payment: { status: string }; errors: unknown[] } } };
    recordExchange({ query }, body);
    expect(answer.status).toBe(200);
    expect(body.data.createKaspiPayment).toMatchObject({ payment: { status: 'WAITING' }, errors: [] });
    expect(await closed).toBe(1001);
    await stopped;
    await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();
  });
});
