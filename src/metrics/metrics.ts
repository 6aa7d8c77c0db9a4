import type { EntityManager } from '@mikro-orm/postgresql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PaymentStatus } from '../domain/payment-status';
import { WebhookDeliveryStatus } from '../domain/webhook-delivery';
import { RefundStatus } from '../domain/refund-status';
import type { Logger } from '../logger';
import type { PaymentReadCacheFigures } from '../services/payment-read-cache';
import { DatabaseFiguresReader, type DatabaseFigures } from './database-figures';

const PREFIX = 'kaspi_gateway_';
/** Label values a client chooses (operation names) are capped, so a client cannot blow up the series. */
const MAX_OPERATION_NAMES = 200;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];

export type OperationOutcome = 'ok' | 'error' | 'invalid' | 'rate_limited' | 'denied' | 'refused';
export type ProviderCallOutcome = 'ok' | 'rejected' | 'unavailable' | 'unknown' | 'error';

/** What the gateway's live parts report at scrape time. */
export interface MetricsSources {
  em: EntityManager;
  /** The knex pool behind the ORM. */
  pool: () => { used: number; free: number; pendingAcquires: number; pendingCreates: number; max: number } | null;
  reconcilerLastTickAt: () => Date | null;
  webSockets: () => { connections: number; subscriptions: number };
  /** This instance's reader of the outbox, behind its live subscriptions. */
  outbox: { lagSeconds(): Promise<number>; openGaps(): number };
  /** The status reads' cache of final payments. */
  paymentReads: () => PaymentReadCacheFigures & { entries: number };
}

