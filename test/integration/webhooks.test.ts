import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CREATE_CONFIG,
  CREATE_KASPI_PAYMENT,
  CREATE_PAYMENT,
  CREATE_WEBHOOK_ENDPOINT,
  DELETE_WEBHOOK_ENDPOINT,
  REDELIVER_WEBHOOK,
  REFUND,
  ROTATE_WEBHOOK_SECRET,
  UPDATE_WEBHOOK_ENDPOINT,
  WEBHOOK_DELIVERIES,
  WEBHOOK_ENDPOINTS,
} from '../support/documents';
import { eventually, startTestGateway, TEST_ENCRYPTION_KEYS, VIEWER_KEY, type TestGateway } from '../support/gateway';
import { WebhookEndpointLog } from '../../src/entities/webhook-endpoint-log.entity';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';

const BIN = '891027350515';
const METRICS_TOKEN = 'webhook-metrics-token-0123456789';
const DEVICE_TOKEN = '66cbf4e5-0193-45f3-8d97-362c98374466';
const PHONE = '+7 701 521 15 45';

describe('outgoing webhooks, to a receiver on loopback that verifies every request with the standardwebhooks library', () => {
  let gw: TestGateway;
  let receiver: WebhookReceiver;

  const createEndpoint = async (path: string, extra: Record<string, unknown> = {}) => {
    const answer = await gw.gql(CREATE_WEBHOOK_ENDPOINT, { input: { url: `${receiver.url}${path}`, events: ['PAYMENT_STATUS_CHANGED', 'REFUND_STATUS_CHANGED'], ...extra } });
    expect(answer.data.createWebhookEndpoint.errors).toEqual([]);
    const { endpoint, secret } = answer.data.createWebhookEndpoint;
    receiver.secrets.push(secret);
    return { endpoint, secret: secret as string };
  };
  const createPayment = async (shopId: number, amount: number) => {
    const answer = await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId, amount, phone: PHONE } });
    expect(answer.data.createKaspiPayment.errors).toEqual([]);
    return answer.data.createKaspiPayment.payment as { id: string; externalId: string; status: string };
  };
  const at = (path: string, paymentId?: string) => (received: ReceivedWebhook[]) =>
    received.filter((hook) => hook.path === path && (paymentId === undefined || hook.body.data.payment.id === paymentId));
  const inChangeOrder = (hooks: ReceivedWebhook[]) =>
    [...hooks].sort((a, b) => Date.parse(a.body.data.changedAt) - Date.parse(b.body.data.changedAt));
  const deliveriesOf = async (endpointId: string) => (await gw.gql(WEBHOOK_DELIVERIES, { endpointId })).data.webhookDeliveries as any[];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    gw = await startTestGateway({ WEBHOOK_RETRY_SCHEDULE_MS: '0,100,100', WEBHOOK_POLL_MS: '50', WEBHOOK_TIMEOUT_MS: '10000', WEBHOOK_DISABLE_AFTER_MS: '3000', WEBHOOK_CONCURRENCY_PER_ENDPOINT: '3', METRICS_TOKEN: METRICS_TOKEN, ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS });
    for (const shopId of [8, 9, 10, 11, 12, 13, 14, 15]) {
      const answer = await gw.gql(CREATE_CONFIG, { input: { shopId, organizationBin: BIN, deviceToken: DEVICE_TOKEN } });
      expect(answer.data.createConfig.errors).toEqual([]);
    }
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await receiver?.close();
  });

  it('announces a payment going WAITING then PROCESSED and its refund, signed so that the library accepts it, with no phone or secret in the body', async () => {
    const { endpoint, secret } = await createEndpoint('/shop-8', { shopIds: [8], description: 'Main backend' });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toMatchObject({ events: ['PAYMENT_STATUS_CHANGED', 'REFUND_STATUS_CHANGED'], shopIds: [8], isActive: true, disabledReason: null });
    const [stored] = await gw.gateway.orm.em.fork().getConnection().execute(`select secret from webhook_endpoint where id = ?`, [endpoint.id]);
    expect(stored.secret).toMatch(/^enc:v1:test:/);
    expect(stored.secret).not.toContain(secret.slice(6));

    const payment = await createPayment(8, 100);
    gw.gateway.sandbox!.simulateCustomer(payment.externalId, 'confirm');
    // Deliveries of one endpoint may arrive out of order: wait for both, then order them as a receiver does, by changedAt.
    const paymentHooks = (received: ReceivedWebhook[]) => at('/shop-8', payment.id)(received).filter((hook) => hook.body.type === 'payment.status_changed');
    const hooks = inChangeOrder(
      paymentHooks(await receiver.waitFor((received) => paymentHooks(received).length >= 2, 15_000, 'WAITING and PROCESSED')),
    );
    expect(hooks.map((hook) => `${hook.body.data.previousStatus}->${hook.body.data.status}`)).toEqual(['PENDING->WAITING', 'WAITING->PROCESSED']);
    for (const hook of hooks) {
      expect(hook.verifiedWith.some(Boolean)).toBe(true);
      expect(hook.signature).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      expect(Number(hook.timestamp)).toBeGreaterThan(Date.now() / 1000 - 60);
    }
    expect(new Set(hooks.map((hook) => hook.webhookId)).size).toBe(2);
    const processed = hooks[1].body;
    expect(processed).toMatchObject({
      type: 'payment.status_changed',
      data: {
        previousStatus: 'WAITING',
        status: 'PROCESSED',
        payment: { id: payment.id, externalId: payment.externalId, shopId: 8, organizationBin: BIN, provider: 'kaspi', method: 'KASPI_REMOTE', amount: 100, refundedAmount: 0, status: 'PROCESSED' },
      },
    });
    const text = JSON.stringify(hooks.map((hook) => hook.body));
    for (const secretText of ['7015211545', DEVICE_TOKEN, secret, 'whsec_']) expect(text).not.toContain(secretText);

    const refunded = await gw.gql(REFUND, { input: { shopId: 8, externalId: payment.externalId, amount: 40 } });
    expect(refunded.data.refund.errors).toEqual([]);
    const refundId = refunded.data.refund.refund.id;
    const refundHooksOf = (received: ReceivedWebhook[]) => at('/shop-8', payment.id)(received).filter((hook) => hook.body.type === 'refund.status_changed');
    const refundHooks = inChangeOrder(refundHooksOf(await receiver.waitFor((received) => refundHooksOf(received).length >= 2, 15_000, 'PENDING and SUCCEEDED')));
    expect(refundHooks.map((hook) => `${hook.body.data.previousStatus}->${hook.body.data.status}`)).toEqual(['null->PENDING', 'PENDING->SUCCEEDED']);
    expect(refundHooks.every((hook) => hook.verifiedWith.some(Boolean))).toBe(true);
    expect(refundHooks[1].body.data).toMatchObject({
      refund: { id: refundId, amount: 40, status: 'SUCCEEDED' },
      payment: { id: payment.id, method: 'KASPI_REMOTE', amount: 100, refundedAmount: 40, status: 'PROCESSED' },
    });
    expect(JSON.stringify(refundHooks.map((hook) => hook.body))).not.toContain('7015211545');

    const deliveries = (await deliveriesOf(endpoint.id)).filter((delivery) => delivery.eventType === 'PAYMENT_STATUS_CHANGED');
    expect(deliveries).toHaveLength(2);
    expect(deliveries.every((delivery) => delivery.status === 'SUCCEEDED' && delivery.attempts === 1 && delivery.lastResponseStatus === 200)).toBe(true);
    expect(deliveries.map((delivery) => delivery.eventId).sort()).toEqual(hooks.map((hook) => hook.webhookId).sort());
  });

  it('names the payment method in the body: a QR payment is announced as KASPI_QR', async () => {
    await createEndpoint('/qr', { shopIds: [15], events: ['PAYMENT_STATUS_CHANGED'] });
    const answer = await gw.gql(CREATE_PAYMENT, { input: { shopId: 15, amount: 30, method: 'KASPI_QR' } });
    expect(answer.data.createPayment.errors).toEqual([]);
    const payment = answer.data.createPayment.payment;
    const [hook] = at('/qr', payment.id)(await receiver.waitFor((received) => at('/qr', payment.id)(received).length > 0));
    expect(hook.body.data.payment).toMatchObject({ id: payment.id, method: 'KASPI_QR', amount: 30 });
  });

  it('honours the shop filter: an endpoint for shop 9 hears nothing of shop 10 and everything of shop 9', async () => {
    const { endpoint } = await createEndpoint('/shop-9', { shopIds: [9] });
    const { endpoint: everyShop } = await createEndpoint('/every-shop', { events: ['PAYMENT_STATUS_CHANGED'] });
    const other = await createPayment(10, 11);
    const own = await createPayment(9, 12);
    // The deliveries of one event are written together: once the unfiltered endpoint has both, the filtered one's are decided.
    await receiver.waitFor((received) => at('/every-shop', other.id)(received).length > 0 && at('/every-shop', own.id)(received).length > 0);
    await receiver.waitFor((received) => at('/shop-9', own.id)(received).length > 0);
    expect(receiver.received.filter((hook) => hook.path === '/shop-9').map((hook) => hook.body.data.payment.shopId)).toEqual([9]);
    expect((await deliveriesOf(endpoint.id)).map((delivery) => delivery.eventType)).toEqual(['PAYMENT_STATUS_CHANGED']);
    await gw.gql(DELETE_WEBHOOK_ENDPOINT, { id: everyShop.id });
  });

  it('retries a 500 with the same webhook-id and succeeds on the next attempt', async () => {
    receiver.answer = (path) => (path === '/flaky' && at('/flaky')(receiver.received).length === 1 ? { status: 500 } : { status: 200 });
    const { endpoint } = await createEndpoint('/flaky', { shopIds: [11] });
    const payment = await createPayment(11, 13);
    const hooks = await receiver.waitFor((received) => at('/flaky', payment.id)(received).length >= 2);
    const attempts = at('/flaky', payment.id)(hooks);
    expect(attempts).toHaveLength(2);
    expect(attempts[0].webhookId).toBe(attempts[1].webhookId);
    expect(attempts.every((hook) => hook.verifiedWith.some(Boolean))).toBe(true);
    const [delivery] = await eventually(async () => {
      const rows = await deliveriesOf(endpoint.id);
      return rows[0]?.status === 'SUCCEEDED' ? rows : undefined;
    });
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 2, lastResponseStatus: 200, lastError: null, eventId: attempts[0].webhookId });
  });

  it('gives up after the last attempt (FAILED), and redeliverWebhook sends it again with the same webhook-id', async () => {
    receiver.answer = (path) => (path === '/down' ? { status: 503 } : { status: 200 });
    const { endpoint } = await createEndpoint('/down', { shopIds: [12] });
    const payment = await createPayment(12, 14);
    const [failed] = await eventually(async () => {
      const rows = await deliveriesOf(endpoint.id);
      return rows[0]?.status === 'FAILED' ? rows : undefined;
    });
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 3, lastResponseStatus: 503, nextAttemptAt: null });
    const sent = at('/down', payment.id)(receiver.received);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((hook) => hook.webhookId))).toEqual(new Set([failed.eventId]));

    receiver.answer = () => ({ status: 200 });
    const redelivered = await gw.gql(REDELIVER_WEBHOOK, { id: failed.id });
    expect(redelivered.data.redeliverWebhook.errors).toEqual([]);
    expect(redelivered.data.redeliverWebhook.delivery).toMatchObject({ id: failed.id, status: 'PENDING' });
    const again = await receiver.waitFor((received) => at('/down', payment.id)(received).length === 4);
    expect(at('/down', payment.id)(again)[3]).toMatchObject({ webhookId: failed.eventId });
    expect(at('/down', payment.id)(again)[3].verifiedWith.some(Boolean)).toBe(true);
    const delivered = await eventually(async () => {
      const [row] = await deliveriesOf(endpoint.id);
      return row.status === 'SUCCEEDED' ? row : undefined;
    });
    expect(delivered).toMatchObject({ attempts: 4, lastResponseStatus: 200 });

    // A delivered one can be sent again as well, still under the same webhook-id.
    expect((await gw.gql(REDELIVER_WEBHOOK, { id: failed.id })).data.redeliverWebhook.errors).toEqual([]);
    const third = await receiver.waitFor((received) => at('/down', payment.id)(received).length === 5);
    expect(at('/down', payment.id)(third)[4].webhookId).toBe(failed.eventId);
    expect((await gw.gql(REDELIVER_WEBHOOK, { id: '00000000-0000-0000-0000-000000000000' })).data.redeliverWebhook.errors).toEqual([
      expect.objectContaining({ code: 'NOT_FOUND' }),
    ]);
  });

  it('turns an endpoint off when it answers 410 Gone, with a reason, and sends it nothing more', async () => {
    receiver.answer = (path) => (path === '/gone' ? { status: 410 } : { status: 200 });
    const { endpoint } = await createEndpoint('/gone', { shopIds: [9] });
    const first = await createPayment(9, 15);
    await receiver.waitFor((received) => at('/gone', first.id)(received).length === 1);
    const off = await eventually(async () => {
      const { data } = await gw.gql(WEBHOOK_ENDPOINTS);
      const row = data.webhookEndpoints.find((candidate: any) => candidate.id === endpoint.id);
      return row.isActive ? undefined : row;
    });
    expect(off.disabledReason).toMatch(/410/);
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: 'FAILED', attempts: 1, lastResponseStatus: 410 });

    // The next event of that shop reaches the other endpoint for shop 9, and not this one.
    const second = await createPayment(9, 16);
    await receiver.waitFor((received) => at('/shop-9', second.id)(received).length === 1);
    expect(at('/gone')(receiver.received)).toHaveLength(1);
    expect(await deliveriesOf(endpoint.id)).toHaveLength(1);

    const back = await gw.gql(UPDATE_WEBHOOK_ENDPOINT, { id: endpoint.id, input: { isActive: true } });
    expect(back.data.updateWebhookEndpoint.endpoint).toMatchObject({ isActive: true, disabledReason: null });

    const audit = await gw.gateway.orm.em.fork().find(WebhookEndpointLog, { endpointId: endpoint.id }, { orderBy: { id: 'asc' } });
    expect(audit.map((row) => [row.action, row.actor])).toEqual([
      ['CREATED', 'env-admin-1'],
      ['TURNED_OFF', 'webhooks'],
      ['UPDATED', 'env-admin-1'],
    ]);
    expect(audit[1].reason).toMatch(/410/);
    expect(JSON.stringify(audit)).not.toContain('whsec_');
  });

  it('keeps at most WEBHOOK_CONCURRENCY_PER_ENDPOINT attempts open to a slow receiver, and counts them in the metrics', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    receiver.answer = (path) => (path === '/slow' ? { status: 200, after: released } : { status: 200 });
    const { endpoint } = await createEndpoint('/slow', { shopIds: [14] });
    for (let i = 0; i < 6; i += 1) await createPayment(14, 20 + i);
    await receiver.waitFor((received) => at('/slow')(received).length >= 3);
    release();
    await receiver.waitFor((received) => at('/slow')(received).length === 6);
    expect(receiver.mostOpen.get('/slow')).toBe(3);
    await eventually(async () => ((await deliveriesOf(endpoint.id)).every((delivery) => delivery.status === 'SUCCEEDED') ? true : undefined));

    const metrics = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(Number(/kaspi_gateway_webhook_attempts_total\{outcome="succeeded"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(6);
    expect(metrics).toMatch(/kaspi_gateway_webhook_attempts_total\{outcome="gone"\} 1/);
    expect(metrics).toMatch(/kaspi_gateway_webhook_attempt_duration_seconds_count\{outcome="succeeded"\} \d+/);
    expect(metrics).toMatch(/kaspi_gateway_webhook_queue_depth \d+/);
    expect(metrics).toMatch(/kaspi_gateway_webhook_oldest_pending_age_seconds [\d.e+-]+/);
    expect(metrics).toMatch(/kaspi_gateway_webhook_deliveries\{status="FAILED"\} \d+/);
  });

  it('turns off an endpoint that has only failed for WEBHOOK_DISABLE_AFTER_MS (5 days by default), failing what it still had pending', async () => {
    receiver.answer = (path) => (path === '/dead' ? { status: 500 } : { status: 200 });
    const { endpoint } = await createEndpoint('/dead', { shopIds: [13] });
    const off = await eventually(
      async () => {
        const { data } = await gw.gql(WEBHOOK_ENDPOINTS);
        const row = data.webhookEndpoints.find((candidate: any) => candidate.id === endpoint.id);
        if (!row.isActive) return row;
        // Events keep coming while the receiver keeps failing.
        await createPayment(13, 18);
        await receiver.waitFor((received) => at('/dead')(received).length > 0);
        return undefined;
      },
      30_000,
      'the failing endpoint to be turned off',
    );
    expect(off.disabledReason).toMatch(/every attempt failed for .* days, since/);
    const deliveries = await deliveriesOf(endpoint.id);
    expect(deliveries.length).toBeGreaterThan(1);
    expect(deliveries.every((delivery) => delivery.status === 'FAILED')).toBe(true);
    expect(deliveries.every((delivery) => delivery.lastError)).toBe(true);
  });

  it('rotates a secret: the new one is shown once, and both sign until the overlap ends', async () => {
    const { endpoint, secret: oldSecret } = await createEndpoint('/rotating', { shopIds: [10] });
    const rotated = await gw.gql(ROTATE_WEBHOOK_SECRET, { id: endpoint.id });
    const newSecret = rotated.data.rotateWebhookSecret.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    receiver.secrets.push(newSecret);
    const payment = await createPayment(10, 17);
    const [hook] = at('/rotating', payment.id)(await receiver.waitFor((received) => at('/rotating', payment.id)(received).length === 1));
    expect(hook.signature.split(' ')).toHaveLength(2);
    const secrets = receiver.secrets;
    expect(hook.verifiedWith[secrets.indexOf(oldSecret)]).toBe(true);
    expect(hook.verifiedWith[secrets.indexOf(newSecret)]).toBe(true);
  });

  it('shows viewers the endpoints but never a secret, and lets only admins change them', async () => {
    const listed = await gw.gql(WEBHOOK_ENDPOINTS, undefined, VIEWER_KEY);
    expect(listed.errors).toBeUndefined();
    expect(listed.data.webhookEndpoints.length).toBeGreaterThan(0);
    expect(JSON.stringify(listed.data)).not.toContain('whsec_');
    const refused = await gw.gql(CREATE_WEBHOOK_ENDPOINT, { input: { url: `${receiver.url}/viewer`, events: ['PAYMENT_STATUS_CHANGED'] } }, VIEWER_KEY);
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const missing = await gw.gql(UPDATE_WEBHOOK_ENDPOINT, { id: '00000000-0000-0000-0000-000000000000', input: { description: 'x' } });
    expect(missing.data.updateWebhookEndpoint.errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    const invalid = await gw.gql(CREATE_WEBHOOK_ENDPOINT, { input: { url: 'ftp://example.com/hook', events: [] } });
    expect(invalid.data.createWebhookEndpoint.errors.map((error: any) => error.field.join('.'))).toEqual(['input.url', 'input.events']);
  });
});

describe('outgoing webhooks under WEBHOOK_CONCURRENCY, the bound on attempts open at once on an instance', () => {
  let gw: TestGateway;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    gw = await startTestGateway({ WEBHOOK_POLL_MS: '50', WEBHOOK_TIMEOUT_MS: '20000', WEBHOOK_CONCURRENCY: '2', WEBHOOK_CONCURRENCY_PER_ENDPOINT: '4', ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS });
    expect((await gw.gql(CREATE_CONFIG, { input: { shopId: 20, organizationBin: BIN, deviceToken: DEVICE_TOKEN } })).data.createConfig.errors).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await receiver?.close();
  });

  it('keeps at most two attempts open across three slow receivers, and delivers everything once they answer', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    receiver.answer = () => ({ status: 200, after: released });
    for (const path of ['/one', '/two', '/three']) {
      const answer = await gw.gql(CREATE_WEBHOOK_ENDPOINT, { input: { url: `${receiver.url}${path}`, events: ['PAYMENT_STATUS_CHANGED'], shopIds: [20] } });
      expect(answer.data.createWebhookEndpoint.errors).toEqual([]);
      receiver.secrets.push(answer.data.createWebhookEndpoint.secret);
    }
    for (let i = 0; i < 3; i += 1) {
      expect((await gw.gql(CREATE_KASPI_PAYMENT, { input: { shopId: 20, amount: 30 + i, phone: PHONE } })).data.createKaspiPayment.errors).toEqual([]);
    }
    // Nine deliveries are due; two are held open, and the dispatcher waits for one of them to end.
    await receiver.waitFor((received) => received.length >= 2, 15_000, 'the first two attempts');
    await eventually(async () => ((await gw.gql(`{ webhookDeliveries(status: PENDING) { id } }`)).data.webhookDeliveries.length === 9 ? true : undefined), 15_000, 'nine deliveries');
    expect(receiver.received).toHaveLength(2);
    release();
    await receiver.waitFor((received) => received.length === 9, 30_000, 'all nine deliveries');
    expect(receiver.mostOpenInAll).toBe(2);
    expect(new Set(receiver.received.map((hook) => hook.webhookId)).size).toBe(9);
    expect(receiver.received.every((hook) => hook.verifiedWith.some(Boolean))).toBe(true);
  });
});
