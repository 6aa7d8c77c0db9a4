import 'reflect-metadata';
import { createClient } from 'graphql-ws';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import WebSocket from 'ws';
import { startGateway } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { BenchDatabase, DEFAULT_SERVER_URL } from './support/bench-database';

/**
 * How long a status change takes to reach a subscriber while another session holds a transaction
 * open for HOLD_MS (60 s by default): a gateway on a database of its own on the local PostgreSQL,
 * a payment created every PACE_MS, each timed from the create's answer (the change is committed by
 * then) to its WAITING change on a `paymentStatusChanged` subscription.
 *
 *   node -r @swc-node/register bench/outbox-open-transaction.ts other-database
 *   node -r @swc-node/register bench/outbox-open-transaction.ts same-database
 *
 * `other-database`: the open transaction has a transaction id, in another database of the server.
 * `same-database`: it has also written an outbox event that it does not commit, leaving a gap in
 * the sequence the subscribers' reader has to get past.
 */
const MODE = process.argv[2] === 'same-database' ? 'same-database' : 'other-database';
const HOLD_MS = Number(process.env.HOLD_MS ?? 60_000);
const PACE_MS = Number(process.env.PACE_MS ?? 500);
const SERVER_URL = process.env.DATABASE_SERVER_URL ?? DEFAULT_SERVER_URL;
const KEY = 'bench-admin-key-0123456789abcdef0123';
const SHOP = 5;

async function main(): Promise<void> {
  const database = await BenchDatabase.create(SERVER_URL, 'kaspi_gw_outbox_open_tx');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-gw-outbox-bench-'));
  const gateway = await startGateway(
    loadConfig({
      NODE_ENV: 'development',
      PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      API_KEYS: `admin:${KEY}`,
      SANDBOX_AUTO_ADVANCE_MS: '0',
      RATE_LIMIT_PAYMENTS: '0',
      RATE_LIMIT_READS: '0',
      RATE_LIMIT_ADMIN: '0',
    }),
    { logger: createLogger('warn') },
  );
  const gql = async (query: string) => {
    const response = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as { data: any };
  };
  await gql(`mutation { createConfig(input: { shopId: ${SHOP}, organizationBin: "891027350515", deviceToken: "66cbf4e5-0193-45f3-8d97-362c98374466" }) { errors { code } } }`);

  const arrived = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const ws = createClient({ url: gateway.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${KEY}` } });
  ws.subscribe<{ paymentStatusChanged: { payment: { id: string } } }>(
    { query: `subscription { paymentStatusChanged(shopId: ${SHOP}) { status payment { id } } }` },
    {
      next: ({ data }) => {
        const id = data!.paymentStatusChanged.payment.id;
        arrived.set(id, performance.now());
        waiters.get(id)?.();
      },
      error: (error) => console.error(error),
      complete: () => undefined,
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 500));

  const holderUrl = new URL(SERVER_URL);
  if (MODE === 'same-database') holderUrl.pathname = `/${database.name}`;
  const holder = new Client({ connectionString: holderUrl.toString() });
  await holder.connect();
  await holder.query('begin');
  const { rows } = await holder.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
  if (MODE === 'same-database') {
    await holder.query(
      `insert into payment_event (kind, payment_id, shop_id, previous_status, status) values ('payment.status_changed', gen_random_uuid(), $1, 'PENDING', 'WAITING')`,
      [SHOP],
    );
  }
  console.log(`${MODE}: transaction ${rows[0].xid} held open for ${HOLD_MS / 1000} s`);

  const delays: number[] = [];
  const heldUntil = performance.now() + HOLD_MS;
  let amount = 100;
  while (performance.now() < heldUntil) {
    const answer = await gql(`mutation { createKaspiPayment(input: { shopId: ${SHOP}, amount: ${(amount += 1)}, phone: "77015211545" }) { payment { id } } }`);
    const answeredAt = performance.now();
    const id = answer.data.createKaspiPayment.payment.id as string;
    if (!arrived.has(id)) await new Promise<void>((resolve) => waiters.set(id, resolve));
    delays.push(Math.max(0, arrived.get(id)! - answeredAt));
    await new Promise((resolve) => setTimeout(resolve, PACE_MS));
  }
  const stillOpen = (await holder.query('select pg_current_xact_id_if_assigned() is not null as open')).rows[0].open as boolean;
  await holder.query('rollback');
  await holder.end();

  delays.sort((a, b) => a - b);
  const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
  console.log(
    `${delays.length} changes while the transaction was open (still open at the end: ${stillOpen}); ` +
      `delay from the create's answer to the subscriber: median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${delays.at(-1)!.toFixed(1)} ms`,
  );
  await ws.dispose();
  await gateway.stop();
  await database.closePool();
  await database.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
