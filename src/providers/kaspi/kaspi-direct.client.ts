import type { z } from 'zod';
import { callKaspi, type KaspiDialect } from './kaspi.answer';
import type { KaspiOperation } from './kaspi.errors';
import { joinUrl, phoneForms, type KaspiHttp } from './kaspi.http';
import {
  kaspiEnvelopeSchema,
  paymentDetailsDataSchema,
  paymentReturnDataSchema,
  paymentStatusDataSchema,
  qrCreateDataSchema,
  qrCreateLinkDataSchema,
  remoteCancelDataSchema,
  remoteCreateDataSchema,
} from './kaspi.schemas';

export interface KaspiDirectTimeouts {
  createMs: number;
  statusMs: number;
  refundMs: number;
  detailsMs: number;
  cancelMs: number;
}

export interface RemoteCreateCall {
  requestId: string;
  organizationBin: string;
  /** Tenge as a decimal literal ("100.5"), sent as a JSON number exactly as written. */
  amount: string;
  phoneNumber: string;
  deviceToken: string;
  comment?: string | null;
}

export interface QrCreateCall {
  requestId: string;
  organizationBin: string;
  /** Tenge as a decimal literal ("100.5"). */
  amount: string;
  deviceToken: string;
  /** The merchant's own reference, kept by Kaspi beside its id. */
  externalId?: string | null;
}

export interface PaymentReturnCall {
  requestId: string;
  organizationBin: string;
  deviceToken: string;
  qrPaymentId: string;
  /** Tenge as a decimal literal ("50"). */
  amount: string;
}

export interface PaymentDetailsCall {
  requestId: string;
  qrPaymentId: string;
  deviceToken: string;
}

export interface RemoteCancelCall {
  requestId: string;
  organizationBin: string;
  qrPaymentId: string;
  deviceToken: string;
}

/**
 * Kaspi's r3 API, called directly over mutual TLS: one method per upstream call, each answer checked
 * against its schema, every failure thrown as a provider error.
 */
export class KaspiDirectClient {
  constructor(
    private readonly baseUrl: URL,
    private readonly http: KaspiHttp,
    private readonly timeouts: KaspiDirectTimeouts,
  ) {}

  /** Sends an invoice to the customer's Kaspi app; the phone, in each of its forms, is kept out of logs too. */
  createRemotePayment(call: RemoteCreateCall) {
    return this.send('create', 'POST /r3/v01/remote/create', call, remoteCreateDataSchema, {
      body: ['organizationBin', 'amount', 'phoneNumber', 'deviceToken', 'comment'],
      moreSecrets: phoneForms(call.phoneNumber),
    });
  }

  /** A QR code for the customer to scan. */
  createQrPayment(call: QrCreateCall) {
    return this.send('create', 'POST /r3/v01/qr/create', call, qrCreateDataSchema, { body: QR_CREATE_BODY });
  }

  /** A link that opens the payment in Kaspi; the body is the QR code's. */
  createPaymentLink(call: QrCreateCall) {
    return this.send('create', 'POST /r3/v01/qr/create-link', call, qrCreateLinkDataSchema, { body: QR_CREATE_BODY });
  }

  /** Needs neither the BIN nor the device token: the id travels in the path. */
  getPaymentStatus(call: { requestId: string; qrPaymentId: string }) {
    const path = `/r3/v02/payment/status/${encodeURIComponent(call.qrPaymentId)}`;
    return this.send('status', `GET ${path}`, call, paymentStatusDataSchema, {});
  }

  /** Refunds without the customer. */
  returnPayment(call: PaymentReturnCall) {
    const body = ['organizationBin', 'deviceToken', 'qrPaymentId', 'amount'] as const;
    return this.send('refund', 'POST /r3/v01/payment/return', call, paymentReturnDataSchema, { body });
  }

  /** How much of a payment is left to refund. */
  getPaymentDetails(call: PaymentDetailsCall) {
    return this.send('details', 'GET /r3/v01/payment/details', call, paymentDetailsDataSchema, { query: ['qrPaymentId', 'deviceToken'] });
  }

  /** Withdraws an unpaid invoice. */
  cancelRemotePayment(call: RemoteCancelCall) {
    const body = ['organizationBin', 'qrPaymentId', 'deviceToken'] as const;
    return this.send('cancel', 'POST /r3/v01/remote/cancel', call, remoteCancelDataSchema, { body });
  }

