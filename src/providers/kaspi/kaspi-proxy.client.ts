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
  type ProxyCreateData,
  type ProxyLinkCreateData,
  type ProxyQrCreateData,
  type ProxyFailure,
  type ProxyRefundData,
  type ProxyStatusData,
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

  /** `GET create/?phone&amount&message&organizationBin&deviceToken` */
  create(call: ProxyCreateCall): Promise<ProxyCreateData> {
    return this.send(call, {
      operation: 'create',
      path: 'create/',
      query: {
        phone: call.phone,
        amount: call.amount,
        message: call.message || undefined,
        organizationBin: call.organizationBin,
        deviceToken: call.deviceToken ?? undefined,
      },
      moreSecrets: phoneForms(call.phone),
      dataSchema: proxyCreateDataSchema,
    });
  }

  /** `GET create-qr/?amount&organizationBin&deviceToken`: the proxy forwards `qr/create`. */
  createQr(call: ProxyQrCreateCall): Promise<ProxyQrCreateData> {
    return this.send(call, { operation: 'create', path: 'create-qr/', query: qrCreateQuery(call), dataSchema: proxyQrCreateDataSchema });
  }

  /** `GET create-link/?amount&organizationBin&deviceToken`: the proxy forwards `qr/create-link`. */
  createLink(call: ProxyQrCreateCall): Promise<ProxyLinkCreateData> {
    return this.send(call, { operation: 'create', path: 'create-link/', query: qrCreateQuery(call), dataSchema: proxyLinkCreateDataSchema });
  }

  /** `GET status/?externalId` */
  status(call: { requestId: string; externalId: string }): Promise<ProxyStatusData> {
    return this.send(call, { operation: 'status', path: 'status/', query: { externalId: call.externalId }, dataSchema: proxyStatusDataSchema });
  }

  /**
   * `GET refund/?externalId&amount&organizationBin&deviceToken`. This call has been seen answering
   * with an empty body: that is an unknown outcome, never a success.
   */
  refund(call: ProxyRefundCall): Promise<ProxyRefundData> {
    return this.send(call, {
      operation: 'refund',
      path: 'refund/',
      query: {
        externalId: call.externalId,
        amount: call.amount,
        organizationBin: call.organizationBin,
        deviceToken: call.deviceToken ?? undefined,
      },
      dataSchema: proxyRefundDataSchema,
    });
  }

  /**
   * One proxy call: its timeout is the operation's, and the access token and device token it
   * carries (with any `moreSecrets`) are kept out of every log line and error.
   */
  private async send<S extends z.ZodType>(
    call: { requestId: string; deviceToken?: string | null },
    spec: {
      operation: 'create' | 'status' | 'refund';
      path: string;
      query: Record<string, string | undefined>;
      moreSecrets?: readonly string[];
      dataSchema: S;
    },
  ): Promise<z.output<S>> {
    const url = joinUrl(this.baseUrl, spec.path);
    for (const [name, value] of Object.entries(spec.query)) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    url.searchParams.set('access_token', this.accessToken);
    return callKaspi(this.http, PROXY_DIALECT, spec.dataSchema, {
      operation: spec.operation,
      requestId: call.requestId,
      method: 'GET',
      url,
      timeoutMs: this.timeouts[`${spec.operation}Ms`],
      secrets: [this.accessToken, call.deviceToken, ...(spec.moreSecrets ?? [])],
    });
  }
}

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

function qrCreateQuery(call: ProxyQrCreateCall): Record<string, string | undefined> {
  return { amount: call.amount, organizationBin: call.organizationBin, deviceToken: call.deviceToken ?? undefined };
}

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
