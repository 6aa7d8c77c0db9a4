import type {
  CreatePaymentRequest,
  PaymentProvider,
  ProviderPaymentState,
  RefundRequest,
  RefundResult,
  StatusRequest,
} from '../provider';
import { KASPI_PROVIDER_ID } from '../provider-ids';
import { KaspiProxyClient } from './kaspi-proxy.client';
import { KaspiConfigurationError, kaspiAmountOrRefuse } from './kaspi.errors';
import { KaspiHttp } from './kaspi.http';
import { KASPI_STATUS_AFTER_CREATE, toPaymentState } from './kaspi.mappers';
import type { ResolvedKaspiTimeouts } from './kaspi.provider';

export interface KaspiProxyProviderOptions {
  baseUrl: URL;
  accessToken: string;
  timeouts: ResolvedKaspiTimeouts;
}

/**
 * Kaspi through the merchant's proxy (`PRODUCTION_API_URL` + `KASPI_ACCESS_TOKEN`), which has only
 * create, status and refund: no refundable-amount lookup, no cancel.
 */
export class KaspiProxyProvider implements PaymentProvider {
  readonly id = KASPI_PROVIDER_ID;
  readonly mode = 'proxy' as const;
  private readonly http: KaspiHttp;
  private readonly client: KaspiProxyClient;

  /** @throws KaspiConfigurationError when the access token is empty. */
  constructor(options: KaspiProxyProviderOptions) {
    if (typeof options.accessToken !== 'string' || options.accessToken.trim() === '') {
      throw new KaspiConfigurationError('the Kaspi proxy needs an access token');
    }
    this.http = new KaspiHttp({ mode: this.mode, connectMs: options.timeouts.connectMs, secrets: [options.accessToken] });
    this.client = new KaspiProxyClient(options.baseUrl, options.accessToken, this.http, options.timeouts);
  }

  async createPayment(request: CreatePaymentRequest): Promise<ProviderPaymentState> {
    const data = await this.client.create({
      requestId: request.requestId,
      phone: request.phone,
      amount: kaspiAmountOrRefuse({ mode: this.mode, operation: 'create' }, request.amount),
      message: request.message,
      organizationBin: request.routing.organizationBin,
      deviceToken: request.routing.deviceToken,
    });
    return toPaymentState(data.externalId, data.status ?? KASPI_STATUS_AFTER_CREATE);
  }

  async getStatus(request: StatusRequest): Promise<ProviderPaymentState> {
    const data = await this.client.status({ requestId: request.requestId, externalId: request.externalId });
    return toPaymentState(request.externalId, data.status);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const data = await this.client.refund({
      requestId: request.requestId,
      externalId: request.externalId,
      amount: kaspiAmountOrRefuse({ mode: this.mode, operation: 'refund' }, request.amount),
      organizationBin: request.routing.organizationBin,
      deviceToken: request.routing.deviceToken,
    });
    return { returnOperationId: data?.returnOperationId ?? null };
  }

  /** Closes pooled connections; call on shutdown. */
  close(): void {
    this.http.close();
  }
}
