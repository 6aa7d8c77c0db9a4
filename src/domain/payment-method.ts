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
