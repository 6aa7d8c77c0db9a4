/**
 * Money is whole tiyn (1 tenge = 100 tiyn) everywhere inside the gateway. Tenge appear only at the
 * GraphQL and provider edges, and cross into tiyn here and nowhere else.
 */
export type Tiyn = number;

const TENGE_PATTERN = /^(\d+)(?:\.(\d{1,2}))?$/;

export class InvalidAmountError extends Error {}

/**
 * Converts a tenge amount to tiyn exactly. A third decimal is refused, never rounded.
 * @example tengeToTiyn(100.5) === 10050
 */
export function tengeToTiyn(tenge: number | string): Tiyn {
  const text = typeof tenge === 'number' ? numberToPlainString(tenge) : tenge.trim();
  const match = TENGE_PATTERN.exec(text);
  if (!match) {
    throw new InvalidAmountError('must be a positive amount in tenge with at most two decimal places');
  }
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  const tiyn = whole * 100 + fraction;
  if (!Number.isSafeInteger(tiyn)) {
    throw new InvalidAmountError('is too large');
  }
  return tiyn;
}

/**
 * What any provider is asked to charge or refund: a positive whole number of tiyn. There is no such
 * thing as an invoice or a refund of zero.
 */
export function requireChargeableTiyn(amount: Tiyn): Tiyn {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new InvalidAmountError('must be a positive whole number of tiyn');
  }
  return amount;
}

/** @example tiynToTenge(10050) === 100.5 */
export function tiynToTenge(tiyn: Tiyn): number {
  if (!Number.isSafeInteger(tiyn)) {
    throw new InvalidAmountError('tiyn must be a whole number');
  }
  return tiyn / 100;
}

/** Kaspi and the proxy take tenge as a decimal string: "100", "100.5", "99.99". */
export function tiynToTengeString(tiyn: Tiyn): string {
  const sign = tiyn < 0 ? '-' : '';
  const abs = Math.abs(tiyn);
  const whole = Math.floor(abs / 100);
  const fraction = abs % 100;
  if (fraction === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(fraction).padStart(2, '0').replace(/0$/, '')}`;
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value) || value < 0) return 'invalid';
  // Number#toString switches to exponent form below 1e-6 and above 1e21; neither is a valid amount.
  const text = String(value);
  return /e/i.test(text) ? 'invalid' : text;
}
