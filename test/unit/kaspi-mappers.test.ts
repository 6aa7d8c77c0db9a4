import { describe, expect, it } from 'vitest';
import { InvalidAmountError } from '../../src/domain/money';
import { PaymentStatus, isFinalStatus } from '../../src/domain/payment-status';
import {
  KASPI_STATUS_WORDS,
  classifyKaspiFailureCode,
  toExternalId,
  toKaspiAmount,
  toPaymentState,
} from '../../src/providers/kaspi/kaspi.mappers';
import {
  kaspiIdSchema,
  parseKaspiJson,
  paymentDetailsDataSchema,
  proxyCreateDataSchema,
  proxyQrCreateDataSchema,
  qrCreateLinkDataSchema,
  remoteCreateDataSchema,
} from '../../src/providers/kaspi/kaspi.schemas';
import { redact } from '../../src/providers/kaspi/kaspi.errors';
import { joinUrl } from '../../src/providers/kaspi/kaspi.http';
import { upstreamAmountSchema } from '../../src/providers/provider-values';

describe('Kaspi status words', () => {
  it.each([
    ['QrTokenCreated', PaymentStatus.WAITING],
    ['RemotePaymentCreated', PaymentStatus.WAITING],
    ['Wait', PaymentStatus.WAITING],
    ['Processed', PaymentStatus.PROCESSED],
    ['Error', PaymentStatus.FAILED],
    ['RemotePaymentCanceled', PaymentStatus.CANCELED],
  ] as const)('maps %s to %s and marks it recognised', (word, status) => {
    expect(KASPI_STATUS_WORDS.meaning(word)).toBe(status);
    expect(toPaymentState('1', word)).toEqual({ externalId: '1', providerStatus: word, status, recognised: true });
  });

  it('knows exactly the six documented words', () => {
    expect([...KASPI_STATUS_WORDS.words].sort()).toEqual(
      ['Error', 'Processed', 'QrTokenCreated', 'RemotePaymentCanceled', 'RemotePaymentCreated', 'Wait'].sort(),
    );
  });

  it.each(['RemotePaymentRejected', 'Expired', 'processed', '', 'WAIT'])(
    'reports the unknown word "%s" as not recognised, not final and not failed',
    (word) => {
      const state = toPaymentState('12800627774', word);
      expect(state.recognised).toBe(false);
      expect(state.providerStatus).toBe(word);
      expect(state.status).toBe(PaymentStatus.WAITING);
      expect(isFinalStatus(state.status)).toBe(false);
      expect(state.status).not.toBe(PaymentStatus.FAILED);
    },
  );
});

describe('Kaspi result codes', () => {
  it('treats −999 as "Kaspi did nothing", not as a rejection', () => {
    expect(classifyKaspiFailureCode('-999')).toEqual({ kind: 'unavailable', providerCode: '-999' });
  });

  it('marks only −99000006 as a retryable rejection', () => {
    expect(classifyKaspiFailureCode('-99000006')).toEqual({ kind: 'rejected', providerCode: '-99000006', retryable: true });
    for (const code of [-1501, -10000, -99000003, -99000005, -99000011, 990000028]) {
      expect(classifyKaspiFailureCode(String(code))).toEqual({ kind: 'rejected', providerCode: String(code), retryable: false });
    }
  });

  it('keeps a proxy error code that is not a number as it came', () => {
    expect(classifyKaspiFailureCode('phone')).toEqual({ kind: 'rejected', providerCode: 'phone', retryable: false });
  });
});

describe('Kaspi money', () => {
  it.each([
    [10050, '100.5'],
    [10000, '100'],
    [9999, '99.99'],
    [1, '0.01'],
    [10, '0.1'],
    [123456789012, '1234567890.12'],
  ])('sends %i tiyn as %s tenge', (tiyn, tenge) => {
    expect(toKaspiAmount(tiyn)).toBe(tenge);
  });

  it.each([0, -100, 100.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2])('refuses %s tiyn', (tiyn) => {
    expect(() => toKaspiAmount(tiyn)).toThrow(InvalidAmountError);
  });

  it('reads tenge numbers back into whole tiyn', () => {
    expect(upstreamAmountSchema.parse(100.5)).toBe(10050);
    expect(upstreamAmountSchema.parse(99.99)).toBe(9999);
    expect(upstreamAmountSchema.parse(0)).toBe(0);
  });

  it('refuses a tenge amount with a third decimal instead of rounding it', () => {
    expect(upstreamAmountSchema.safeParse(100.505).success).toBe(false);
    expect(paymentDetailsDataSchema.safeParse({ TotalAmount: 1.005, AvailableReturnAmount: 1 }).success).toBe(false);
  });

  it('turns refundable amounts from payment/details into tiyn', () => {
    expect(paymentDetailsDataSchema.parse({ TotalAmount: 100.5, AvailableReturnAmount: 50.25, QrPaymentId: 1 })).toEqual({
      TotalAmount: 10050,
      AvailableReturnAmount: 5025,
    });
  });
});

