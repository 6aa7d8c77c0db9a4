import { QUIET_RECONCILER_ENV, startBenchGateway } from '../support/gateway.process';
import { createPayment, gql, PAYMENT_STATUS } from '../support/graphql.client';
import { sleep } from '../support/node-process';
import { PostgresWireCounter, wireDelta, type WireCounts } from '../support/wire-counter';
import { TYPENAME_QUERY } from './typename.scenario';
import { formatMs, percentile, type Scenario } from './scenario';

const REQUESTS = 50;
const IDLE_MS = 2_000;
/** After the last request: the outbox reader's work for the last create belongs to it. */
const SETTLE_MS = 500;

interface PerRequest {
  label: string;
  counts: WireCounts;
  /** Statements of the kinds the idle gateway also runs (the outbox reader's), above its idle rate. */
  readerExtra: number;
  requests: number;
  wallMs: number[];
}

const TRANSACTION_CONTROL = /^(begin|start transaction|commit|rollback)\b/i;

/**
 * How many times a request waits on PostgreSQL: the gateway reaches the database through a relay
 * that counts statements, round trips (a simple query or a Sync) and transactions, for requests
 * sent one at a time. Counts do not depend on how busy the machine is; the statements the gateway
 * makes while idle (the outbox reader's polls) are measured first and taken away.
 */
