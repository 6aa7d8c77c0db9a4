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
  type PaymentDetailsData,
  type PaymentReturnData,
  type PaymentStatusData,
  type QrCreateData,
  type QrCreateLinkData,
  type RemoteCancelData,
  type RemoteCreateData,
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

  /** `POST /r3/v01/remote/create`: sends an invoice to the customer's Kaspi app. */
  createRemotePayment(call: RemoteCreateCall): Promise<RemoteCreateData> {
    return this.send(call, {
      operation: 'create',
      method: 'POST',
      path: '/r3/v01/remote/create',
      body: jsonBody({
        OrganizationBin: call.organizationBin,
        Amount: new JsonNumber(call.amount),
        PhoneNumber: call.phoneNumber,
        DeviceToken: call.deviceToken,
        Comment: call.comment ?? undefined,
      }),
      moreSecrets: phoneForms(call.phoneNumber),
      dataSchema: remoteCreateDataSchema,
    });
  }

  /** `POST /r3/v01/qr/create`: a QR code for the customer to scan. */
  createQrPayment(call: QrCreateCall): Promise<QrCreateData> {
    return this.send(call, { operation: 'create', method: 'POST', path: '/r3/v01/qr/create', body: qrCreateBody(call), dataSchema: qrCreateDataSchema });
  }

  /** `POST /r3/v01/qr/create-link`: a link that opens the payment in Kaspi. Same body as `qr/create`. */
  createPaymentLink(call: QrCreateCall): Promise<QrCreateLinkData> {
    return this.send(call, { operation: 'create', method: 'POST', path: '/r3/v01/qr/create-link', body: qrCreateBody(call), dataSchema: qrCreateLinkDataSchema });
  }

  /** `GET /r3/v02/payment/status/{QrPaymentId}`: needs neither the BIN nor the device token. */
  getPaymentStatus(call: { requestId: string; qrPaymentId: string }): Promise<PaymentStatusData> {
    return this.send(call, {
      operation: 'status',
      method: 'GET',
      path: `/r3/v02/payment/status/${encodeURIComponent(call.qrPaymentId)}`,
      dataSchema: paymentStatusDataSchema,
    });
  }

  /** `POST /r3/v01/payment/return`: refunds without the customer. */
  returnPayment(call: PaymentReturnCall): Promise<PaymentReturnData> {
    return this.send(call, {
      operation: 'refund',
      method: 'POST',
      path: '/r3/v01/payment/return',
      body: jsonBody({
        OrganizationBin: call.organizationBin,
        DeviceToken: call.deviceToken,
        QrPaymentId: idValue(call.qrPaymentId),
        Amount: new JsonNumber(call.amount),
      }),
      dataSchema: paymentReturnDataSchema,
    });
  }

  /** `GET /r3/v01/payment/details`: how much of a payment is left to refund. */
  getPaymentDetails(call: PaymentDetailsCall): Promise<PaymentDetailsData> {
    return this.send(call, {
      operation: 'details',
      method: 'GET',
      path: '/r3/v01/payment/details',
      query: { QrPaymentId: call.qrPaymentId, DeviceToken: call.deviceToken },
      dataSchema: paymentDetailsDataSchema,
    });
  }

  /** `POST /r3/v01/remote/cancel`: withdraws an unpaid invoice. */
  cancelRemotePayment(call: RemoteCancelCall): Promise<RemoteCancelData> {
    return this.send(call, {
      operation: 'cancel',
      method: 'POST',
      path: '/r3/v01/remote/cancel',
      body: jsonBody({
        OrganizationBin: call.organizationBin,
        QrPaymentId: idValue(call.qrPaymentId),
        DeviceToken: call.deviceToken,
      }),
      dataSchema: remoteCancelDataSchema,
    });
  }

  /**
   * One r3 call: its timeout is the operation's, and the device token it carries (with any
   * `moreSecrets`) is kept out of every log line and error.
   */
  private async send<S extends z.ZodType>(
    call: { requestId: string; deviceToken?: string },
    spec: {
      operation: KaspiOperation;
      method: 'GET' | 'POST';
      path: string;
      query?: Record<string, string>;
      body?: string;
      moreSecrets?: readonly string[];
      dataSchema: S;
    },
  ): Promise<z.output<S>> {
    const url = joinUrl(this.baseUrl, spec.path);
    for (const [name, value] of Object.entries(spec.query ?? {})) url.searchParams.set(name, value);
    return callKaspi(this.http, R3_DIALECT, spec.dataSchema, {
      operation: spec.operation,
      requestId: call.requestId,
      method: spec.method,
      url,
      body: spec.body,
      timeoutMs: this.timeouts[`${spec.operation}Ms`],
      secrets: [call.deviceToken, ...(spec.moreSecrets ?? [])],
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

function qrCreateBody(call: QrCreateCall): string {
  return jsonBody({
    OrganizationBin: call.organizationBin,
    DeviceToken: call.deviceToken,
    Amount: new JsonNumber(call.amount),
    ExternalId: call.externalId ?? undefined,
  });
}

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

function jsonBody(fields: Record<string, string | JsonNumber | undefined>): string {
  const members: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    members.push(`${JSON.stringify(name)}:${value instanceof JsonNumber ? value.literal : JSON.stringify(value)}`);
  }
  return `{${members.join(',')}}`;
}
