import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { ADMIN_KEY, SERVICE_KEY, startTestGateway, VIEWER_KEY, type TestGateway } from '../support/gateway';
import { connectionCloseCode, runOverWebSocket, upgradeStatus } from './support/ws';

const LIMITS = {
  QUERY_MAX_DEPTH: '5',
  QUERY_MAX_ALIASES: '3',
  QUERY_MAX_TOKENS: '200',
  QUERY_MAX_DIRECTIVES: '3',
  QUERY_MAX_COST: '50',
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
  WS_MAX_CONNECTIONS_PER_KEY: '2',
  CORS_ORIGINS: 'https://shop.example',
};

const LOG_FIELDS = 'id shopId organizationBin operationType provider externalId amount status errorCode errorMessage paymentId refundId actor requestId createdAt';
const PAYMENT_FIELDS = 'id externalId shopId organizationBin provider amount refundedAmount refundableAmount status providerStatus phoneMasked message createdAt updatedAt';

/** One abusive query per limit, each within every other limit, and the message it must get. */
const ABUSIVE: Array<{ limit: string; query: string; message: RegExp }> = [
  {
    limit: 'depth',
    query: '{ __type(name: "Query") { fields { type { ofType { ofType { name } } } } } }',
    message: /nested too deeply/,
  },
  { limit: 'aliases', query: '{ a: configs { id } b: configs { id } c: configs { id } d: configs { id } }', message: /too many aliases/ },
  {
    limit: 'directives',
    query: '{ configs { id @include(if: true) shopId @include(if: true) isActive @skip(if: false) provider @skip(if: false) } }',
    message: /too many directives/,
  },
  {
    limit: 'cost',
    query: `{ payments { ${PAYMENT_FIELDS} } configs { id shopId organizationBin deviceToken isActive provider description } logs { ${LOG_FIELDS} } }`,
    message: /too expensive/,
  },
  { limit: 'tokens', query: `{ configs { ${'id '.repeat(250)} } }`, message: /too long/ },
];

const LEGITIMATE = `{ configs { id shopId isActive } payments(limit: 5) { id status } }`;

