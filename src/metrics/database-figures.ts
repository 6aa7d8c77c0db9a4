import type { EntityManager } from '@mikro-orm/postgresql';
import { PaymentStatus } from '../domain/payment-status';
import type { Logger } from '../logger';

/** What the database says about the money in flight, as of one moment. */
export interface DatabaseFigures {
  paymentsByStatus: Map<string, number>;
  refundsByStatus: Map<string, number>;
  /** Seconds since the oldest payment that is not final was created; 0 when there is none. */
  oldestOpenPaymentAgeSeconds: number;
  /** Seconds by which the most overdue scheduled status check is late; 0 when none is late. */
  reconcilerLagSeconds: number;
  webhookDeliveriesByStatus: Map<string, number>;
  /** PENDING deliveries whose next attempt is due. */
  webhookQueueDepth: number;
  /** Seconds since the oldest PENDING delivery was created; 0 when there is none. */
  webhookOldestPendingAgeSeconds: number;
}

const OPEN_STATUSES = [PaymentStatus.PENDING, PaymentStatus.WAITING, PaymentStatus.UNKNOWN];

/**
 * Reads the figures on scrape, at most once per `cacheMs`: several Prometheus servers scraping
 * every few seconds cost one set of queries, and a slow database costs a stale answer, not a
 * scrape that hangs.
 */
export class DatabaseFiguresReader {
  private cached: { at: number; figures: DatabaseFigures | null } | null = null;
  private inFlight: Promise<DatabaseFigures | null> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly cacheMs: number,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async read(): Promise<DatabaseFigures | null> {
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return this.cached.figures;
    this.inFlight ??= this.query()
      .catch((error) => {
        this.logger.warn({ err: error }, 'could not read the database figures for /metrics');
        return null;
      })
      .then((figures) => {
        this.cached = { at: Date.now(), figures };
        this.inFlight = null;
        return figures;
      });
    return this.inFlight;
  }

  private async query(): Promise<DatabaseFigures> {
    const connection = this.em.fork().getConnection();
    const open = OPEN_STATUSES.map(() => '?').join(', ');
    const work = Promise.all([
      connection.execute<Array<{ status: string; count: number }>>('select status, count(*)::int as count from payment group by status'),
      connection.execute<Array<{ status: string; count: number }>>('select status, count(*)::int as count from refund group by status'),
      connection.execute<Array<{ age: number | null; lag: number | null }>>(
        `select extract(epoch from now() - min(created_at))::float8 as age,
                (select extract(epoch from now() - min(next_poll_at))::float8 from payment
                  where next_poll_at is not null and next_poll_at < now() and external_id is not null and status in (${open})) as lag
           from payment where status in (${open})`,
        [...OPEN_STATUSES, ...OPEN_STATUSES],
      ),
      connection.execute<Array<{ status: string; count: number }>>('select status, count(*)::int as count from webhook_delivery group by status'),
      connection.execute<Array<{ due: number; age: number | null }>>(
        `select count(*) filter (where next_attempt_at <= now())::int as due, extract(epoch from now() - min(created_at))::float8 as age
           from webhook_delivery where status = 'PENDING'`,
      ),
    ]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the database did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const [payments, refunds, [ages], deliveries, [queue]] = await Promise.race([work, timeout]);
      return {
        paymentsByStatus: new Map(payments.map((row) => [row.status, row.count])),
        refundsByStatus: new Map(refunds.map((row) => [row.status, row.count])),
        oldestOpenPaymentAgeSeconds: Math.max(0, ages?.age ?? 0),
        reconcilerLagSeconds: Math.max(0, ages?.lag ?? 0),
        webhookDeliveriesByStatus: new Map(deliveries.map((row) => [row.status, row.count])),
        webhookQueueDepth: queue?.due ?? 0,
        webhookOldestPendingAgeSeconds: Math.max(0, queue?.age ?? 0),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
