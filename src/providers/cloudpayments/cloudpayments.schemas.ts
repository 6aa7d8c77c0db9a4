import { z } from 'zod';
import { upstreamAmountSchema } from '../provider-values';

/**
 * Every answer: `Success` says whether the call worked, not whether money moved. A decline comes
 * as `Success: false` with the transaction in `Model`; a refusal as `Success: false` with a
 * `Message` and no transaction.
 */
export const envelopeSchema = z.object({
  Success: z.boolean(),
  Message: z.string().nullish(),
  Model: z.unknown().optional(),
});
export type CloudPaymentsEnvelope = z.infer<typeof envelopeSchema>;

/** CloudPayments' ids are integers in JSON; kept as strings. */
const transactionIdSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,19}$/)])
  .transform((id) => String(id));

/** `orders/create` → `Model` */
export const orderSchema = z.object({
  Id: z.string().min(1).max(64),
  Number: z.number().int().nullish(),
  Url: z.url({ protocol: /^https?$/ }),
  Amount: upstreamAmountSchema,
  Currency: z.string().nullish(),
  Status: z.string().min(1).max(64).nullish(),
});
export type CloudPaymentsOrder = z.infer<typeof orderSchema>;

/** A transaction, as `v2/payments/find`, `payments/get` and declines carry it. */
export const transactionSchema = z.object({
  TransactionId: transactionIdSchema,
  Amount: upstreamAmountSchema,
  Currency: z.string().nullish(),
  InvoiceId: z.string().nullish(),
  Status: z.string().min(1).max(64),
  Reason: z.string().nullish(),
  ReasonCode: z.number().int().nullish(),
  CardHolderMessage: z.string().nullish(),
  Refunded: z.boolean().nullish(),
});
export type CloudPaymentsTransaction = z.infer<typeof transactionSchema>;

/** `payments/refund` → `Model`: the refund's own transaction id. */
export const refundSchema = z.object({
  TransactionId: transactionIdSchema,
});
export type CloudPaymentsRefund = z.infer<typeof refundSchema>;

// --- notifications (CloudPayments → gateway) ------------------------------------------------------

const formNumber = z.union([z.number(), z.string().trim().regex(/^\d+(\.\d+)?$/).transform(Number)]);
const formAmount = formNumber.pipe(upstreamAmountSchema);
const formId = z.union([z.number().int().nonnegative(), z.string().trim().regex(/^\d{1,19}$/)]).transform((id) => String(id));

/**
 * The fields of a notification that the gateway reads. Form-urlencoded notifications carry every
 * value as text, JSON ones as numbers: both are accepted.
 */
export const notificationSchema = z.object({
  TransactionId: formId,
  Amount: formAmount,
  Currency: z.string().nullish(),
  InvoiceId: z.string().trim().min(1).max(64),
  Status: z.string().max(64).nullish(),
  Reason: z.string().max(200).nullish(),
  ReasonCode: formNumber.nullish(),
  /** `Refund` only: the payment the refund belongs to. */
  PaymentTransactionId: formId.nullish(),
  OperationType: z.string().max(32).nullish(),
});
export type CloudPaymentsNotificationFields = z.infer<typeof notificationSchema>;
