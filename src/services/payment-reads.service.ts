import type { EntityManager } from '@mikro-orm/postgresql';
import type { PaymentStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { Refund } from '../entities/refund.entity';
import { seesShop, shopScope, type Actor } from './use-case-context';
import type { PaymentReadCache, PaymentReadCacheFigures } from './payment-read-cache';

/** Reading payments as they are stored, with their refunds; nothing here asks the provider or writes. */
export class PaymentReadsService {
  constructor(private readonly finalPayments: PaymentReadCache) {}

  /** With `actor`, a payment of a shop the caller does not see is not found. */
  async findById(em: EntityManager, id: string, actor?: Actor): Promise<Payment | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const payment = await loadWithRefunds(em, 'p.id = ?', [id]);
    return payment && (!actor || seesShop(actor, payment.shopId)) ? payment : null;
  }

  async findByExternalId(em: EntityManager, externalId: string): Promise<Payment | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(externalId)) return null;
    return loadWithRefunds(em, 'p.external_id = ? order by p.created_at desc', [externalId]);
  }

  /**
   * {@link findByExternalId} for status reads: a final payment is answered from memory when a
   * statement started after this call finds neither it nor its refunds changed since it was kept.
   */
  async findByExternalIdForStatus(source: { readonly em: EntityManager }, externalId: string): Promise<Payment | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(externalId)) return null;
    return this.finalPayments.byExternalId(source, externalId);
  }

  /** What the status reads' cache of final payments has done, for metrics. */
  cacheFigures(): PaymentReadCacheFigures & { entries: number } {
    return this.finalPayments.stats();
  }

  /** The payment created for the shop under this idempotency key, by whichever API key, if any. */
  findByIdempotencyKey(em: EntityManager, shopId: number, key: string): Promise<Payment | null> {
    return loadWithRefunds(em, 'p.shop_id = ? and p.idempotency_key = ?', [shopId, key]);
  }

  /** Payments for the admin frontend, newest first; e.g. every UNKNOWN payment waiting for a human. */
  async list(
    em: EntityManager,
    filter: { status?: PaymentStatus | null; shopId?: number | null; limit: number; visibleShops?: readonly number[] | null },
  ): Promise<Payment[]> {
    const scope = shopScope(filter.visibleShops, filter.shopId);
    if (!scope) return [];
    const where: Record<string, unknown> = { ...scope };
    if (filter.status != null) where.status = filter.status;
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit)), 500);
    return em.find(Payment, where, { populate: ['refunds'], orderBy: { createdAt: 'desc' }, limit });
  }
}

/**
 * A payment and its refunds in one statement, mapped onto entities without building a query: the
 * read behind every status answer. `condition` is a fixed SQL fragment; values go in `params`.
 */
async function loadWithRefunds(em: EntityManager, condition: string, params: unknown[]): Promise<Payment | null> {
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(
    `select p.*, coalesce((select json_agg(r order by r.created_at) from refund r where r.payment_id = p.id), '[]'::json) as refund_rows
       from payment p
      where ${condition}
      limit 1`,
    params,
  );
  if (rows.length === 0) return null;
  const { refund_rows: refundRows, ...paymentRow } = rows[0];
  const payment = em.map(Payment, paymentRow);
  payment.refunds.hydrate((refundRows as Array<Record<string, unknown>>).map((row) => em.map(Refund, row)));
  return payment;
}