export const statementsScenario: Scenario = {
  id: 'statements',
  title: 'Database work per request: statements, round trips, transactions',
  profiled: false,

  async run(ctx) {
    await ctx.control.reset();
    await ctx.control.configure({ latencyMs: 0, callLogLimit: 1_000 });
    const serverUrl = new URL(ctx.run.serverUrl);
    const relay = await PostgresWireCounter.start({ host: serverUrl.hostname, port: Number(serverUrl.port || 5432) });
    const measured: PerRequest[] = [];
    let idlePerSecond: WireCounts;
    let idleTexts = new Set<string>();
    try {
      const gateway = await startBenchGateway(ctx.run, {
        name: 'statements',
        env: { ...QUIET_RECONCILER_ENV, ...ctx.settings.gatewayEnv },
        databaseRelayPort: relay.port,
      });
      try {
        const final = await createPayment(gateway.graphqlUrl, `bench-statements-final-${ctx.run.runId}`);
        await ctx.control.forceStatus(final.externalId, 'Processed');
        await gql(gateway.graphqlUrl, PAYMENT_STATUS, { externalId: final.externalId });
        // Warm: the first requests of a process compile and cache what later ones reuse.
        for (let index = 0; index < 10; index += 1) {
          await createPayment(gateway.graphqlUrl, `bench-statements-warm-${index}`);
          await gql(gateway.graphqlUrl, PAYMENT_STATUS, { externalId: final.externalId });
        }
        await sleep(SETTLE_MS);

        const idleStart = relay.snapshot();
        const idleFrom = Date.now();
        await sleep(IDLE_MS);
        idlePerSecond = scale(wireDelta(idleStart, relay.snapshot()), 1000 / (Date.now() - idleFrom));
        idleTexts = new Set([...idlePerSecond.texts.keys()].filter((text) => !TRANSACTION_CONTROL.test(text)));

        const one = async (label: string, request: (index: number) => Promise<unknown>) => {
          const before = relay.snapshot();
          const from = Date.now();
          const wallMs: number[] = [];
          for (let index = 0; index < REQUESTS; index += 1) {
            const started = performance.now();
            await request(index);
            wallMs.push(performance.now() - started);
          }
          await sleep(SETTLE_MS);
          const seconds = (Date.now() - from) / 1000;
          const { own, reader } = splitReader(wireDelta(before, relay.snapshot()), idleTexts);
          const idleReader = [...idleTexts].reduce((sum, text) => sum + (idlePerSecond.texts.get(text) ?? 0), 0) * seconds;
          const idleControl = scale(idlePerSecond, seconds);
          measured.push({
            label,
            counts: {
              ...own,
              statements: Math.max(0, own.statements - idleControlStatements(idleControl)),
              roundTrips: Math.max(0, own.roundTrips - idleControlStatements(idleControl)),
              begins: Math.max(0, own.begins - idleControl.begins),
              commits: Math.max(0, own.commits - idleControl.commits),
            },
            readerExtra: Math.max(0, reader - idleReader),
            requests: REQUESTS,
            wallMs,
          });
        };
        ctx.log(`statements: ${REQUESTS} of each request, one at a time, through the counting relay`);
        await one('createKaspiPayment', (index) => createPayment(gateway.graphqlUrl, `bench-statements-${ctx.run.runId}-${index}`));
        await one('paymentStatus, final payment', () => gql(gateway.graphqlUrl, PAYMENT_STATUS, { externalId: final.externalId }));
        await one('`{ __typename }`', () => gql(gateway.graphqlUrl, TYPENAME_QUERY, {}));
      } finally {
        await gateway.stop();
      }
    } finally {
      await relay.stop();
    }

    const per = (value: number, requests: number) => (value / requests).toFixed(2);
    const details = [
      `The gateway reaches PostgreSQL through a loopback relay in the bench that reads the wire protocol (\`bench/support/wire-counter.ts\`); ${REQUESTS} requests of each kind one at a time, after 10 warm-up ones; statements of the kinds the idle gateway runs by itself (${idlePerSecond.statements.toFixed(1)}/s: the outbox reader's polls) are left out of the columns, and what of them a request adds above the idle rate is in the last column. The relay adds its own hop, so the wall times here are a little above the latency scenario's.`,
    ];
    const table = [
      '| Request, one at a time | Statements | Round trips | Transactions (BEGIN … COMMIT) | Wall time p50 (with relay) | Outbox reader statements above idle |',
      '|---|---|---|---|---|---|',
      ...measured.map(
        (entry) =>
          `| ${entry.label} | ${per(entry.counts.statements, entry.requests)} | ${per(entry.counts.roundTrips, entry.requests)} | ${per(entry.counts.commits, entry.requests)} (${per(entry.counts.rollbacks, entry.requests)} rolled back) | ${formatMs(percentile(entry.wallMs, 50))} | ${per(entry.readerExtra, entry.requests)} |`,
      ),
    ];
    for (const entry of measured) {
      const texts = [...entry.counts.texts.entries()]
        .map(([text, count]) => [text, count / entry.requests] as const)
        .filter(([, count]) => count >= 0.1)
        .sort((a, b) => b[1] - a[1]);
      if (texts.length === 0) continue;
      details.push(`Per ${entry.label}: ${texts.map(([text, count]) => `${count.toFixed(1)}× \`${text.replace(/`/g, "'")}\``).join('; ')}.`);
    }
    return {
      id: 'statements',
      title: this.title,
      rows: [],
      targets: [],
      details,
      tables: table,
      figures: Object.fromEntries(measured.flatMap((entry, index) => [[`statements${index}`, entry.counts.statements / entry.requests]])),
    };
  },
};

/** BEGIN, COMMIT and ROLLBACK the idle gateway sends (the reconciler's sweeps) over a window. */
function idleControlStatements(idle: WireCounts): number {
  return idle.begins + idle.commits + idle.rollbacks;
}

function scale(counts: WireCounts, factor: number): WireCounts {
  return {
    statements: counts.statements * factor,
    roundTrips: counts.roundTrips * factor,
    begins: counts.begins * factor,
    commits: counts.commits * factor,
    rollbacks: counts.rollbacks * factor,
    texts: new Map([...counts.texts].map(([text, count]) => [text, count * factor])),
  };
}

/** A window's counts without the statements of the kinds the idle gateway runs (each one round trip). */
function splitReader(counts: WireCounts, idleTexts: ReadonlySet<string>): { own: WireCounts; reader: number } {
  const texts = new Map<string, number>();
  let reader = 0;
  for (const [text, count] of counts.texts) {
    if (idleTexts.has(text)) reader += count;
    else texts.set(text, count);
  }
  return { own: { ...counts, statements: counts.statements - reader, roundTrips: counts.roundTrips - reader, texts }, reader };
}
