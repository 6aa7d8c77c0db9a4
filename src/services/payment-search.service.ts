import type { EntityManager } from '@mikro-orm/postgresql';
import type { PaymentMethod } from '../domain/payment-method';
import { PaymentStatus } from '../domain/payment-status';
import { PaymentEvent } from '../entities/payment-event.entity';
import { Payment } from '../entities/payment.entity';
import { RefundStatus } from '../domain/refund-status';
import { Refund } from '../entities/refund.entity';
import { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { WebhookEndpoint } from '../entities/webhook-endpoint.entity';
import { shopScope } from './use-case-context';

export interface PaymentSearchFilter {
  status?: PaymentStatus | null;
  shopId?: number | null;
  method?: PaymentMethod | null;
  /** Created at or after. */
  createdFrom?: Date | null;
  /** Created before. */
  createdTo?: Date | null;
  /** Any id of the payment: ours, the provider's, the caller's idempotency key, or one of its refunds'. */
  search?: string | null;
  offset: number;
  limit: number;
  /** The shops the caller sees; null or absent for every shop. */
  visibleShops?: readonly number[] | null;
}

const MAX_PAGE = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What an operator reads: payments by filter and by any of their ids, and what waits for a human. */
export class PaymentSearchService {
  /** One page of matching payments, newest first, and how many match in all. */
  async search(em: EntityManager, filter: PaymentSearchFilter): Promise<{ payments: Payment[]; totalCount: number }> {
    const scope = shopScope(filter.visibleShops, filter.shopId);
    if (!scope) return { payments: [], totalCount: 0 };
    const where: Record<string, unknown> = { ...scope };
    if (filter.status != null) where.status = filter.status;
    if (filter.method != null) where.method = filter.method;
    if (filter.createdFrom || filter.createdTo) {
      where.createdAt = { ...(filter.createdFrom && { $gte: filter.createdFrom }), ...(filter.createdTo && { $lt: filter.createdTo }) };
    }
    const search = filter.search?.trim();
    if (search) {
      const ids = await this.paymentIdsFor(em, search);
      if (ids.length === 0) return { payments: [], totalCount: 0 };
      where.id = { $in: ids };
    }
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit)), MAX_PAGE);
    const offset = Math.max(0, Math.trunc(filter.offset));
    const [payments, totalCount] = await em.findAndCount(Payment, where, {
      populate: ['refunds'],
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit,
      offset,
    });
    return { payments, totalCount };
  }

  /**
   * What waits for a human: UNKNOWN payments, payments with a refund of unknown outcome, and webhook
   * endpoints the gateway turned off by itself (an admin's own switch-off has no reason and waits for nobody).
   * A caller who sees only some shops sees their payments only, and no endpoint (endpoints serve every shop).
   */
  async needsAttention(
    em: EntityManager,
    visibleShops?: readonly number[] | null,
  ): Promise<{ unknownPayments: Payment[]; unknownRefunds: Payment[]; disabledWebhookEndpoints: WebhookEndpoint[]; count: number }> {
    const scope = shopScope(visibleShops) ?? {};
    const unknownPayments = await em.find(Payment, { status: PaymentStatus.UNKNOWN, ...scope }, { populate: ['refunds'], orderBy: { createdAt: 'desc' }, limit: MAX_PAGE });
    const refunds = await em.find(Refund, { status: RefundStatus.UNKNOWN, ...(scope.shopId ? { payment: { shopId: scope.shopId } } : {}) }, { fields: ['id', 'payment'], limit: MAX_PAGE });
    const paymentIds = [...new Set(refunds.map((refund) => refund.payment.id))];
    const unknownRefunds = paymentIds.length
      ? await em.find(Payment, { id: { $in: paymentIds } }, { populate: ['refunds'], orderBy: { createdAt: 'desc' } })
      : [];
    const disabledWebhookEndpoints = visibleShops
      ? []
      : await em.find(WebhookEndpoint, { isActive: false, disabledReason: { $ne: null } }, { orderBy: { updatedAt: 'desc' } });
    return { unknownPayments, unknownRefunds, disabledWebhookEndpoints, count: unknownPayments.length + refunds.length + disabledWebhookEndpoints.length };
  }

  /** The webhook deliveries that announced changes of this payment and of its refunds, oldest first. */
  async webhookDeliveriesOf(em: EntityManager, paymentId: string): Promise<WebhookDelivery[]> {
    const events = await em.find(PaymentEvent, { paymentId }, { fields: ['id'], limit: MAX_PAGE });
    if (events.length === 0) return [];
    // A delivery names its outbox event by the event's sequence number.
    return em.find(WebhookDelivery, { eventId: { $in: events.map((event) => String(event.id)) } }, { orderBy: { createdAt: 'asc' }, limit: MAX_PAGE });
  }

  private async paymentIdsFor(em: EntityManager, search: string): Promise<string[]> {
    if (search.length > 255) return [];
    const byKey = [{ idempotencyKey: search }, { supersededIdempotencyKey: search }];
    const byPayment: Array<Record<string, unknown>> = [{ externalId: search }, ...byKey, { requestId: search }];
    const byRefund: Array<Record<string, unknown>> = [{ returnOperationId: search }, ...byKey];
    if (UUID.test(search)) {
      byPayment.push({ id: search.toLowerCase() });
      byRefund.push({ id: search.toLowerCase() });
    }
    const payments = await em.find(Payment, { $or: byPayment }, { fields: ['id'], limit: MAX_PAGE });
    const refunds = await em.find(Refund, { $or: byRefund }, { fields: ['id', 'payment'], limit: MAX_PAGE });
    return [...new Set([...payments.map((payment) => payment.id), ...refunds.map((refund) => refund.payment.id)])];
  }
}