/**
 * The gateway's Prometheus figures, in a registry of their own (nothing global, so several
 * gateways can share a process). Counters and histograms are fed as things happen; gauges about
 * the database are read when scraped.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly operations: Counter<'operation' | 'type' | 'outcome' | 'transport'>;
  private readonly operationSeconds: Histogram<'operation' | 'type' | 'outcome' | 'transport'>;
  private readonly providerCalls: Counter<'provider' | 'operation' | 'outcome' | 'code'>;
  private readonly providerSeconds: Histogram<'provider' | 'operation' | 'outcome'>;
  private readonly rateLimited: Counter<'class'>;
  private readonly webhookAttempts: Counter<'outcome'>;
  private readonly webhookAttemptSeconds: Histogram<'outcome'>;
  private readonly operationNames = new Set<string>();

  constructor(sources: MetricsSources, settings: { cacheMs: number; timeoutMs: number }, logger: Logger) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });

    /** Every counter and latency histogram: its name, its labels, and what it counts; latencies all in the same buckets. */
    const counter = <L extends string>(name: string, labelNames: readonly L[], help: string) =>
      new Counter<L>({ name: `${PREFIX}${name}`, help, labelNames, registers });
    const histogram = <L extends string>(name: string, labelNames: readonly L[], help: string) =>
      new Histogram<L>({ name: `${PREFIX}${name}`, help, labelNames, buckets: LATENCY_BUCKETS, registers });

    this.operations = counter('graphql_operations_total', ['operation', 'type', 'outcome', 'transport'], 'GraphQL operations by name (or root fields when anonymous), type, outcome and transport (http, websocket)');
    this.operationSeconds = histogram('graphql_operation_duration_seconds', ['operation', 'type', 'outcome', 'transport'], 'Time to answer a GraphQL operation; for a subscription, the time to set it up');
    this.providerCalls = counter('provider_calls_total', ['provider', 'operation', 'outcome', 'code'], "Calls to payment providers by operation, outcome and the provider's code");
    this.providerSeconds = histogram('provider_call_duration_seconds', ['provider', 'operation', 'outcome'], 'Time taken by calls to payment providers');
    this.rateLimited = counter('rate_limited_total', ['class'], 'Operations refused by the rate limits, by class');
    this.webhookAttempts = counter('webhook_attempts_total', ['outcome'], 'Webhook delivery attempts by outcome (succeeded, retrying, slowed_down, failed, gone, endpoint_disabled, superseded)');
    this.webhookAttemptSeconds = histogram('webhook_attempt_duration_seconds', ['outcome'], 'Time taken by webhook delivery attempts, until the answer or the timeout');

    const figures = new DatabaseFiguresReader(sources.em, settings.cacheMs, settings.timeoutMs, logger);
    const fromDatabase = (name: string, help: string, labelNames: string[], fill: (gauge: Gauge<string>, figures: DatabaseFigures) => void) =>
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        labelNames,
        registers,
        async collect() {
          const current = await figures.read();
          if (current) fill(this, current);
        },
      });
    fromDatabase('payments', 'Payments by status', ['status'], (gauge, current) => {
      for (const status of Object.values(PaymentStatus)) gauge.set({ status }, current.paymentsByStatus.get(status) ?? 0);
    });
    fromDatabase('refunds', 'Refunds by status', ['status'], (gauge, current) => {
      for (const status of Object.values(RefundStatus)) gauge.set({ status }, current.refundsByStatus.get(status) ?? 0);
    });
    fromDatabase('unknown_payments', 'Payments whose outcome at the provider is not known (UNKNOWN)', [], (gauge, current) => {
      gauge.set(current.paymentsByStatus.get(PaymentStatus.UNKNOWN) ?? 0);
    });
    fromDatabase('unknown_refunds', 'Refunds whose outcome at the provider is not known (UNKNOWN)', [], (gauge, current) => {
      gauge.set(current.refundsByStatus.get(RefundStatus.UNKNOWN) ?? 0);
    });
    fromDatabase('oldest_open_payment_age_seconds', 'Age of the oldest payment that is not final (PENDING, WAITING or UNKNOWN)', [], (gauge, current) => {
      gauge.set(current.oldestOpenPaymentAgeSeconds);
    });
    fromDatabase('webhook_deliveries', 'Webhook deliveries by status', ['status'], (gauge, current) => {
      for (const status of Object.values(WebhookDeliveryStatus)) gauge.set({ status }, current.webhookDeliveriesByStatus.get(status) ?? 0);
    });
    fromDatabase('webhook_queue_depth', 'Webhook deliveries due now and not yet sent (PENDING, next attempt in the past)', [], (gauge, current) => {
      gauge.set(current.webhookQueueDepth);
    });
    fromDatabase('webhook_oldest_pending_age_seconds', 'Age of the oldest webhook delivery still PENDING; 0 when there is none', [], (gauge, current) => {
      gauge.set(current.webhookOldestPendingAgeSeconds);
    });
    fromDatabase('reconciler_lag_seconds', 'How late the most overdue scheduled status check is', [], (gauge, current) => {
      gauge.set(current.reconcilerLagSeconds);
    });

    /** A figure this instance knows by itself, read at each scrape; none leaves the gauge as it was. */
    const fromInstance = (name: string, help: string, read: () => number | null) =>
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        registers,
        collect() {
          const value = read();
          if (value !== null) this.set(value);
        },
      });
    fromInstance('reconciler_last_tick_age_seconds', "Seconds since this instance's reconciler finished a pass; -1 before the first", () => {
      const last = sources.reconcilerLastTickAt();
      return last ? (Date.now() - last.getTime()) / 1000 : -1;
    });
    fromInstance('open_subscriptions', 'GraphQL subscriptions open on this instance', () => sources.webSockets().subscriptions);
    fromInstance('websocket_connections', 'graphql-ws connections open on this instance', () => sources.webSockets().connections);
    fromInstance('outbox_open_gaps', 'Gaps in the outbox sequence this instance still watches for a late commit', () => sources.outbox.openGaps());
    fromInstance('db_pool_max_connections', 'The size limit of the database pool', () => sources.pool()?.max ?? null);

    new Gauge({
      name: `${PREFIX}payment_read_cache`,
      help:
        'Status reads of final payments: hits (answered from memory, the stored version unchanged), loads (read from the database), ' +
        'validations (statements that checked the versions, each for every read waiting), entries (payments kept); counts since start',
      labelNames: ['figure'],
      registers,
      collect() {
        const figures = sources.paymentReads();
        for (const figure of ['hits', 'loads', 'validations', 'entries'] as const) this.set({ figure }, figures[figure]);
      },
    });
    new Gauge({
      name: `${PREFIX}outbox_lag_seconds`,
      help: "Age of the oldest committed status change this instance's subscribers have not been handed yet; 0 when level",
      registers,
      async collect() {
        try {
          this.set(await sources.outbox.lagSeconds());
        } catch (error) {
          logger.warn({ err: error }, 'outbox lag unreadable');
        }
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_connections`,
      help: 'Database pool connections by state (used, free, pending_acquire, pending_create)',
      labelNames: ['state'],
      registers,
      collect() {
        const pool = sources.pool();
        if (!pool) return;
        this.set({ state: 'used' }, pool.used);
        this.set({ state: 'free' }, pool.free);
        this.set({ state: 'pending_acquire' }, pool.pendingAcquires);
        this.set({ state: 'pending_create' }, pool.pendingCreates);
      },
    });
  }

  observeOperation(operation: { name: string; type: string; outcome: OperationOutcome; transport: 'http' | 'websocket'; seconds: number }): void {
    const labels = { operation: this.boundedName(operation.name), type: operation.type, outcome: operation.outcome, transport: operation.transport };
    this.operations.inc(labels);
    this.operationSeconds.observe(labels, operation.seconds);
  }

  observeProviderCall(call: { provider: string; operation: string; outcome: ProviderCallOutcome; code: string | null; seconds: number }): void {
    this.providerCalls.inc({ provider: call.provider, operation: call.operation, outcome: call.outcome, code: boundedCode(call.code) });
    this.providerSeconds.observe({ provider: call.provider, operation: call.operation, outcome: call.outcome }, call.seconds);
  }

  observeWebhookAttempt(attempt: { outcome: string; seconds: number }): void {
    this.webhookAttempts.inc({ outcome: attempt.outcome });
    this.webhookAttemptSeconds.observe({ outcome: attempt.outcome }, attempt.seconds);
  }

  countRateLimited(operationClass: string): void {
    this.rateLimited.inc({ class: operationClass });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private boundedName(name: string): string {
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }
}

/** Kaspi's codes ("-1501"), HTTP statuses ("HTTP_401"); anything else is folded into "other". */
function boundedCode(code: string | null): string {
  if (code === null) return 'none';
  return /^(-?\d{1,12}|HTTP_\d{3})$/.test(code) ? code : 'other';
}
