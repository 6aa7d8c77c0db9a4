import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '../../src/services/api-key.service';
import { runOverWebSocket } from '../hardening/support/ws';
import { ADMIN_KEY, collect, SERVICE_KEY, startTestGateway, VIEWER_KEY, type TestGateway } from '../support/gateway';

const OPERATIONS: Record<string, { query: string; variables?: Record<string, unknown> }> = {
  createKaspiPayment: {
    query: `mutation { createKaspiPayment(input: { shopId: 41, amount: 10, phone: "77015211545" }) { errors { code } } }`,
  },
  refund: { query: `mutation { refund(input: { shopId: 41, externalId: "1", amount: 1 }) { errors { code } } }` },
  paymentStatus: { query: `{ paymentStatus(externalId: "1") { id } }` },
  payment: { query: `{ payment(id: "00000000-0000-0000-0000-000000000000") { id } }` },
  configs: { query: `{ configs { shopId } }` },
  logs: { query: `{ logs(limit: 1) { id } }` },
  createConfig: { query: `mutation { createConfig(input: { shopId: 42, organizationBin: "210440028324" }) { errors { code } } }` },
  updateConfig: { query: `mutation { updateConfig(shopId: 41, input: { description: "x" }) { errors { code } } }` },
  deactivateConfig: { query: `mutation { deactivateConfig(shopId: 43) { errors { code } } }` },
};

const ALLOWED: Record<string, string[]> = {
  admin: Object.keys(OPERATIONS),
  service: ['createKaspiPayment', 'refund', 'paymentStatus', 'payment'],
  viewer: ['paymentStatus', 'payment', 'configs', 'logs'],
};

const KEYS: Record<string, string> = { admin: ADMIN_KEY, service: SERVICE_KEY, viewer: VIEWER_KEY };

describe('access by API key and role', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({ API_KEY_CACHE_MS: '300' });
    await gw.gql(
      `mutation { createConfig(input: { shopId: 41, organizationBin: "210440028324", deviceToken: "4f3c2b1a-0d9e-4c8b-a7f6-5e4d3c2b1a09" }) { errors { code } } }`,
    );
  });

  afterAll(async () => {
    await gw?.stop();
  });

  for (const role of ['admin', 'service', 'viewer']) {
    for (const name of Object.keys(OPERATIONS)) {
      const allowed = ALLOWED[role].includes(name);
      it(`${allowed ? 'lets' : 'forbids'} the ${role} role ${allowed ? 'use' : 'to use'} ${name}`, async () => {
        const result = await gw.gql(OPERATIONS[name].query, {}, KEYS[role]);
        if (allowed) {
          expect(result.errors).toBeUndefined();
        } else {
          expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        }
      });
    }
  }

  it('answers UNAUTHENTICATED without a key and with a wrong one', async () => {
    const none = await gw.gql(`{ configs { shopId } }`, {}, null);
    expect(none.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await gw.gql(`{ configs { shopId } }`, {}, 'not-a-real-key-0123456789');
    expect(wrong.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect([none.status, wrong.status]).toEqual([401, 401]);
  });

  it('answers an HTTP request without a valid key with 401 before reading its document', async () => {
    for (const key of [null, 'not-a-real-key-0123456789']) {
      for (const query of ['{ configs { shopId ', '{ paymentz { id } }', '{ configs { shopId } }']) {
        const result = await gw.gql(query, {}, key);
        expect(result.status).toBe(401);
        expect(result.data).toBeUndefined();
        expect(result.errors).toEqual([{ message: expect.stringMatching(/API key/), extensions: { code: 'UNAUTHENTICATED' } }]);
      }
    }
  });

  it('refuses a WebSocket without a valid key at connection_init, never acknowledging it', async () => {
    for (const payload of [undefined, {}, { authorization: 'Bearer not-a-real-key-0123456789' }]) {
      const closed = await new Promise<{ code: number; reason: string; acknowledged: boolean }>((resolve) => {
        const socket = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
        let acknowledged = false;
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', ...(payload ? { payload } : {}) })));
        socket.on('message', (data) => (acknowledged ||= JSON.parse(String(data)).type === 'connection_ack'));
        socket.on('close', (code, reason) => resolve({ code, reason: String(reason), acknowledged }));
      });
      expect(closed).toEqual({ code: 4401, reason: expect.stringMatching(/UNAUTHENTICATED/), acknowledged: false });
    }
  });

  it('re-checks the key of an open WebSocket: a revoked key loses its socket and every operation on it', async () => {
    const { key, id } = await gw.gateway.services.apiKeys.create('service', 'rotated-backend');
    const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('closed', (event) => {
      const { code, reason } = event as { code: number; reason: string };
      resolve({ code, reason });
    }));
    const before = await runOverWebSocket(client, `{ paymentStatus(externalId: "1") { id } }`);
    expect(before.errors).toEqual([]);

    // As `npm run apikey -- revoke` does it: from another process, whose revocation this one only learns from the database.
    expect(await new ApiKeyService(gw.gateway.orm.em, []).revoke(id)).toBe(1);
    expect(await closed).toEqual({ code: 4401, reason: expect.stringMatching(/revoked|UNAUTHENTICATED/) });
    await client.dispose();

    const again = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    const refused = await new Promise<unknown>((resolve) =>
      again.subscribe({ query: `mutation { createKaspiPayment(input: { shopId: 41, amount: 10, phone: "77015211545" }) { errors { code } } }` }, { next: resolve, error: resolve, complete: () => undefined }),
    );
    expect((refused as { code?: number }).code).toBe(4401);
    await again.dispose();
  });

  it('asks for the same key over graphql-ws, in connectionParams.authorization', async () => {

    for (const role of ['admin', 'service', 'viewer']) {
      // From a moment before the subscription, so that a payment made while it is being set up is replayed, not missed.
      const since = new Date().toISOString();
      const subscriber = collect<any>(gw.subscribe({ key: KEYS[role] }), `subscription ($since: DateTime) { paymentStatusChanged(shopId: 41, since: $since) { status } }`, { since });
      await gw.gql(`mutation { createKaspiPayment(input: { shopId: 41, amount: 12, phone: "77015211545" }) { errors { code } } }`);
      const events = await subscriber.waitFor((seen) => seen.length > 0);
      expect(events[0].paymentStatusChanged.status).toBe('WAITING');
      subscriber.unsubscribe();
    }
  });

  it('creates, uses and revokes a key stored in the database', async () => {
    const { key, id } = await gw.gateway.services.apiKeys.create('viewer', 'ops-dashboard');
    expect((await gw.gql(`{ configs { shopId } }`, {}, key)).errors).toBeUndefined();
    expect((await gw.gql(`mutation { deactivateConfig(shopId: 41) { errors { code } } }`, {}, key)).errors?.[0].extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect(await gw.gateway.services.apiKeys.revoke(id)).toBe(1);
    expect((await gw.gql(`{ configs { shopId } }`, {}, key)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});
