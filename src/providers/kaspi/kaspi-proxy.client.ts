import type { z } from 'zod';
import { callKaspi, type KaspiDialect } from './kaspi.answer';
import { joinUrl, phoneForms, type KaspiHttp } from './kaspi.http';
import {
  proxyAnswerSchema,
  proxyCreateDataSchema,
  proxyLinkCreateDataSchema,
  proxyQrCreateDataSchema,
  proxyRefundDataSchema,
  proxyStatusDataSchema,
  type ProxyFailure,
} from './kaspi.schemas';

export interface KaspiProxyTimeouts {
  createMs: number;
  statusMs: number;
  refundMs: number;
}

export interface ProxyCreateCall {
  requestId: string;
  /** 7XXXXXXXXXX */
  phone: string;
  /** Tenge as a decimal literal ("100.5"). */
  amount: string;
  message?: string | null;
  organizationBin: string;
  /** Left out for a shop that relies on the proxy's own device. */
  deviceToken: string | null;
}

export interface ProxyQrCreateCall {
  requestId: string;
  /** Tenge as a decimal literal ("100.5"). */
  amount: string;
  organizationBin: string;
  deviceToken: string | null;
}

export interface ProxyRefundCall {
  requestId: string;
  externalId: string;
  /** Tenge as a decimal literal ("50"). */
  amount: string;
  organizationBin: string;
  deviceToken: string | null;
}

/**
 * The merchant-run proxy that holds Kaspi's certificate: GET with query strings for every call,
 * authenticated by `access_token`. Because the token and the phone travel in the URL, the URL is
 * never put into an error, only its path.
 */
export class KaspiProxyClient {
  constructor(
    private readonly baseUrl: URL,
    private readonly accessToken: string,
    private readonly http: KaspiHttp,
    private readonly timeouts: KaspiProxyTimeouts,
  ) {}

  /** Sends an invoice; the phone, in each of its forms, is kept out of logs too. */
  create(call: ProxyCreateCall) {
    const query = ['phone', 'amount', 'message', 'organizationBin', 'deviceToken'] as const;
    return this.send('create', 'create/', call, proxyCreateDataSchema, query, phoneForms(call.phone));
  }

  /** The proxy forwards `qr/create`. */
  createQr(call: ProxyQrCreateCall) {
    return this.send('create', 'create-qr/', call, proxyQrCreateDataSchema, QR_CREATE_QUERY);
  }

  /** The proxy forwards `qr/create-link`, with the QR code's query. */
  createLink(call: ProxyQrCreateCall) {
    return this.send('create', 'create-link/', call, proxyLinkCreateDataSchema, QR_CREATE_QUERY);
  }

  status(call: { requestId: string; externalId: string }) {
    return this.send('status', 'status/', call, proxyStatusDataSchema, ['externalId']);
  }

  /** This call has been seen answering with an empty body: that is an unknown outcome, never a success. */
  refund(call: ProxyRefundCall) {
    const query = ['externalId', 'amount', 'organizationBin', 'deviceToken'] as const;
    return this.send('refund', 'refund/', call, proxyRefundDataSchema, query);
  }

  /**
   * One proxy call: `GET path?…` with the named fields of `call` in the query under the same names,
   * a field the call leaves empty left out. Its timeout is the operation's, and the access token and
   * device token it carries (with any `moreSecrets`) are kept out of every log line and error.
   */
  private async send<S extends z.ZodType>(
    operation: 'create' | 'status' | 'refund',
    path: string,
    call: ProxyCallFields,
    dataSchema: S,
    query: readonly ProxyField[],
    moreSecrets: readonly string[] = [],
  ): Promise<z.output<S>> {
    const url = joinUrl(this.baseUrl, path);
    for (const field of query) {
      const value = call[field];
      if (value) url.searchParams.set(field, value);
    }
    url.searchParams.set('access_token', this.accessToken);
    return callKaspi(this.http, PROXY_DIALECT, dataSchema, {
      operation,
      requestId: call.requestId,
      method: 'GET',
      url,
      timeoutMs: this.timeouts[`${operation}Ms`],
      secrets: [this.accessToken, call.deviceToken, ...moreSecrets],
    });
  }
}

/** The query parameters proxy calls take; a call names them as the proxy does. */
type ProxyField = 'phone' | 'amount' | 'message' | 'organizationBin' | 'deviceToken' | 'externalId';

type ProxyCallFields = { requestId: string } & { [F in ProxyField]?: string | null };

/** `create-qr/` and `create-link/` take the same query. */
const QR_CREATE_QUERY: readonly ProxyField[] = ['amount', 'organizationBin', 'deviceToken'];

/**
 * The proxy's `{status, data}`. A 401/403 is about our access token, whatever the body says.
 */
const PROXY_DIALECT: KaspiDialect = {
  readFrame(body) {
    const parsed = proxyAnswerSchema.safeParse(body);
    if (!parsed.success) return null;
    if (parsed.data.status) return { failed: false, failureCode: null, message: null, data: parsed.data.data };
    const failure = describeProxyFailure(parsed.data);
    return { failed: true, failureCode: failure.code, message: failure.message, data: undefined };
  },
  credentialStatuses: new Set([401, 403]),
  dataName: 'data',
};

/** The first `{code: message}` pair of `data.errors`, else the bare `error` text. */
function describeProxyFailure(failure: ProxyFailure): { code: string | null; message: string | null } {
  const errors = failure.data?.errors;
  const first = errors ? Object.entries(errors)[0] : undefined;
  if (first) return { code: first[0], message: asText(first[1]) };
  return { code: null, message: asText(failure.error) };
}

function asText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join('; ');
  return JSON.stringify(value);
}
