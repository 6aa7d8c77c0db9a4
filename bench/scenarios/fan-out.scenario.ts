import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { seedWaitingPayments } from '../support/bench-database';
import { QUIET_RECONCILER_ENV, sealForGateway, startBenchGateway, type BenchGateway, type GatewayTeardown } from '../support/gateway.process';
import { gql, inParallel, PAYMENT_STATUS, PHONE, SERVICE_KEY, SHOP, STATUS_CHANGED } from '../support/graphql.client';
import { CpuMeter, formatCpu, type CpuShare } from '../support/load';
import { sleep } from '../support/node-process';
import { describeGateway } from './create-payment.scenario';
import {
  formatMb,
  formatMs,
  monotonicUs,
  percentile,
  type BenchContext,
  type MeasuredWindow,
  type Scenario,
  type TargetCheck,
} from './scenario';

const TARGET_P99_MS = 1_000;
const TARGET_MEMORY_MB = 400;
const CONNECT_CONCURRENCY = 200;
const TRIGGER_CONCURRENCY = 32;
const DELIVERY_TIMEOUT_MS = 60_000;

interface Subscriber {
  externalId: string;
  receivedAt: number | null;
  changedAt: number | null;
  events: number;
}

interface StatusChangedEvent {
  paymentStatusChanged: { status: string; changedAt: string; payment: { externalId: string } };
}

/**
 * Scenario 5: many open `paymentStatusChanged` subscriptions on one gateway, each on one payment
 * of a batch (several subscribers per payment); every payment of the batch then changes status
 * once, as a merchant's `paymentStatus` call finds it paid at Kaspi. Measured: how long after the
 * change was written each subscriber has it, and the gateway's memory.
 */
