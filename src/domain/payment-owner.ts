/** Whose a payment is: its shop, the organization (BIN) the shop is routed to, and the provider that takes it. */
export function paymentOwner(payment: { shopId: number; organizationBin: string; provider: string }) {
  return { shopId: payment.shopId, organizationBin: payment.organizationBin, provider: payment.provider };
}
