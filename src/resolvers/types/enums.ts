import { registerEnumType } from 'type-graphql';
import { PaymentStatus } from '../../domain/payment-status';
import { LogOperation } from '../../entities/payment-log.entity';
import { RefundStatus } from '../../entities/refund.entity';
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

registerEnumType(LogOperation, { name: 'OperationType' });
registerEnumType(ErrorCode, { name: 'ErrorCode' });
registerEnumType(RefundStatus, {
  name: 'RefundStatus',
  valuesConfig: {
    PENDING: { description: 'Reserved; the provider has not answered yet.' },
    SUCCEEDED: { description: 'The provider made the refund.' },
    FAILED: { description: 'The provider refused it or could not be reached; nothing was refunded.' },
    UNKNOWN: { description: 'The call broke off; the amount stays reserved until the outcome is known.' },
  },
});

export { ErrorCode, LogOperation, PaymentStatus, RefundStatus };
