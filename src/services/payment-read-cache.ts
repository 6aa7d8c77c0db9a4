import type { EntityManager } from '@mikro-orm/postgresql';
import { isFinalStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { Refund } from '../entities/refund.entity';

/**
 * The version of a payment as stored: its row's `xmin` (the transaction that wrote it last) and
 * each of its refunds' ids and `xmin`s. Any committed write to the payment or to one of its
 * refunds (a new refund, a status, an amount, a detail, whoever writes it and on whichever
 * instance) gives a different version; rows that have not been written since give the same.
 */
const VERSION_SQL = `p.xmin::text || '|' || coalesce((select string_agg(r.id::text || ':' || r.xmin::text, ',' order by r.id) from refund r where r.payment_id = p.id), '')`;

/** Most provider ids one validation statement asks about; more wait for the next. */
const VALIDATION_BATCH = 500;

export interface PaymentReadCacheSettings {
  /** Most payments kept; the least recently read go first. */
  maxEntries: number;
  /**
   * How long a payment is kept before it is read again in full. A transaction id (`xmin`) comes
   * round again only after 2^32 transactions, which no server runs in this time: two equal
   * versions within it are the same write.
   */
  maxAgeMs: number;
}

export interface PaymentReadCacheFigures {
  /** Reads answered from memory after the database confirmed the payment unchanged. */
  hits: number;
  /** Reads that loaded the payment (not kept yet, changed since, or not final). */
  loads: number;
  /** Validation statements run; each confirms every read that was waiting when it started. */
  validations: number;
}

interface Entry {
  payment: Payment;
  version: string;
  keptAt: number;
}

interface StoredVersion {
  id: string;
  version: string;
}

interface Waiter {
  resolve: (current: StoredVersion | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Payments in a final status, kept in memory for `paymentStatus`, the most frequent read.
 *
 * A final payment still changes: a refund adds to its refunds and, once it succeeds, to its
 * refunded amount, and it may be made through any instance. So a kept payment is never answered
 * on trust: each read waits for a validation statement that *started after the read arrived*,
 * which reads the stored version of every payment asked about ({@link VERSION_SQL}), and the kept
 * payment is answered only if its version is the same; otherwise it is loaded again. Whatever
 * was committed before a read arrived, on this instance or another, is therefore in its answer,
 * exactly as with a read from the database. Reads that arrive while a validation runs share the
 * next one, so under load one short statement confirms many reads, and the payment, its refunds
 * and their mapping onto entities (decrypting and re-sealing the device token) are not read again.
 *
 * A kept payment is shared by the reads it answers: callers must not change it.
 */
export class PaymentReadCache {
  private readonly entries = new Map<string, Entry>();
  private waiting = new Map<string, Waiter[]>();
  private validating = false;
  private readonly figures: PaymentReadCacheFigures = { hits: 0, loads: 0, validations: 0 };

  constructor(
    private readonly em: EntityManager,
    private readonly settings: PaymentReadCacheSettings,
  ) {}

  /**
   * The newest payment with this provider id, with its refunds, as the database holds it when the
   * call is made; null if there is none. `source.em` is only touched when the payment is loaded.
   */
  async byExternalId(source: { readonly em: EntityManager }, externalId: string): Promise<Payment | null> {
    const kept = this.entries.get(externalId);
    if (kept && Date.now() - kept.keptAt < this.settings.maxAgeMs) {
      const current = await this.storedVersion(externalId);
      if (current && current.id === kept.payment.id && current.version === kept.version) {
        // Most recently read last, so that eviction takes the least recently read.
        this.entries.delete(externalId);
        this.entries.set(externalId, kept);
        this.figures.hits += 1;
        return kept.payment;
      }
    }
    this.entries.delete(externalId);
    this.figures.loads += 1;
    const loaded = await loadByExternalId(source.em, externalId);
    if (loaded && isFinalStatus(loaded.payment.status)) this.keep(externalId, loaded);
    return loaded?.payment ?? null;
  }

  /** What the cache has done so far, for metrics and tests. */
  stats(): PaymentReadCacheFigures & { entries: number } {
    return { ...this.figures, entries: this.entries.size };
  }

  private keep(externalId: string, entry: Entry): void {
    this.entries.delete(externalId);
    this.entries.set(externalId, entry);
    while (this.entries.size > this.settings.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** The stored version of the newest payment with this provider id, read by a statement started after this call. */
  private storedVersion(externalId: string): Promise<StoredVersion | null> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(externalId);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(externalId, [{ resolve, reject }]);
      // A validation already running may have read before this call arrived: this call waits for the next.
      if (!this.validating) this.validateWaiting();
    });
  }

  private validateWaiting(): void {
    if (this.waiting.size === 0) {
      this.validating = false;
      return;
    }
    this.validating = true;
    let batch: Map<string, Waiter[]>;
    if (this.waiting.size <= VALIDATION_BATCH) {
      batch = this.waiting;
      this.waiting = new Map();
    } else {
      batch = new Map([...this.waiting].slice(0, VALIDATION_BATCH));
      for (const externalId of batch.keys()) this.waiting.delete(externalId);
    }
    this.figures.validations += 1;
    const externalIds = [...batch.keys()];
    this.em
      .fork()
      .getConnection()
      .execute<Array<{ external_id: string; id: string; version: string }>>(
        `select distinct on (p.external_id) p.external_id, p.id, ${VERSION_SQL} as version
           from payment p
          where p.external_id in (${externalIds.map(() => '?').join(', ')})
          order by p.external_id, p.created_at desc`,
        externalIds,
      )
      .then(
        (rows) => {
          const byExternalId = new Map(rows.map((row) => [row.external_id, { id: row.id, version: row.version }]));
          for (const [externalId, waiters] of batch) for (const waiter of waiters) waiter.resolve(byExternalId.get(externalId) ?? null);
        },
        (error: unknown) => {
          for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
        },
      )
      .finally(() => this.validateWaiting());
  }
}

/**
 * The newest payment with this provider id and its refunds, with their version, in one statement
 * (so the version is that of what was read), mapped onto entities without building a query.
 */
async function loadByExternalId(em: EntityManager, externalId: string): Promise<Entry | null> {
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(
    `select p.*, ${VERSION_SQL} as stored_version,
            coalesce((select json_agg(r order by r.created_at) from refund r where r.payment_id = p.id), '[]'::json) as refund_rows
       from payment p
      where p.external_id = ?
      order by p.created_at desc
      limit 1`,
    [externalId],
  );
  if (rows.length === 0) return null;
  const { refund_rows: refundRows, stored_version: version, ...paymentRow } = rows[0];
  const payment = em.map(Payment, paymentRow);
  payment.refunds.hydrate((refundRows as Array<Record<string, unknown>>).map((row) => em.map(Refund, row)));
  return { payment, version: String(version), keptAt: Date.now() };
}
