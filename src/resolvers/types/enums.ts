import { registerEnumType } from 'type-graphql';
import { PaymentMethod } from '../../domain/payment-method';
import { PaymentStatus } from '../../domain/payment-status';
import { WebhookDeliveryStatus, WebhookEventType } from '../../domain/webhook-delivery';
import { LogOperation } from '../../entities/payment-log.entity';
import { RefundStatus } from '../../domain/refund-status';
import { ErrorCode } from '../../errors';

registerEnumType(PaymentStatus, {
  name: 'PaymentStatus',
  valuesConfig: {
    PENDING: { description: 'Recorded here; the provider has not answered yet.' },
    WAITING: { description: 'The provider has the invoice and waits for the customer (Kaspi: Wait, RemotePaymentCreated, QrTokenCreated).' },
    PROCESSED: { description: 'Paid (Kaspi: Processed). Final, though it can still be refunded.' },
    FAILED: { description: 'The provider reported a failure (Kaspi: Error). Final.' },
    CANCELED: { description: 'Cancelled before it was paid (Kaspi: RemotePaymentCanceled). Final.' },
    EXPIRED: { description: 'Not paid within the payment\'s lifetime. Final.' },
    UNKNOWN: { description: 'The call to the provider broke off, so whether the invoice exists is not known. Never retried blindly.' },
  },
});

registerEnumType(PaymentMethod, {
  name: 'PaymentMethod',
  valuesConfig: {
    KASPI_REMOTE: { description: 'An invoice sent to the customer\'s Kaspi app by phone number (Kaspi remote payment).' },
    KASPI_QR: { description: 'A QR code the customer scans with the Kaspi app (Kaspi qr/create); the payment carries qrToken.' },
    KASPI_LINK: { description: 'A link that opens the payment in Kaspi (Kaspi qr/create-link); the payment carries paymentUrl.' },
    CLOUDPAYMENTS_LINK: {
      description: 'A CloudPayments invoice page, optionally sent by SMS or e-mail (CloudPayments orders/create); the payment carries paymentUrl.',
    },
  },
});

registerEnumType(LogOperation, { name: 'OperationType' });
registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  valuesConfig: {
    NOT_FOUND: { description: 'The object named by an id (a webhook endpoint, a delivery) does not exist.' },
    PAYMENT_METHOD_NOT_SUPPORTED: {
      description: 'The shop\'s provider cannot take a payment by this method, or the method lacks what it needs (a phone, an e-mail).',
    },
    REFUND_NOT_FOUND: { description: 'The refund named by an id does not exist, or belongs to a shop the caller does not see.' },
  },
});
registerEnumType(RefundStatus, {
  name: 'RefundStatus',
  valuesConfig: {
    PENDING: { description: 'Reserved; the provider has not answered yet.' },
    SUCCEEDED: { description: 'The provider made the refund.' },
    FAILED: { description: 'The provider refused it or could not be reached; nothing was refunded.' },
    UNKNOWN: { description: 'The call broke off; the amount stays reserved until the outcome is known.' },
  },
});

registerEnumType(WebhookEventType, {
  name: 'WebhookEventType',
  valuesConfig: {
    PAYMENT_STATUS_CHANGED: { description: 'payment.status_changed: a payment\'s status changed (the same changes paymentStatusChanged carries).' },
    REFUND_STATUS_CHANGED: { description: 'refund.status_changed: a refund was made, failed, or its unknown outcome was settled.' },
  },
});
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  valuesConfig: {
    PENDING: { description: 'Not delivered yet; attempts go on.' },
    SUCCEEDED: { description: 'The endpoint answered 2xx.' },
    FAILED: { description: 'Every attempt failed, or the endpoint was turned off; redeliverWebhook sends it again.' },
  },
});

export { ErrorCode, LogOperation, PaymentMethod, PaymentStatus, RefundStatus, WebhookDeliveryStatus, WebhookEventType };