export const fanOutScenario: Scenario = {
  id: 'fanout',
  title: 'Fan-out: 10,000 paymentStatusChanged subscribers, one change per payment',
  profiled: true,

  async run(ctx, pass) {
    const { subscriptions, payments, subscriptionsPerConnection } = ctx.settings.fanout;
    await ctx.control.reset();
    await ctx.control.configure({ latencyMs: 0, callLogLimit: 1_000 });
    const gateway = await startBenchGateway(ctx.run, {
      name: pass.profileDir ? 'fanout_profiled' : 'fanout',
      env: { ...QUIET_RECONCILER_ENV, ...ctx.settings.gatewayEnv },
      cpuProfileDir: pass.profileDir,
    });

    const clients: Client[] = [];
    let teardown: GatewayTeardown;
    let measured: Measured;
    try {
      const externalIds = await seedBatch(ctx, gateway, payments);
      const subscribers: Subscriber[] = Array.from({ length: subscriptions }, (_, index) => ({
        externalId: externalIds[index % externalIds.length],
        receivedAt: null,
        changedAt: null,
        events: 0,
      }));

      ctx.log(`fanout: opening ${subscriptions.toLocaleString('en-US')} subscriptions over ${Math.ceil(subscriptions / subscriptionsPerConnection).toLocaleString('en-US')} WebSocket connections`);
      const before = gateway.process.memory();
      const openStarted = Date.now();
      const groups = chunk(subscribers, subscriptionsPerConnection);
      const subscribeErrors: unknown[] = [];
      await inParallel(groups, CONNECT_CONCURRENCY, async (group) => {
        const client = await connect(gateway.wsUrl);
        clients.push(client);
        for (const subscriber of group) {
          client.subscribe<StatusChangedEvent>(
            { query: STATUS_CHANGED, variables: { externalId: subscriber.externalId } },
            {
              next: (value) => {
                const now = Date.now();
                const change = value.data?.paymentStatusChanged;
                subscriber.events += 1;
                if (change && subscriber.receivedAt === null) {
                  subscriber.receivedAt = now;
                  subscriber.changedAt = Date.parse(change.changedAt);
                }
              },
              error: (error) => subscribeErrors.push(error),
              complete: () => undefined,
            },
          );
        }
      });
      const openSeconds = (Date.now() - openStarted) / 1000;
      // Subscriptions are set up asynchronously and graphql-ws acknowledges none of them: once the
      // gateway has gone quiet, every one of them is in place.
      await gateway.process.waitUntilIdle();
      const settled = gateway.process.memory();
      ctx.log(`fanout: all open after ${openSeconds.toFixed(1)} s; gateway RSS ${formatMb(settled.rssMb)}`);

      ctx.log(`fanout: ${payments.toLocaleString('en-US')} payments turn Processed at Kaspi; paymentStatus on each`);
      const meter = new CpuMeter(gateway.process, ctx.sandbox);
      const triggerStarted = Date.now();
      const startUs = monotonicUs();
      const askedAt = new Map<string, number>();
      await ctx.control.forceStatuses(externalIds, 'Processed');
      await inParallel(externalIds, TRIGGER_CONCURRENCY, async (externalId) => {
        askedAt.set(externalId, Date.now());
        await gql(gateway.graphqlUrl, PAYMENT_STATUS, { externalId });
      });
      const triggerSeconds = (Date.now() - triggerStarted) / 1000;
      const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
      while (subscribers.some((subscriber) => subscriber.receivedAt === null) && Date.now() < deadline) await sleep(50);
      const cpu = meter.stop();
      const window = { startUs, endUs: monotonicUs() };

      const delivered = subscribers.filter((subscriber) => subscriber.receivedAt !== null);
      const last = delivered.reduce((latest, subscriber) => Math.max(latest, subscriber.receivedAt!), triggerStarted);
      measured = {
        openSeconds,
        rssBeforeMb: before.rssMb,
        settledRssMb: settled.rssMb,
        triggerSeconds,
        missing: subscribers.length - delivered.length,
        duplicates: subscribers.reduce((sum, subscriber) => sum + Math.max(0, subscriber.events - 1), 0),
        subscribeErrors: subscribeErrors.length,
        afterChange: delivered.map((subscriber) => subscriber.receivedAt! - subscriber.changedAt!),
        afterAsking: delivered.map((subscriber) => subscriber.receivedAt! - askedAt.get(subscriber.externalId)!),
        wholeBatchSeconds: (last - triggerStarted) / 1000,
        cpu,
        window,
      };
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
      teardown = await gateway.stop();
    }

    const { afterChange, afterAsking } = measured;
    const p50 = percentile(afterChange, 50);
    const p99 = percentile(afterChange, 99);
    const max = percentile(afterChange, 100);
    const peak = teardown.memory.peakRssMb;
    const everyone = measured.missing === 0;
    const targets: TargetCheck[] = [
      {
        target: `all ${subscriptions.toLocaleString('en-US')} delivered, p99 ≤ ${formatMs(TARGET_P99_MS)}`,
        measured: `${(subscriptions - measured.missing).toLocaleString('en-US')} delivered, p99 ${formatMs(p99)}`,
        met: everyone && p99 <= TARGET_P99_MS,
        gap: !everyone
          ? `${measured.missing.toLocaleString('en-US')} never delivered within ${DELIVERY_TIMEOUT_MS / 1000} s`
          : p99 > TARGET_P99_MS
            ? `p99 ${formatMs(p99 - TARGET_P99_MS)} over (×${(p99 / TARGET_P99_MS).toFixed(1)})`
            : undefined,
      },
      {
        target: `gateway memory ≤ ${TARGET_MEMORY_MB} MB`,
        measured: `peak ${formatMb(peak)}`,
        met: peak <= TARGET_MEMORY_MB,
        gap: peak <= TARGET_MEMORY_MB ? undefined : `${formatMb(peak - TARGET_MEMORY_MB)} over`,
      },
    ];
    const connections = Math.ceil(subscriptions / subscriptionsPerConnection);
    return {
      id: 'fanout',
      title: this.title,
      rows: [
        {
          label: '5. Fan-out to subscribers',
          load: `${subscriptions.toLocaleString('en-US')} subscriptions on ${connections.toLocaleString('en-US')} connections; ${payments.toLocaleString('en-US')} payments × 1 change`,
          throughput: `${Math.round((subscriptions - measured.missing) / Math.max(measured.wholeBatchSeconds, 0.001)).toLocaleString('en-US')} events/s`,
          p50: formatMs(p50),
          p99: `${formatMs(p99)} (max ${formatMs(max)})`,
          peakRss: formatMb(peak),
        },
      ],
      targets,
      details: [
        `Gateway: ${describeGateway(gateway.settings)}. Each subscription filters on one payment's externalId; ${Math.round(subscriptions / payments)} subscribers per payment; graphql-ws clients in the bench process, ${subscriptionsPerConnection} subscription(s) per connection.`,
        `Latency is from the change being written (the event's \`changedAt\`, stamped in the transaction that commits it) to the subscriber receiving it; same clock.`,
        `Opening all subscriptions took ${measured.openSeconds.toFixed(1)} s. Gateway RSS before: ${formatMb(measured.rssBeforeMb)}; with all open and idle: ${formatMb(measured.settledRssMb)} (${(((measured.settledRssMb - measured.rssBeforeMb) * 1024) / connections).toFixed(0)} KB per connection${subscriptionsPerConnection > 1 ? `, ${(((measured.settledRssMb - measured.rssBeforeMb) * 1024) / subscriptions).toFixed(0)} KB per subscription` : ''}); peak during the deliveries: ${formatMb(peak)}.`,
        `The ${payments.toLocaleString('en-US')} \`paymentStatus\` calls that found the payments paid took ${measured.triggerSeconds.toFixed(1)} s (${TRIGGER_CONCURRENCY} in flight); from the first call to the last delivery: ${measured.wholeBatchSeconds.toFixed(1)} s. From each payment's own call to delivery: p50 ${formatMs(percentile(afterAsking, 50))}, p99 ${formatMs(percentile(afterAsking, 99))}.`,
        `Missing: ${measured.missing}; duplicate deliveries: ${measured.duplicates}; subscription errors: ${measured.subscribeErrors}.`,
        `CPU from the first call to the last delivery: ${formatCpu(measured.cpu)}.`,
      ],
      cpuProfile: teardown.cpuProfile,
      window: measured.window,
      figures: { p99Ms: p99, peakRssMb: peak },
    };
  },
};