describe('Kaspi behaviour options', () => {
  it('reads r3 options under the proxy names into the answer both modes share, dropping a value that is not seconds', () => {
    const data = qrCreateLinkDataSchema.parse({
      PaymentLink: 'https://pay.kaspi.kz/pay/1',
      ExpireDate: '2026-11-29T10:00:00+05:00',
      PaymentId: 1,
      PaymentBehaviorOptions: { StatusPollingInterval: 5, LinkActivationWaitTimeout: 'soon', PaymentConfirmationTimeout: 65 },
    });
    expect(data.options).toEqual({
      statusPollingInterval: 5,
      linkActivationWaitTimeout: null,
      paymentConfirmationTimeout: 65,
    });
  });

  it('reads the proxy options as they come, and an unreadable whole as none', () => {
    const answer = { externalId: 7, qrToken: 'https://pay.kaspi.kz/qr/7', expireDate: null, status: 'QrTokenCreated' };
    expect(proxyQrCreateDataSchema.parse({ ...answer, behaviorOptions: { qrCodeScanWaitTimeout: 180 } }).options).toEqual({
      qrCodeScanWaitTimeout: 180,
    });
    expect(proxyQrCreateDataSchema.parse({ ...answer, behaviorOptions: 'fast' }).options).toBeNull();
  });
});

describe('Kaspi payment ids', () => {
  it('keeps an id that came as a JSON number as a string', () => {
    expect(kaspiIdSchema.parse(12800627774)).toBe('12800627774');
    expect(toExternalId(12800627774)).toBe('12800627774');
  });

  it('keeps an id that came as a string exactly', () => {
    expect(kaspiIdSchema.parse('12800627774')).toBe('12800627774');
    expect(kaspiIdSchema.parse('0012800627774')).toBe('0012800627774');
  });

  it('keeps a 64-bit id beyond 2^53 exact when it came as a JSON number', () => {
    const body = parseKaspiJson('{"StatusCode":0,"Message":"","Data":{"QrPaymentId": 9223372036854775807}}');
    const data = (body as { Data: unknown }).Data;
    expect(remoteCreateDataSchema.parse(data).QrPaymentId).toBe('9223372036854775807');
    expect(proxyCreateDataSchema.parse({ externalId: parseKaspiJson('9007199254740993') }).externalId).toBe(
      '9007199254740993',
    );
  });

  it('leaves strings, small numbers and decimals untouched while protecting large integers', () => {
    const text = '{"a":"9223372036854775807 \\" 9223372036854775807","b":-12,"c":1.5e3,"d":[18446744073709551615]}';
    expect(parseKaspiJson(text)).toEqual({
      a: '9223372036854775807 " 9223372036854775807',
      b: -12,
      c: 1500,
      d: ['18446744073709551615'],
    });
  });

  it('refuses an id that is neither a whole number nor a non-empty string', () => {
    for (const bad of [1.5, -1, '', null, true]) expect(kaspiIdSchema.safeParse(bad).success).toBe(false);
  });

  it('reports a create whose status word is missing as an invoice waiting in the app', () => {
    expect(proxyCreateDataSchema.parse({ externalId: 42 })).toEqual({ externalId: '42' });
  });
});

describe('Kaspi URLs and secrets', () => {
  it('joins a base URL and a path without doubling or losing slashes', () => {
    expect(joinUrl(new URL('https://proxy.example/api/'), 'create/').toString()).toBe('https://proxy.example/api/create/');
    expect(joinUrl(new URL('https://proxy.example/api'), '/create/').toString()).toBe('https://proxy.example/api/create/');
    expect(joinUrl(new URL('https://qr.example'), '/r3/v01/remote/create').toString()).toBe(
      'https://qr.example/r3/v01/remote/create',
    );
  });

  it('masks every occurrence of a secret and ignores empty ones', () => {
    expect(redact('token abcd-1234 and abcd-1234', ['abcd-1234', '', null, undefined])).toBe('token *** and ***');
  });
});
