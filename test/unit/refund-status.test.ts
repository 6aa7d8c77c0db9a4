import { describe, expect, it } from 'vitest';
import { PaymentStatus } from '../../src/domain/payment-status';
import { canRefundTransition, isFinalRefundStatus, refundableAmount, RefundStatus } from '../../src/domain/refund-status';

const refund = (amount: number, status: RefundStatus) => ({ amount, status });

describe('the refund lifecycle', () => {
  it('lets a pending refund succeed, fail or become unknown', () => {
    for (const to of [RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.UNKNOWN]) {
      expect(canRefundTransition(RefundStatus.PENDING, to)).toBe(true);
    }
  });

  it('lets an unknown refund be settled either way, but never back to pending', () => {
    expect(canRefundTransition(RefundStatus.UNKNOWN, RefundStatus.SUCCEEDED)).toBe(true);
    expect(canRefundTransition(RefundStatus.UNKNOWN, RefundStatus.FAILED)).toBe(true);
    expect(canRefundTransition(RefundStatus.UNKNOWN, RefundStatus.PENDING)).toBe(false);
  });

  it('keeps a settled refund as it is', () => {
    for (const from of [RefundStatus.SUCCEEDED, RefundStatus.FAILED]) {
      expect(isFinalRefundStatus(from)).toBe(true);
      for (const to of Object.values(RefundStatus)) expect(canRefundTransition(from, to)).toBe(false);
    }
  });
});

describe('what is left to refund', () => {
  const paid = { amount: 10_000, status: PaymentStatus.PROCESSED };

  it('is the whole amount of a paid payment without refunds', () => {
    expect(refundableAmount(paid, [])).toBe(10_000);
  });

  it('counts refunds that succeeded, are in flight or whose outcome is unknown, and not failed ones', () => {
    const refunds = [
      refund(1_000, RefundStatus.SUCCEEDED),
      refund(2_000, RefundStatus.PENDING),
      refund(3_000, RefundStatus.UNKNOWN),
      refund(4_000, RefundStatus.FAILED),
    ];
    expect(refundableAmount(paid, refunds)).toBe(4_000);
  });

  it('is nothing for a payment that was not paid', () => {
    for (const status of Object.values(PaymentStatus).filter((status) => status !== PaymentStatus.PROCESSED)) {
      expect(refundableAmount({ amount: 10_000, status }, [])).toBe(0);
    }
  });

  it('never goes below nothing', () => {
    expect(refundableAmount(paid, [refund(12_000, RefundStatus.UNKNOWN)])).toBe(0);
  });
});