interface Measured {
  openSeconds: number;
  rssBeforeMb: number;
  settledRssMb: number;
  triggerSeconds: number;
  missing: number;
  duplicates: number;
  subscribeErrors: number;
  afterChange: number[];
  afterAsking: number[];
  wholeBatchSeconds: number;
  cpu: CpuShare;
  window: MeasuredWindow;
}

/** The batch: payments Kaspi has accepted and not yet seen paid, written straight to both sides. */
async function seedBatch(ctx: BenchContext, gateway: BenchGateway, count: number): Promise<string[]> {
  const externalIds = await ctx.control.seedPayments({
    count,
    organizationBin: SHOP.organizationBin,
    deviceToken: SHOP.deviceToken,
    amount: 1500,
    phone: PHONE,
    ageMs: 60_000,
  });
  await seedWaitingPayments(gateway.database.sql, {
    externalIds,
    shopId: SHOP.shopId,
    organizationBin: SHOP.organizationBin,
    storedDeviceToken: sealForGateway(SHOP.deviceToken),
    amountTenge: 1500,
    phone: PHONE,
    callerId: 'bench-seed',
    ageMs: 60_000,
    // Nobody polls them during the scenario: the only status check is the merchant's.
    dueFromMs: 60 * 60_000,
    dueSpreadMs: 0,
  });
  return externalIds;
}

async function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${SERVICE_KEY}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: reject,
    });
    const off = client.on('connected', () => {
      off();
      resolve(client);
    });
  });
}


function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