describe('query limits, over HTTP and over graphql-ws alike', () => {
  let gw: TestGateway;
  let ws: Client;

  beforeAll(async () => {
    gw = await startTestGateway(LIMITS);
    ws = gw.subscribe();
  });

  afterAll(async () => {
    await gw?.stop();
  });

  it('lets an ordinary query through both transports under tight limits', async () => {
    const overHttp = await gw.gql(LEGITIMATE);
    expect(overHttp.errors).toBeUndefined();
    const overWs = await runOverWebSocket(ws, LEGITIMATE);
    expect(overWs.errors).toEqual([]);
    expect(overWs.data).toEqual(overHttp.data);
  });

  for (const { limit, query, message } of ABUSIVE) {
    it(`refuses a query over the ${limit} limit over HTTP with a 400 that does not disclose the limit`, async () => {
      const result = await gw.gql(query);
      expect(result.status).toBe(400);
      expect(result.data).toBeUndefined();
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0].message).toMatch(message);
      expect(result.errors![0].message).not.toMatch(/\d/);
      expect(result.errors![0].extensions?.code).toMatch(/^GRAPHQL_(VALIDATION|PARSE)_FAILED$/);
    });

    it(`refuses a query over the ${limit} limit over graphql-ws with the same error`, async () => {
      const result = await runOverWebSocket(ws, query);
      expect(result.data).toBeUndefined();
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0].message).toMatch(message);
      expect(result.errors[0].message).not.toMatch(/\d/);
      expect(result.errors[0].extensions?.code).toMatch(/^GRAPHQL_(VALIDATION|PARSE)_FAILED$/);
    });
  }

  it('refuses a WebSocket upgrade from an origin outside CORS_ORIGINS, and lets listed and non-browser clients in', async () => {
    expect(await upgradeStatus(gw.wsUrl, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(gw.wsUrl, 'https://shop.example')).toBe(101);
    expect(await upgradeStatus(gw.wsUrl)).toBe(101);
  });

  it('closes a third connection of one API key with 1008 while other keys still connect', async () => {
    const first = await connectionCloseCode(gw.wsUrl, SERVICE_KEY);
    const second = await connectionCloseCode(gw.wsUrl, SERVICE_KEY);
    const third = await connectionCloseCode(gw.wsUrl, SERVICE_KEY);
    const otherKey = await connectionCloseCode(gw.wsUrl, VIEWER_KEY);
    expect([first.closeCode, second.closeCode, third.closeCode, otherKey.closeCode]).toEqual([null, null, 1008, null]);

    first.socket.close();
    await new Promise((resolve) => first.socket.once('close', resolve));
    const afterOneLeft = await connectionCloseCode(gw.wsUrl, SERVICE_KEY);
    expect(afterOneLeft.closeCode).toBeNull();
    for (const { socket } of [second, afterOneLeft, otherKey]) socket.close();
  });

  it('refuses a third open subscription on one connection until one of the first two completes', async () => {
    const client = gw.subscribe({ key: ADMIN_KEY });
    const subscription = 'subscription { paymentStatusChanged { status } }';
    const errors: unknown[] = [];
    const open = () => client.subscribe({ query: subscription }, { next: () => undefined, error: (error) => errors.push(error), complete: () => undefined });
    const first = open();
    open();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors).toEqual([]);

    const refused = await runOverWebSocket(client, subscription);
    expect(refused.errors).toEqual([expect.objectContaining({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })]);

    first();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const query = await runOverWebSocket(client, '{ configs { id } }');
    expect(query.errors).toEqual([]);
  });

  it('refuses a body over 64 kB and a cross-site simple request (CSRF prevention)', async () => {
    const tooLarge = await fetch(gw.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query: '{ configs { id } }', variables: { padding: 'x'.repeat(70 * 1024) } }),
    });
    expect(tooLarge.status).toBe(413);

    const simple = await fetch(`${gw.graphqlUrl}?query=${encodeURIComponent('{ configs { id } }')}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF/);
  });

  it('keeps field suggestions outside production', async () => {
    const result = await gw.gql('{ config { id } }');
    expect(result.errors![0].message).toMatch(/Did you mean "configs"\?/);
  });
});

describe('in production', () => {
  let gw: TestGateway;
  let sandbox: Awaited<ReturnType<typeof startKaspiSandbox>>;

  beforeAll(async () => {
    sandbox = await startKaspiSandbox({ autoAdvanceMs: 0, proxyAccessToken: 'production-proxy-token-0123' });
    gw = await startTestGateway({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PRODUCTION_API_URL: `${sandbox.url}/proxy`,
      KASPI_ACCESS_TOKEN: 'production-proxy-token-0123',
      ENCRYPTION_KEYS: 'k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
    });
  });

  afterAll(async () => {
    await gw?.stop();
    await sandbox?.close();
  });

  const introspection = '{ __schema { queryType { name } } }';

  it('refuses introspection over HTTP and over graphql-ws', async () => {
    const overHttp = await gw.gql(introspection);
    expect(overHttp.status).toBe(400);
    expect(overHttp.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const overWs = await runOverWebSocket(gw.subscribe(), introspection);
    expect(overWs.errors[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(overWs.data).toBeUndefined();
  });

  it('gives no field suggestions over HTTP or graphql-ws', async () => {
    const overHttp = await gw.gql('{ config { id } }');
    expect(overHttp.errors![0].message).toBe('Cannot query field "config" on type "Query".');
    const overWs = await runOverWebSocket(gw.subscribe(), '{ config { id } }');
    expect(overWs.errors[0].message).toBe('Cannot query field "config" on type "Query".');
  });

  it('refuses any browser origin over WebSocket when CORS_ORIGINS is not set', async () => {
    expect(await upgradeStatus(gw.wsUrl, 'https://shop.example')).toBe(403);
    expect(await upgradeStatus(gw.wsUrl)).toBe(101);
  });
});
