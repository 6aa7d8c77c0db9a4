import { isValidBin } from '../domain/bin';
import { isValidDeviceToken } from '../domain/device-token';
import { InvalidAmountError, tengeToTiyn, type Tiyn } from '../domain/money';
import { normalisePhone } from '../domain/phone';
import { ErrorCode, userError, type UserError } from '../errors';

export const MESSAGE_MAX_LENGTH = 255;
export const DESCRIPTION_MAX_LENGTH = 500;
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
const MAX_INT32 = 2_147_483_647;

/**
 * Collects input problems for one use case, so that a caller learns about all of them at once and
 * nothing is written until the input is whole.
 */
export class InputCheck {
  readonly errors: UserError[] = [];

  get ok(): boolean {
    return this.errors.length === 0;
  }

  fail(field: string[], message: string): void {
    this.errors.push(userError(ErrorCode.BAD_INPUT, message, field));
  }

  shopId(value: number, field = ['input', 'shopId']): number {
    if (!Number.isInteger(value) || value < 1 || value > MAX_INT32) this.fail(field, 'shopId must be a positive integer');
    return value;
  }

  amount(value: number, maxTenge: number, field = ['input', 'amount']): Tiyn {
    try {
      const tiyn = tengeToTiyn(value);
      if (tiyn <= 0) this.fail(field, 'amount must be greater than zero');
      else if (tiyn > tengeToTiyn(maxTenge)) this.fail(field, `amount must not exceed ${maxTenge} tenge`);
      return tiyn;
    } catch (error) {
      if (!(error instanceof InvalidAmountError)) throw error;
      this.fail(field, `amount ${error.message}`);
      return 0;
    }
  }

  phone(value: string, field = ['input', 'phone']): string {
    const phone = normalisePhone(value);
    if (!phone) this.fail(field, 'phone must be a Kazakh mobile number: 7XXXXXXXXXX, +7 XXX XXX XX XX or 8XXXXXXXXXX');
    return phone ?? '';
  }

  email(value: string, field = ['input', 'email']): string {
    const email = value.trim();
    if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) this.fail(field, 'email must be an e-mail address');
    return email;
  }

  bin(value: string, field = ['input', 'organizationBin']): string {
    const bin = value.trim();
    if (!isValidBin(bin)) this.fail(field, 'organizationBin must be a 12-digit BIN with a valid check digit');
    return bin;
  }

  deviceToken(value: string | null | undefined, field = ['input', 'deviceToken']): string | null {
    if (value == null) return null;
    const token = value.trim().toLowerCase();
    if (token === '') return null;
    if (!isValidDeviceToken(token)) this.fail(field, 'deviceToken must be a UUID, as Kaspi device/register returns it');
    return token;
  }

  text(value: string | null | undefined, maxLength: number, field: string[]): string | null {
    if (value == null) return null;
    const text = value.trim();
    if (text.length > maxLength) this.fail(field, `${field[field.length - 1]} must be at most ${maxLength} characters`);
    // Control characters have no place in a message shown in the customer's app or in a log line.
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
      this.fail(field, `${field[field.length - 1]} must not contain control characters`);
    }
    // Half of a UTF-16 pair is no character: PostgreSQL refuses it in JSON and text would store U+FFFD instead.
    if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
      this.fail(field, `${field[field.length - 1]} must be valid Unicode text (it holds half of a surrogate pair)`);
    }
    return text === '' ? null : text;
  }

  idempotencyKey(value: string | null | undefined, field = ['input', 'idempotencyKey']): string | null {
    if (value == null) return null;
    if (value.length < 1 || value.length > IDEMPOTENCY_KEY_MAX_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
      this.fail(field, `idempotencyKey must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters without spaces`);
    }
    return value;
  }

  /** A provider site's credentials, e.g. CloudPayments' Public ID and API secret; the secret is never echoed. */
  merchantAccount(value: { publicId: string; apiSecret: string }, field = ['input', 'cloudPayments']): { publicId: string; apiSecret: string } {
    const publicId = value.publicId.trim();
    const apiSecret = value.apiSecret.trim();
    if (!/^[A-Za-z0-9_-]{4,64}$/.test(publicId)) this.fail([...field, 'publicId'], 'publicId must be the site\'s Public ID: 4 to 64 letters, digits, "_" or "-"');
    if (!/^[\x21-\x7e]{8,128}$/.test(apiSecret)) this.fail([...field, 'apiSecret'], 'apiSecret must be the site\'s API secret: 8 to 128 printable characters without spaces');
    return { publicId, apiSecret };
  }

  externalId(value: string, field = ['input', 'externalId']): string {
    const id = value.trim();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) this.fail(field, 'externalId must be the provider payment id');
    return id;
  }
}
