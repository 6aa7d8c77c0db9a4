import type { EntityManager } from '@mikro-orm/postgresql';
import { isFinalStatus, PaymentStatus } from '../domain/payment-status';
import { merchantAccountOf } from '../entities/payment-config.entity';
import { Payment } from '../entities/payment.entity';
import type { Logger } from '../logger';
import type { InboundNotification, NotificationVerdict, ProviderNotifications } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import type { ConfigCache } from './config-cache';
import type { PaymentStatusSyncService } from './payment-status-sync.service';
import type { RefundService } from './refund.service';

export interface NotificationAnswer {
  httpStatus: number;
  body: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNSIGNED: NotificationAnswer = { httpStatus: 401, body: { error: 'the notification is not signed by this shop' } };

/**
 * What a provider tells the gateway by itself (CloudPayments' check, pay, fail, refund …). Nothing
 * in a notification is believed before its signature is checked with the secret of the shop that
 * the payment named in it belongs to; then it goes through the same rules as a status answer, so a
 * notification and the reconciler can never disagree, and a repeated one changes nothing.
 */
export class NotificationService {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly configs: ConfigCache,
    private readonly statusSync: PaymentStatusSyncService,
    private readonly refunds: RefundService,
    private readonly logger: Logger,
  ) {}

  /**
   * @example
   * const answer = await notifications.receive(em, 'cloudpayments', { type: 'pay', headers, rawBody }, requestId);
   * res.status(answer.httpStatus).json(answer.body);
   */
  async receive(em: EntityManager, providerId: string, notification: InboundNotification, requestId: string): Promise<NotificationAnswer> {
    const reader: ProviderNotifications | undefined = this.registry.find(providerId)?.notifications;
    if (!reader) return { httpStatus: 404, body: { error: 'no such notification endpoint' } };
    if (!reader.isSigned(notification)) return UNSIGNED;
    const reading = reader.read(notification);
    if (!reading) return { httpStatus: 400, body: { error: 'not a notification this endpoint takes' } };

    const payment = UUID.test(reading.reference) ? await em.fork().findOne(Payment, { id: reading.reference, provider: providerId }) : null;
    // An invoice that is not ours: there is no shop, hence no secret, to check it with; nothing is written.
    if (!payment) return reader.answer(notification.type, 'unknown-payment');
    const account = merchantAccountOf(await this.configs.get(em, payment.shopId));
    if (!account || !reader.verify(notification, account)) {
      this.logger.warn({ provider: providerId, type: notification.type, paymentId: payment.id }, 'notification refused: bad signature');
      return UNSIGNED;
    }

    const origin = { actor: `${providerId} notification`, requestId };
    const event = reading.event;
    switch (event.kind) {
      case 'check':
        return reader.answer(notification.type, checkVerdict(payment, event.amount));
      case 'payment':
        if (event.amount !== payment.amount) {
          this.logger.error({ paymentId: payment.id, type: notification.type }, 'notification for another amount than the payment; not applied');
          break;
        }
        await this.statusSync.applyReportedState(em, payment.id, event.state, origin);
        break;
      case 'refund':
        await this.refunds.settleReportedRefund(em, payment.id, event, origin);
        break;
      case 'ignored':
        break;
    }
    return reader.answer(notification.type, 'accepted');
  }
}

/** Whether the provider may take this payment now, for this amount. */
function checkVerdict(payment: Payment, amount: number): NotificationVerdict {
  if (amount !== payment.amount) return 'wrong-amount';
  if (isFinalStatus(payment.status) || payment.status === PaymentStatus.PENDING) return 'not-payable';
  return 'accepted';
}
