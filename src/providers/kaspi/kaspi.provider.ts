import { InvalidAmountError, type Tiyn } from '../../domain/money';
import type {
  CreatePaymentRequest,
  PaymentProvider,
  ProviderCapabilities,
  ProviderPaymentState,
  RefundableAmount,
  RefundRequest,
  RefundResult,
  RoutingSnapshot,
  StatusRequest,
} from '../provider';
import { KaspiDirectClient } from './kaspi-direct.client';
import { KaspiProxyClient } from './kaspi-proxy.client';
import {
  KASPI_PROVIDER_ID,
  KaspiConfigurationError,
  refusedLocally,
  type KaspiMode,
  type KaspiOperation,
} from './kaspi.errors';
import { KaspiHttp, type KaspiTlsSettings } from './kaspi.http';
import { KASPI_STATUS_AFTER_CREATE, toKaspiAmount, toPaymentState } from './kaspi.mappers';

export type { KaspiTlsSettings } from './kaspi.http';

/** Deadlines for the upstream calls, in milliseconds. Every call has one. */
export interface KaspiTimeouts {
  /** `remote/create` (proxy `create/`); also used for `remote/cancel`. */
  createMs: number;
  /** `payment/status` (proxy `status/`); also used for `payment/details`. */
  statusMs: number;
  /** `payment/return` (proxy `refund/`). */
  refundMs: number;
  /** How long to wait for a new connection (TLS handshake included); a call that never connected sent nothing. */
  connectMs?: number;
}

export const DEFAULT_KASPI_TIMEOUTS: Readonly<Required<KaspiTimeouts>> = Object.freeze({
  createMs: 15_000,
  statusMs: 10_000,
  refundMs: 15_000,
  connectMs: 5_000,
});

/** Through the merchant's proxy (`PRODUCTION_API_URL` + `KASPI_ACCESS_TOKEN`): create, status and refund only. */
export interface KaspiProxySettings {
  mode: 'proxy';
  /** `PRODUCTION_API_URL`; calls go to `{baseUrl}/create/`, `/status/`, `/refund/`. */
  baseUrl: string;
  accessToken: string;
  timeouts?: Partial<KaspiTimeouts>;
}

/** Straight to Kaspi's r3 API over mutual TLS, e.g. `https://qrapi-cert-ip.kaspi.kz`. */
export interface KaspiDirectSettings {
  mode: 'direct';
  baseUrl: string;
  /** Optional so that plain HTTP to a sandbox works; Kaspi itself answers −10000 without a certificate. */
  tls?: KaspiTlsSettings;
  timeouts?: Partial<KaspiTimeouts>;
}

export type KaspiProviderSettings = KaspiProxySettings | KaspiDirectSettings;

const DIRECT_CAPABILITIES: ProviderCapabilities = Object.freeze({
  partialRefund: true,
  multipleRefunds: true,
  refundableAmountLookup: true,
  cancel: true,
});

/** The proxy only has create, status and refund. */
const PROXY_CAPABILITIES: ProviderCapabilities = Object.freeze({
  partialRefund: true,
  multipleRefunds: true,
  refundableAmountLookup: false,
  cancel: false,
});

type Upstream = { mode: 'direct'; client: KaspiDirectClient } | { mode: 'proxy'; client: KaspiProxyClient };

/**
 * Kaspi Pay remote payments (an invoice pushed to the customer's Kaspi app by phone number), reached
 * either directly over mutual TLS or through the merchant's proxy.
 *
 * Never retries on its own. Throws only the provider errors of `../provider`: a rejection carries
 * Kaspi's code as `providerCode` ("-1501", "HTTP_401"), −999 is unavailable with code "-999", and a
 * create or refund that broke off after it was sent is an unknown outcome. Each error's `cause` is a
 * {@link KaspiCallFailure} with the call's facts (path, X-Request-ID, HTTP status, Kaspi's message)
 * and no secret.
 *
 * `getRefundableAmount` and `cancelPayment` exist only in direct mode, as `capabilities` says.
 *
 * @example
 * const kaspi = createKaspiProvider({ mode: 'proxy', baseUrl: env.PRODUCTION_API_URL, accessToken: env.KASPI_ACCESS_TOKEN });
 * const state = await kaspi.createPayment({ requestId, routing, amount: 10_050, phone: '77015211545' });
 */
export class KaspiProvider implements PaymentProvider {
  readonly id = KASPI_PROVIDER_ID;
  readonly mode: KaspiMode;
  readonly capabilities: ProviderCapabilities;

  /** Direct mode only: how much of a payment is left to refund (`payment/details`). */
  readonly getRefundableAmount?: (request: StatusRequest) => Promise<RefundableAmount>;

  /**
   * Direct mode only: withdraws an unpaid invoice (`remote/cancel`). A broken-off answer is reported
   * as unavailable, not unknown: the next status poll shows whether the invoice was cancelled.
   */
  readonly cancelPayment?: (request: StatusRequest) => Promise<ProviderPaymentState>;

  private readonly http: KaspiHttp;
  private readonly upstream: Upstream;

