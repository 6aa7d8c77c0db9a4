import { describe, expect, it } from 'vitest';
import { isValidBin } from '../../src/domain/bin';
import { isValidDeviceToken, maskDeviceToken } from '../../src/domain/device-token';
import { tengeToTiyn, tiynToTenge, tiynToTengeString } from '../../src/domain/money';
import { canTransition, isFinalStatus, PaymentStatus } from '../../src/domain/payment-status';
import { maskPhone, normalisePhone } from '../../src/domain/phone';

describe('BIN check digit', () => {
  it.each(['210440028324', '891027350515', '991011000048'])('accepts the real BIN %s', (bin) => {
    expect(isValidBin(bin)).toBe(true);
  });

  it.each([
    ['210440028325', 'a wrong check digit'],
    ['21044002832', 'eleven digits'],
    ['2104400283245', 'thirteen digits'],
    ['21044002832a', 'a letter'],
    ['', 'nothing'],
  ])('refuses %s (%s)', (bin) => {
    expect(isValidBin(bin)).toBe(false);
  });

  it('uses the second set of weights when the first gives 10', () => {
    // 99101100090: the first weights sum to 10 (mod 11), the second to 4.
    expect(isValidBin('991011000904')).toBe(true);
    expect(isValidBin('991011000900')).toBe(false);
  });
});

describe('phone numbers', () => {
  it.each([
    ['77015211545', '77015211545'],
    ['+7 701 521 15 45', '77015211545'],
    ['+7 (701) 521-15-45', '77015211545'],
    ['87015211545', '77015211545'],
  ])('normalises %s to %s', (input, expected) => {
    expect(normalisePhone(input)).toBe(expected);
  });

  it.each(['7701521154', '770152115456', '+8 701 521 15 45', '97015211545', '7701521154a', '', '++77015211545x'])(
    'refuses %s',
    (input) => {
      expect(normalisePhone(input)).toBeNull();
    },
  );

  it('masks all but the first and last digits', () => {
    expect(maskPhone('77015211545')).toBe('7*********5');
  });
});

describe('device tokens', () => {
  it('accepts a UUID and refuses a trade point id', () => {
    expect(isValidDeviceToken('66cbf4e5-0193-45f3-8d97-362c98374466')).toBe(true);
    expect(isValidDeviceToken('12345')).toBe(false);
    expect(isValidDeviceToken('66cbf4e5-0193-45f3-8d97-362c9837446')).toBe(false);
  });

  it('shows only the first eight characters', () => {
    expect(maskDeviceToken('66cbf4e5-0193-45f3-8d97-362c98374466')).toBe('66cbf4e5…');
    expect(maskDeviceToken(null)).toBeNull();
  });
});

describe('money', () => {
  it('converts tenge to whole tiyn exactly', () => {
    expect(tengeToTiyn(100)).toBe(10_000);
    expect(tengeToTiyn(100.5)).toBe(10_050);
    expect(tengeToTiyn(99.99)).toBe(9_999);
    expect(tengeToTiyn(0.01)).toBe(1);
    expect(tengeToTiyn('1500.10')).toBe(150_010);
  });

  it('refuses a third decimal instead of rounding it', () => {
    expect(() => tengeToTiyn(1.005)).toThrow(/two decimal/);
    expect(() => tengeToTiyn(0.1 + 0.2)).toThrow(/two decimal/);
  });

  it('refuses negative, infinite and exponent-form amounts', () => {
    expect(() => tengeToTiyn(-1)).toThrow();
    expect(() => tengeToTiyn(Number.POSITIVE_INFINITY)).toThrow();
    expect(() => tengeToTiyn(1e21)).toThrow();
    expect(() => tengeToTiyn(1e-7)).toThrow();
  });

  it('converts back for the edges', () => {
    expect(tiynToTenge(10_050)).toBe(100.5);
    expect(tiynToTengeString(10_050)).toBe('100.5');
    expect(tiynToTengeString(10_000)).toBe('100');
    expect(tiynToTengeString(9_999)).toBe('99.99');
    expect(tiynToTengeString(1)).toBe('0.01');
  });
});

describe('the payment status transition table', () => {
  it('never lets PROCESSED go back to WAITING, nor any final status move', () => {
    for (const final of [PaymentStatus.PROCESSED, PaymentStatus.FAILED, PaymentStatus.CANCELED, PaymentStatus.EXPIRED]) {
      expect(isFinalStatus(final)).toBe(true);
      for (const to of Object.values(PaymentStatus)) expect(canTransition(final, to)).toBe(false);
    }
  });

  it('lets an UNKNOWN payment be resolved either way, but never back to PENDING', () => {
    expect(canTransition(PaymentStatus.UNKNOWN, PaymentStatus.WAITING)).toBe(true);
    expect(canTransition(PaymentStatus.UNKNOWN, PaymentStatus.PROCESSED)).toBe(true);
    expect(canTransition(PaymentStatus.UNKNOWN, PaymentStatus.FAILED)).toBe(true);
    expect(canTransition(PaymentStatus.UNKNOWN, PaymentStatus.PENDING)).toBe(false);
  });

  it('lets a waiting payment be paid, fail, be cancelled or expire', () => {
    expect(canTransition(PaymentStatus.WAITING, PaymentStatus.PROCESSED)).toBe(true);
    expect(canTransition(PaymentStatus.WAITING, PaymentStatus.EXPIRED)).toBe(true);
    expect(canTransition(PaymentStatus.WAITING, PaymentStatus.PENDING)).toBe(false);
    expect(canTransition(PaymentStatus.WAITING, PaymentStatus.UNKNOWN)).toBe(false);
  });
});
