import { createClient, type Client } from 'graphql-ws';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CREATE_CONFIG, CREATE_KASPI_PAYMENT, REFUND } from '../support/documents';
import { ADMIN_KEY, eventually } from '../support/gateway';
import { gql, startGatewayProcess, type GatewayProcess } from '../support/gateway-process';

const SHOP = 91;
const ROUNDS = 3;
const CREATES_PER_ROUND = 24;
const CHANGES = `subscription ($since: DateTime) { paymentStatusChanged(since: $since) { id status changedAt payment { id } } }`;

interface SeenChange {
  id: string;
  paymentId: string;
  status: string;
  changedAt: string;
}

/** A client that, like a careful merchant backend, reconnects after a drop with `since`. */
class ReconnectingSubscriber {
  readonly seen = new Map<string, SeenChange>();
  private client: Client | null = null;
  private lastChangedAt: string;

  constructor(startedAt: Date) {
    this.lastChangedAt = startedAt.toISOString();
  }

  connect(graphqlUrl: string): void {
    this.client = createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ADMIN_KEY}` },
      retryAttempts: 0,
    });
    // A second of overlap covers clocks and commits in flight; ids drop the duplicates.
    const since = new Date(new Date(this.lastChangedAt).getTime() - 1_000).toISOString();
    this.client.subscribe<{ paymentStatusChanged: { id: string; status: string; changedAt: string; payment: { id: string } } }>(
      { query: CHANGES, variables: { since } },
      {
        next: ({ data }) => {
          if (!data) return;
          const change = data.paymentStatusChanged;
          this.seen.set(change.id, { id: change.id, paymentId: change.payment.id, status: change.status, changedAt: change.changedAt });
          if (change.changedAt > this.lastChangedAt) this.lastChangedAt = change.changedAt;
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
  }

  async close(): Promise<void> {
    await this.client?.dispose();
  }
}

describe('crashes: the gateway killed with SIGKILL mid-burst, restarted, reconciled', () => {
  let sandbox: Awaited<ReturnType<typeof startKaspiSandbox>>;
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let gateway: GatewayProcess | null = null;

  beforeAll(async () => {
    sandbox = await startKaspiSandbox({ autoAdvanceMs: 300 });
    database = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaspi-gw-crash-'));
    env = {
      DATA_DIR: dataDir,
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      KASPI_MODE: 'direct',
      KASPI_BASE_URL: sandbox.url,
      RECONCILE_TICK_MS: '100',
      POLL_FAST_INTERVAL_MS: '200',
      POLL_MIN_INTERVAL_MS: '100',
      PENDING_RECOVERY_MS: '1500',
      KASPI_CREATE_TIMEOUT_MS: '1500',
      KASPI_STATUS_TIMEOUT_MS: '1500',
      KASPI_REFUND_TIMEOUT_MS: '1500',
      EVENT_POLL_MS: '50',
      LOGS_MAX_LIMIT: '10000',
    };
  });

  afterAll(async () => {
    await gateway?.kill();
    await sandbox?.close();
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no invoice, no refund, no audit row and no status change', async () => {
    const startedAt = new Date();
    const subscriber = new ReconnectingSubscriber(startedAt);
    let amountSeq = 0;
    let refundsSent = 0;

    for (let round = 0; round < ROUNDS; round += 1) {
      gateway = await startGatewayProcess(env, 'crash');
      subscriber.connect(gateway.graphqlUrl);
      if (round === 0) {
        const config = await gql(gateway.graphqlUrl, CREATE_CONFIG, { input: { shopId: SHOP, organizationBin: '210440028324', deviceToken: '9c8b7a6d-5e4f-4321-8fed-cba987654321' } });
        expect(config.data.createConfig.errors).toEqual([]);
      }
      // Wait until the reconciler has learned which earlier payments were paid, so that the burst refunds some.
      const refundable: string[] =
        round === 0
          ? []
          : await eventually(async () => {
              const processed = await gql(gateway!.graphqlUrl, `{ payments(status: PROCESSED, shopId: ${SHOP}, limit: 500) { externalId } }`);
              const ids = (processed.data?.payments ?? []).map((payment: { externalId: string }) => payment.externalId);
              return ids.length > 0 ? ids : undefined;
            }, 90_000, 'a paid payment to refund');
      refundsSent += Math.min(refundable.length, CREATES_PER_ROUND);

      const url = gateway.graphqlUrl;
      const burst: Array<Promise<unknown>> = [];
      // The kill comes after a few invoices were answered, however fast the machine is, so that
      // every round leaves paid payments to refund in the next; how many varies from run to run.
      const killAfterAnswers = 2 + Math.floor(Math.random() * 6);
      let answered = 0;
      let enoughAnswered!: () => void;
      const killed = new Promise<void>((resolve) => (enoughAnswered = resolve)).then(() => gateway!.kill('SIGKILL'));
      for (let i = 0; i < CREATES_PER_ROUND; i += 1) {
        // Spread over the kill, so that some calls finish, some are cut mid-flight and some never start.
        await new Promise((resolve) => setTimeout(resolve, 20));
        amountSeq += 1;
        // Every payment gets its own amount, so an invoice whose answer was lost can still be matched.
        const amount = 100 + amountSeq / 100;
        burst.push(
          gql(url, CREATE_KASPI_PAYMENT, {
            input: { shopId: SHOP, amount, phone: '77015211545', idempotencyKey: `crash-${amountSeq}` },
          })
            .then((answer) => {
              if (answer.data?.createKaspiPayment?.payment && (answered += 1) >= killAfterAnswers) enoughAnswered();
            })
            .catch(() => undefined),
        );
        const externalId = refundable[i];
        if (externalId) {
          burst.push(
            gql(url, REFUND, {
              input: { shopId: SHOP, externalId, amount: 1, idempotencyKey: `crash-refund-${round}-${i}` },
            }).catch(() => undefined),
          );
        }
      }
      // A burst that was all answered before enough invoices were (refusals) ends with the kill too.
      void Promise.all(burst).then(() => enoughAnswered());
      await killed;
      await Promise.all(burst);
    }

    gateway = await startGatewayProcess(env, 'crash-final');
    subscriber.connect(gateway.graphqlUrl);
    const url = gateway.graphqlUrl;
    const PAYMENTS = `{ payments(shopId: ${SHOP}, limit: 500) { id externalId status amount refunds { id amount status } } }`;
    let lastRows: any[] | undefined;
    // Everything left PENDING by a kill is recovered, and every unknown refund is settled from Kaspi.
    const payments = await eventually(async () => {
      const result = await gql(url, PAYMENTS);
      const rows = result.data?.payments as any[] | undefined;
      if (!rows) return undefined;
      const unsettled = rows.some(
        (payment) =>
          payment.status === 'PENDING' ||
          (payment.externalId && payment.status === 'WAITING') ||
          payment.refunds.some((refund: any) => refund.status === 'PENDING' || refund.status === 'UNKNOWN'),
      );
      lastRows = rows;
      return unsettled ? undefined : rows;
    }, 90_000, 'every payment and refund to be settled').catch((error) => {
      const stuck = (lastRows ?? []).filter(
        (payment) => payment.status === 'PENDING' || (payment.externalId && payment.status === 'WAITING') || payment.refunds.some((r: any) => r.status === 'PENDING' || r.status === 'UNKNOWN'),
      );
      throw new Error(`${error.message}: ${JSON.stringify(stuck).slice(0, 1500)}`);
    });

    const state = sandbox.sandbox.snapshot();
    const invoices = state.payments.filter((invoice) => invoice.organizationBin === '210440028324');
    expect(invoices.length).toBeGreaterThan(0);

    // Every invoice Kaspi issued has its payment: by id, or flagged UNKNOWN for an admin with the same amount.
    for (const invoice of invoices) {
      const linked = payments.find((payment) => payment.externalId === invoice.qrPaymentId);
      const flagged = payments.find((payment) => payment.externalId === null && payment.status === 'UNKNOWN' && payment.amount === invoice.amount);
      expect(linked ?? flagged, `invoice ${invoice.qrPaymentId} of ${invoice.amount}`).toBeDefined();
      // Every refund Kaspi made is in our records, to the tiyn.
      if (linked) {
        const refunded = linked.refunds.filter((refund: any) => refund.status === 'SUCCEEDED').reduce((sum: number, refund: any) => sum + refund.amount, 0);
        expect(refunded, `refunds of ${invoice.qrPaymentId}`).toBe(invoice.refundedAmount);
      }
    }
    expect(refundsSent).toBeGreaterThan(0);
    // No payment was sent twice: one invoice per amount.
    expect(new Set(invoices.map((invoice) => invoice.amount)).size).toBe(invoices.length);
    expect(payments.filter((payment) => payment.status === 'FAILED')).toEqual([]);

    // The audit log has a row for every create and refund call that reached Kaspi.
    const logs = (await gql(url, `{ logs(shopId: ${SHOP}, limit: 10000) { operationType paymentId refundId status } }`)).data.logs as any[];
    for (const payment of payments) {
      const invoiceReachedKaspi = invoices.some((invoice) => invoice.qrPaymentId === payment.externalId);
      if (invoiceReachedKaspi) expect(logs.some((row) => row.operationType === 'CREATE' && row.paymentId === payment.id)).toBe(true);
      for (const refund of payment.refunds.filter((r: any) => r.status === 'SUCCEEDED')) {
        expect(logs.some((row) => row.operationType === 'REFUND' && row.refundId === refund.id)).toBe(true);
      }
    }

    // Every status change reached the subscriber that reconnected with `since`.
    const truth = new ReconnectingSubscriber(new Date(startedAt.getTime() - 60_000));
    truth.connect(url);
    await eventually(async () => (truth.seen.size > 0 ? true : undefined));
    await eventually(async () => ([...truth.seen.keys()].every((id) => subscriber.seen.has(id)) ? true : undefined), 60_000, 'the reconnecting subscriber to have every change');
    for (const payment of payments.filter((p) => p.status !== 'PENDING')) {
      const last = [...subscriber.seen.values()].filter((change) => change.paymentId === payment.id).sort((a, b) => Number(BigInt(a.id) - BigInt(b.id))).at(-1);
      expect(last?.status, `last change of ${payment.id}`).toBe(payment.status);
    }
    console.info(
      `crash test: ${invoices.length} invoices, ${payments.filter((p) => p.status === 'UNKNOWN').length} left UNKNOWN for an admin, ` +
        `${invoices.reduce((sum, invoice) => sum + invoice.refundedAmount, 0)} tenge refunded, ${subscriber.seen.size} status changes seen`,
    );
    await subscriber.close();
    await truth.close();
  }, 420_000);
});
