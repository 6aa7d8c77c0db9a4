import type { CreatePaymentRequest, RefundRequest, ProviderRefundResult, StatusRequest } from '../provider';
import { KaspiProxyClient, type ProxyQrCreateCall } from './kaspi-proxy.client';
import { KaspiModeProvider, type KaspiRemoteAnswer } from './kaspi-mode.provider';
import { KaspiConfigurationError, kaspiAmountOrRefuse } from './kaspi.errors';
import { KaspiHttp } from './kaspi.http';
import type { ResolvedKaspiTimeouts } from './kaspi.provider';

export interface KaspiProxyProviderOptions {
  baseUrl: URL;
  accessToken: string;
  timeouts: ResolvedKaspiTimeouts;
}

/**
 * Kaspi through the merchant's proxy (`PRODUCTION_API_URL` + `KASPI_ACCESS_TOKEN`): creates (an
 * invoice by phone at `create/`, a QR code at `create-qr/`, a link at `create-link/`), status and
 * refund; no refundable-amount lookup, no cancel.
 */
export class KaspiProxyProvider extends KaspiModeProvider<ProxyQrCreateCall> {
  readonly mode = 'proxy' as const;
  protected readonly http: KaspiHttp;
  private readonly client: KaspiProxyClient;

  /** @throws KaspiConfigurationError when the access token is empty. */
  constructor(options: KaspiProxyProviderOptions) {
    super();
    if (typeof options.accessToken !== 'string' || options.accessToken.trim() === '') {
      throw new KaspiConfigurationError('the Kaspi proxy needs an access token');
    }
    this.http = new KaspiHttp({ mode: this.mode, connectMs: options.timeouts.connectMs, secrets: [options.accessToken] });
    this.client = new KaspiProxyClient(options.baseUrl, options.accessToken, this.http, options.timeouts);
  }

  protected createCall(request: CreatePaymentRequest, amount: string): ProxyQrCreateCall {
    return {
      requestId: request.requestId,
      amount,
      organizationBin: request.routing.organizationBin,
      deviceToken: request.routing.deviceToken,
    };
  }

  protected createRemote(call: ProxyQrCreateCall, phone: string, message: string | null | undefined): Promise<KaspiRemoteAnswer> {
    return this.client.create({ ...call, phone, message });
  }

  /** The proxy takes no merchant reference. */
  protected createQr(call: ProxyQrCreateCall) {
    return this.client.createQr(call);
  }

  protected createLink(call: ProxyQrCreateCall) {
    return this.client.createLink(call);
  }

  protected async statusWord(request: StatusRequest): Promise<string> {
    return this.client.status({ requestId: request.requestId, externalId: request.externalId });
  }

  /** Async, so that a local refusal rejects the promise like every other failure. */
  async refund(request: RefundRequest): Promise<ProviderRefundResult> {
    return this.client.refund({
      requestId: request.requestId,
      externalId: request.externalId,
      amount: kaspiAmountOrRefuse({ mode: this.mode, operation: 'refund' }, request.amount),
      organizationBin: request.routing.organizationBin,
      deviceToken: request.routing.deviceToken,
    });
  }
}