  /**
   * One r3 call to `endpoint` ("POST /r3/v01/…"), carrying the named fields of `call` in its JSON
   * body or its query under Kaspi's names. Its timeout is the operation's, and the device token it
   * carries (with any `moreSecrets`) is kept out of every log line and error.
   */
  private async send<S extends z.ZodType>(
    operation: KaspiOperation,
    endpoint: string,
    call: R3CallFields,
    dataSchema: S,
    carries: { body?: readonly R3Field[]; query?: readonly R3Field[]; moreSecrets?: readonly string[] },
  ): Promise<z.output<S>> {
    const [method, path] = endpoint.split(' ') as ['GET' | 'POST', string];
    const url = joinUrl(this.baseUrl, path);
    for (const field of carries.query ?? []) {
      const value = call[field];
      if (value) url.searchParams.set(R3_FIELDS[field].name, value);
    }
    return callKaspi(this.http, R3_DIALECT, dataSchema, {
      operation,
      requestId: call.requestId,
      method,
      url,
      body: carries.body ? jsonBody(call, carries.body) : undefined,
      timeoutMs: this.timeouts[`${operation}Ms`],
      secrets: [call.deviceToken, ...(carries.moreSecrets ?? [])],
    });
  }
}

/** r3's envelope: `StatusCode` 0 is success; business errors usually come with HTTP 200. */
const R3_DIALECT: KaspiDialect = {
  readFrame(body) {
    const parsed = kaspiEnvelopeSchema.safeParse(body);
    if (!parsed.success) return null;
    const envelope = parsed.data;
    const failed = envelope.StatusCode !== 0;
    return {
      failed,
      failureCode: failed ? String(envelope.StatusCode) : null,
      message: envelope.Message ?? null,
      data: envelope.Data,
    };
  },
  credentialStatuses: new Set(),
  dataName: 'Data',
};

/** A number written into the JSON exactly as given, so that neither tenge nor 64-bit ids pass through a double. */
class JsonNumber {
  constructor(readonly literal: string) {
    if (!/^-?\d+(\.\d+)?$/.test(literal)) throw new RangeError('not a decimal number literal');
  }
}

/** Kaspi's ids are integers: sent as JSON numbers when they look like one, as given otherwise. */
function idValue(id: string): JsonNumber | string {
  return /^\d{1,19}$/.test(id) ? new JsonNumber(id) : id;
}

/** A call's fields as r3 takes them: in its JSON body or query, under Kaspi's names. */
type R3CallFields = { requestId: string } & { [F in R3Field]?: string | null };

/**
 * Kaspi's name for each field an r3 call carries, and how a body writes it: amounts as JSON numbers
 * exactly as given, ids as JSON numbers where they look like one, the rest as strings.
 */
const R3_FIELDS = {
  organizationBin: { name: 'OrganizationBin', write: asString },
  amount: { name: 'Amount', write: (tenge: string) => new JsonNumber(tenge) },
  phoneNumber: { name: 'PhoneNumber', write: asString },
  deviceToken: { name: 'DeviceToken', write: asString },
  comment: { name: 'Comment', write: asString },
  qrPaymentId: { name: 'QrPaymentId', write: idValue },
  externalId: { name: 'ExternalId', write: asString },
} satisfies Record<string, { name: string; write: (value: string) => string | JsonNumber }>;

type R3Field = keyof typeof R3_FIELDS;

/** `qr/create` and `qr/create-link` take the same body. */
const QR_CREATE_BODY: readonly R3Field[] = ['organizationBin', 'deviceToken', 'amount', 'externalId'];

function asString(value: string): string {
  return value;
}

/** The named fields of a call as a JSON body; a field the call leaves out (an optional comment) is not written. */
function jsonBody(call: R3CallFields, fields: readonly R3Field[]): string {
  const members: string[] = [];
  for (const field of fields) {
    const value = call[field];
    if (value === undefined || value === null) continue;
    const written = R3_FIELDS[field].write(value);
    members.push(`${JSON.stringify(R3_FIELDS[field].name)}:${written instanceof JsonNumber ? written.literal : JSON.stringify(written)}`);
  }
  return `{${members.join(',')}}`;
}
