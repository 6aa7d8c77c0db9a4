import { describe, expect, it } from 'vitest';
import { isFinalStatus, PaymentStatus } from '../../src/domain/payment-status';
import { CLOUDPAYMENTS_STATUS_WORDS, toCloudPaymentsAmount } from '../../src/providers/cloudpayments/cloudpayments.mappers';
import { toPaymentState } from '../../src/providers/cloudpayments/cloudpayments.provider';
import { transactionSchema } from '../../src/providers/cloudpayments/cloudpayments.schemas';

const transaction = (fields: Record<string, unknown>) =>
  transactionSchema.parse({ TransactionId: 1234567890, Amount: 100.5, Status: 'Completed', ...fields });

describe('CloudPayments mappers', () => {
  it('maps only Completed to PROCESSED and only Cancelled to a final status other than it; a decline stays waiting', () => {
    const mapped = Object.fromEntries(CLOUDPAYMENTS_STATUS_WORDS.words.map((word) => [word, CLOUDPAYMENTS_STATUS_WORDS.meaning(word)]));
    expect(mapped).toEqual({
      Created: PaymentStatus.WAITING,
      AwaitingAuthentication: PaymentStatus.WAITING,
      Authorized: PaymentStatus.WAITING,
      Completed: PaymentStatus.PROCESSED,
      Declined: PaymentStatus.WAITING,
      Cancelled: PaymentStatus.CANCELED,
    });
  });

  it('reports a word nobody knows as not final and not recognised, never FAILED', () => {
    const state = toPaymentState({ success: true, transaction: transaction({ Status: 'Frozen' }) }, 'order-1');
    expect(state).toMatchObject({ externalId: 'order-1', providerStatus: 'Frozen', recognised: false });
    expect(isFinalStatus(state.status)).toBe(false);
  });

  it('refuses an amount with a third decimal instead of rounding it', () => {
    expect(transactionSchema.safeParse({ TransactionId: 1, Amount: 100.505, Status: 'Completed' }).success).toBe(false);
    expect(toCloudPaymentsAmount(10_050)).toBe(100.5);
    expect(() => toCloudPaymentsAmount(0)).toThrow();
  });
});
