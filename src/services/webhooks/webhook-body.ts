import { tiynToTenge } from '../../domain/money';
import type { PaymentStatus } from '../../domain/payment-status';
import { WebhookEventType, WIRE_EVENT_TYPES } from '../../domain/webhook-delivery';
import type { Payment } from '../../entities/payment.entity';
import type { Refund } from '../../entities/refund.entity';
import { paymentOwner } from '../../domain/payment-owner';

/**
 * The bodies receivers get: the event's type, when it was announced, and its data. Amounts are
 * tenge as JSON numbers, as everywhere in the API. A body never carries the customer's phone, a
 * device token or a secret: only the fields picked here reach it.
 */
export function paymentStatusChangedBody(change: { payment: Payment; previousStatus: PaymentStatus | null; status: PaymentStatus; changedAt: Date }, at = new Date()): string {
  return JSON.stringify({
    type: WIRE_EVENT_TYPES[WebhookEventType.PAYMENT_STATUS_CHANGED],
    timestamp: at.toISOString(),
    data: {
      payment: paymentData(change.payment),
      previousStatus: change.previousStatus,
      status: change.status,
      changedAt: change.changedAt.toISOString(),
    },
  });
}

export function refundStatusChangedBody(
  change: { refund: Refund; payment: Payment; previousStatus: string | null; status: string; changedAt: Date },
  at = new Date(),
): string {
  return JSON.stringify({
    type: WIRE_EVENT_TYPES[WebhookEventType.REFUND_STATUS_CHANGED],
    timestamp: at.toISOString(),
    data: {
      refund: {
        id: change.refund.id,
        amount: tiynToTenge(change.refund.amount),
        status: change.refund.status,
        returnOperationId: change.refund.returnOperationId,
        createdAt: change.refund.createdAt.toISOString(),
      },
      payment: paymentData(change.payment),
      previousStatus: change.previousStatus,
      status: change.status,
      changedAt: change.changedAt.toISOString(),
    },
  });
}

function paymentData(payment: Payment) {
  return {
    id: payment.id,
    externalId: payment.externalId,
    ...paymentOwner(payment),
    method: payment.method,
    amount: tiynToTenge(payment.amount),
    refundedAmount: tiynToTenge(payment.refundedAmount),
    status: payment.status,
    providerStatus: payment.providerStatus,
    createdAt: payment.createdAt.toISOString(),
    updatedAt: payment.updatedAt.toISOString(),
  };
}
