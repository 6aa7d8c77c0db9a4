import { z } from 'zod';
import { upstreamAmountSchema } from '../provider-values';
import { parseKaspiDate, toExternalId } from './kaspi.mappers';

/**
 * Parses an upstream body as JSON without losing 64-bit ids: every integer literal outside a string
 * that a JavaScript number cannot hold exactly is turned into a string before `JSON.parse` sees it.
 * Node 20 has no `JSON.parse` source-text access, hence the scan.
 *
 * @throws SyntaxError when the text is not JSON.
 */
export function parseKaspiJson(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}

const NUMBER_TOKEN = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = endOfString(text, index);
      continue;
    }
    if (char === '-' || (char >= '0' && char <= '9')) {
      NUMBER_TOKEN.lastIndex = index;
      const match = NUMBER_TOKEN.exec(text);
      if (!match) {
        index += 1;
        continue;
      }
      const token = match[0];
      const isInteger = match[1] === undefined && match[2] === undefined;
      if (isInteger && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copiedUpTo, index)}"${token}"`;
        copiedUpTo = index + token.length;
      }
      index += token.length;
      continue;
    }
    index += 1;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/** The index just past the closing quote of the string that opens at `start`. */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === '\\') {
      index += 2;
      continue;
    }
    if (char === '"') return index + 1;
    index += 1;
  }
  return index;
}

/** A Kaspi id (`QrPaymentId`, `externalId`, `ReturnOperationId`): a JSON number or a string, kept as a string. */
export const kaspiIdSchema = z
  .union([z.string().min(1), z.number().int().nonnegative()])
  .transform((raw) => toExternalId(raw));

/**
 * `ExpireDate`, ISO-8601 with Kaspi's offset. An unreadable one is dropped rather than failing the
 * whole answer: the payment exists at Kaspi either way, and the gateway then keeps its own lifetime.
 */
export const kaspiDateSchema = z.unknown().transform((raw) => parseKaspiDate(raw));

/** A timeout or interval in seconds; a value that is not one is dropped for the same reason. */
const kaspiSecondsSchema = z.number().positive().max(7 * 24 * 60 * 60).nullish().catch(null);

/** A page the customer is sent to: only an absolute http(s) URL is passed on to clients. */
const paymentLinkSchema = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}, 'not an http(s) URL');

// --- r3 (direct) ---------------------------------------------------------------------------------
// Each call's data is typed by its schema: the clients return `z.output` of it.

/** Every r3 answer: `StatusCode` 0 is success; business errors usually come with HTTP 200. */
export const kaspiEnvelopeSchema = z.object({
  StatusCode: z.number().int(),
  Message: z.string().nullish(),
  Data: z.unknown().optional(),
});

/** `POST /r3/v01/remote/create` */
export const remoteCreateDataSchema = z.object({
  QrPaymentId: kaspiIdSchema,
});

/**
 * Kaspi's behaviour options of a QR code or a link, in seconds, under the camel-case names the proxy
 * uses. A value that is not a number of seconds is dropped, and so is an unreadable whole: they only
 * shorten or lengthen the gateway's own wait.
 */
const behaviorOptionsSchema = z
  .object({
    statusPollingInterval: kaspiSecondsSchema,
    qrCodeScanWaitTimeout: kaspiSecondsSchema,
    linkActivationWaitTimeout: kaspiSecondsSchema,
    paymentConfirmationTimeout: kaspiSecondsSchema,
  })
  .nullish()
  .catch(null);

/**
 * `QrPaymentBehaviorOptions` of `qr/create` and `PaymentBehaviorOptions` of `qr/create-link`: r3
 * spells the same options with a capital first letter, so they are read by the proxy's schema once
 * their names are lowered, and both modes map them in one place.
 */
const r3BehaviorOptionsSchema = z.preprocess(lowerFirstLetterOfKeys, behaviorOptionsSchema);

function lowerFirstLetterOfKeys(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key.charAt(0).toLowerCase() + key.slice(1), value]));
}

/** `POST /r3/v01/qr/create`: the QR token is what makes the answer usable. Read into the answer both modes share. */
export const qrCreateDataSchema = z
  .object({
    QrToken: z.string().min(1),
    ExpireDate: kaspiDateSchema,
    QrPaymentId: kaspiIdSchema,
    QrPaymentBehaviorOptions: r3BehaviorOptionsSchema,
  })
  .transform((data) => ({
    externalId: data.QrPaymentId,
    qrToken: data.QrToken,
    expireDate: data.ExpireDate,
    options: data.QrPaymentBehaviorOptions,
  }));

/** `POST /r3/v01/qr/create-link` */
export const qrCreateLinkDataSchema = z
  .object({
    PaymentLink: paymentLinkSchema,
    ExpireDate: kaspiDateSchema,
    PaymentId: kaspiIdSchema,
    PaymentBehaviorOptions: r3BehaviorOptionsSchema,
  })
  .transform((data) => ({
    externalId: data.PaymentId,
    paymentUrl: data.PaymentLink,
    expireDate: data.ExpireDate,
    options: data.PaymentBehaviorOptions,
  }));

/** `GET /r3/v02/payment/status/{QrPaymentId}`; only the status word is used. */
export const paymentStatusDataSchema = z.object({ Status: z.string().min(1) }).transform((data) => data.Status);

/** `POST /r3/v01/payment/return`; `StatusCode` 0 is the proof of the refund, the id is a bonus. */
export const paymentReturnDataSchema = z
  .object({ ReturnOperationId: kaspiIdSchema.nullish() })
  .nullish()
  .transform((data) => ({ returnOperationId: data?.ReturnOperationId ?? null }));

/** `GET /r3/v01/payment/details` */
export const paymentDetailsDataSchema = z.object({
  TotalAmount: upstreamAmountSchema,
  AvailableReturnAmount: upstreamAmountSchema,
});

/** `POST /r3/v01/remote/cancel` */
export const remoteCancelDataSchema = z.object({
  Status: z.string().min(1),
});

// --- the merchant's proxy ------------------------------------------------------------------------

const proxySuccessSchema = z.object({
  status: z.literal(true),
  data: z.unknown().optional(),
});

const proxyFailureSchema = z.object({
  status: z.literal(false),
  data: z
    .object({
      errors: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
  error: z.unknown().optional(),
});

/** Every proxy answer: `{status: true, data}` or `{status: false, data: {errors: {code: message}}}` / `{status: false, error}`. */
export const proxyAnswerSchema = z.discriminatedUnion('status', [proxySuccessSchema, proxyFailureSchema]);
export type ProxyFailure = z.infer<typeof proxyFailureSchema>;

/** `create/`: the id is what matters; the status word is sometimes left out. */
export const proxyCreateDataSchema = z.object({
  externalId: kaspiIdSchema,
  status: z.string().min(1).nullish(),
});

/** `create-qr/` (forwards `qr/create`) */
export const proxyQrCreateDataSchema = z
  .object({
    externalId: kaspiIdSchema,
    qrToken: z.string().min(1),
    expireDate: kaspiDateSchema,
    status: z.string().min(1).nullish(),
    behaviorOptions: behaviorOptionsSchema,
  })
  .transform(({ behaviorOptions, ...data }) => ({ ...data, options: behaviorOptions }));

/** `create-link/` (forwards `qr/create-link`) */
export const proxyLinkCreateDataSchema = z
  .object({
    externalId: kaspiIdSchema,
    paymentLink: paymentLinkSchema,
    expireDate: kaspiDateSchema,
    status: z.string().min(1).nullish(),
    behaviorOptions: behaviorOptionsSchema,
  })
  .transform(({ behaviorOptions, paymentLink, ...data }) => ({ ...data, paymentUrl: paymentLink, options: behaviorOptions }));

/** `status/` */
export const proxyStatusDataSchema = z
  .object({ externalId: kaspiIdSchema.nullish(), status: z.string().min(1) })
  .transform((data) => data.status);

/** `refund/`: `status: true` is the proof of the refund, the id is a bonus. */
export const proxyRefundDataSchema = z
  .object({ returnOperationId: kaspiIdSchema.nullish() })
  .nullish()
  .transform((data) => ({ returnOperationId: data?.returnOperationId ?? null }));