  /** @throws KaspiConfigurationError when the settings cannot work (bad URL, empty token, unreadable certificate). */
  constructor(settings: KaspiProviderSettings) {
    const baseUrl = parseBaseUrl(settings.baseUrl);
    const timeouts = resolveTimeouts(settings.timeouts);
    this.mode = settings.mode;
    if (settings.mode === 'direct') {
      this.http = new KaspiHttp({
        mode: 'direct',
        tls: settings.tls,
        connectMs: timeouts.connectMs,
        secrets: settings.tls?.passphrase ? [settings.tls.passphrase] : [],
      });
      const client = new KaspiDirectClient(baseUrl, this.http, {
        createMs: timeouts.createMs,
        statusMs: timeouts.statusMs,
        refundMs: timeouts.refundMs,
        detailsMs: timeouts.statusMs,
        cancelMs: timeouts.createMs,
      });
      this.upstream = { mode: 'direct', client };
      this.capabilities = DIRECT_CAPABILITIES;
      this.getRefundableAmount = (request) => this.lookUpRefundableAmount(client, request);
      this.cancelPayment = (request) => this.cancelUnpaid(client, request);
    } else {
      if (typeof settings.accessToken !== 'string' || settings.accessToken.trim() === '') {
        throw new KaspiConfigurationError('the Kaspi proxy needs an access token');
      }
      this.http = new KaspiHttp({ mode: 'proxy', connectMs: timeouts.connectMs, secrets: [settings.accessToken] });
      const client = new KaspiProxyClient(baseUrl, settings.accessToken, this.http, timeouts);
      this.upstream = { mode: 'proxy', client };
      this.capabilities = PROXY_CAPABILITIES;
    }
  }

  async createPayment(request: CreatePaymentRequest): Promise<ProviderPaymentState> {
    const amount = this.kaspiAmount('create', request.amount);
    if (this.upstream.mode === 'direct') {
      const data = await this.upstream.client.createRemotePayment({
        requestId: request.requestId,
        organizationBin: request.routing.organizationBin,
        amount,
        phoneNumber: request.phone,
        deviceToken: this.requireDeviceToken('create', request.routing),
        comment: request.message,
      });
      return toPaymentState(data.QrPaymentId, KASPI_STATUS_AFTER_CREATE);
    }
    const data = await this.upstream.client.create({
      requestId: request.requestId,
      phone: request.phone,
      amount,
      message: request.message,
      organizationBin: request.routing.organizationBin,
      deviceToken: request.routing.deviceToken,
    });
    return toPaymentState(data.externalId, data.status ?? KASPI_STATUS_AFTER_CREATE);
  }

  async getStatus(request: StatusRequest): Promise<ProviderPaymentState> {
    if (this.upstream.mode === 'direct') {
      const data = await this.upstream.client.getPaymentStatus({
        requestId: request.requestId,
        qrPaymentId: request.externalId,
      });
      return toPaymentState(request.externalId, data.Status);
    }
    const data = await this.upstream.client.status({ requestId: request.requestId, externalId: request.externalId });
    return toPaymentState(request.externalId, data.status);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const amount = this.kaspiAmount('refund', request.amount);
    if (this.upstream.mode === 'direct') {
      const data = await this.upstream.client.returnPayment({
        requestId: request.requestId,
        organizationBin: request.routing.organizationBin,
        deviceToken: this.requireDeviceToken('refund', request.routing),
        qrPaymentId: request.externalId,
        amount,
      });
      return { returnOperationId: data?.ReturnOperationId ?? null };
    }
    const data = await this.upstream.client.refund({
      requestId: request.requestId,
      externalId: request.externalId,
      amount,
      organizationBin: request.routing.organizationBin,
      deviceToken: request.routing.deviceToken,
    });
    return { returnOperationId: data?.returnOperationId ?? null };
  }

  /** Closes pooled connections; call on shutdown. */
  close(): void {
    this.http.close();
  }

  private async lookUpRefundableAmount(client: KaspiDirectClient, request: StatusRequest): Promise<RefundableAmount> {
    const data = await client.getPaymentDetails({
      requestId: request.requestId,
      qrPaymentId: request.externalId,
      deviceToken: this.requireDeviceToken('details', request.routing),
    });
    return { total: data.TotalAmount, available: data.AvailableReturnAmount };
  }

  private async cancelUnpaid(client: KaspiDirectClient, request: StatusRequest): Promise<ProviderPaymentState> {
    const data = await client.cancelRemotePayment({
      requestId: request.requestId,
      organizationBin: request.routing.organizationBin,
      qrPaymentId: request.externalId,
      deviceToken: this.requireDeviceToken('cancel', request.routing),
    });
    return toPaymentState(request.externalId, data.Status);
  }

  private kaspiAmount(operation: KaspiOperation, amount: Tiyn): string {
    try {
      return toKaspiAmount(amount);
    } catch (error) {
      if (error instanceof InvalidAmountError) {
        throw refusedLocally({ mode: this.mode, operation }, `the amount ${error.message}`);
      }
      throw error;
    }
  }

  /** Kaspi's r3 calls other than status need the device token of the payment's own BIN. */
  private requireDeviceToken(operation: KaspiOperation, routing: RoutingSnapshot): string {
    if (!routing.deviceToken) {
      throw refusedLocally({ mode: this.mode, operation }, 'direct mode needs the device token of the payment');
    }
    return routing.deviceToken;
  }
}

/**
 * Builds the Kaspi provider from its settings, once, at start-up.
 * @throws KaspiConfigurationError when the settings cannot work.
 */
export function createKaspiProvider(settings: KaspiProviderSettings): KaspiProvider {
  return new KaspiProvider(settings);
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    // The URL itself is not echoed: it may carry credentials.
    throw new KaspiConfigurationError('the Kaspi base URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KaspiConfigurationError('the Kaspi base URL must use http or https');
  }
  return url;
}

function resolveTimeouts(timeouts: Partial<KaspiTimeouts> | undefined): Required<KaspiTimeouts> {
  const resolved = { ...DEFAULT_KASPI_TIMEOUTS };
  for (const key of Object.keys(DEFAULT_KASPI_TIMEOUTS) as (keyof KaspiTimeouts)[]) {
    const value = timeouts?.[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0 || value > 2_147_483_647) {
      throw new KaspiConfigurationError(`the Kaspi timeout ${key} must be a positive whole number of milliseconds`);
    }
    resolved[key] = value;
  }
  return resolved;
}
