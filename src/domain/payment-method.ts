/** How the customer pays. Each provider takes some of these; a payment keeps the one it was made by. */
export enum PaymentMethod {
  /** An invoice sent to the customer's Kaspi app by phone number. */
  KASPI_REMOTE = 'KASPI_REMOTE',
  /** A QR code the customer scans with the Kaspi app. */
  KASPI_QR = 'KASPI_QR',
  /** A link that opens the payment in Kaspi. */
  KASPI_LINK = 'KASPI_LINK',
  /** A CloudPayments invoice page, optionally sent by SMS or e-mail. */
  CLOUDPAYMENTS_LINK = 'CLOUDPAYMENTS_LINK',
}

/** What a method cannot go without, beyond an amount. */
const NEEDS_PHONE: ReadonlySet<PaymentMethod> = new Set([PaymentMethod.KASPI_REMOTE]);

/** Whether a payment by this method can be made with what the caller gave. */
export function hasWhatMethodNeeds(method: PaymentMethod, given: { phone: string | null }): boolean {
  return !NEEDS_PHONE.has(method) || given.phone !== null;
}

/**
 * The method of a payment whose caller named none: the first of the provider's methods (in its
 * order of preference) that can be made with what was given. For Kaspi: an invoice by phone when a
 * phone is given, else a payment link.
 */
export function defaultMethod(offered: Iterable<PaymentMethod>, given: { phone: string | null }): PaymentMethod | null {
  for (const method of offered) if (hasWhatMethodNeeds(method, given)) return method;
  return null;
}
