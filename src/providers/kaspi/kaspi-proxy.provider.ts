import { PaymentMethod } from '../../domain/payment-method';
import type {
  CreatedPayment,
  CreatePaymentRequest,
  PaymentProvider,
  ProviderPaymentState,
  RefundRequest,
  ProviderRefundResult,
  StatusRequest,
} from '../provider';
import { KASPI_PROVIDER_ID } from '../provider-ids';
import { KaspiProxyClient } from './kaspi-proxy.client';
import { KaspiConfigurationError, kaspiAmountOrRefuse, kaspiPhoneOrRefuse, refusedLocally } from './kaspi.errors';
import { KaspiHttp } from './kaspi.http';
import {
  KASPI_METHODS,
  KASPI_STATUS_AFTER_CREATE,
  toCreatedLinkPayment,
  toCreatedPayment,
  toCreatedQrPayment,
  toPaymentState,
} from './kaspi.mappers';
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
export class KaspiProxyProvider implements PaymentProvider {
  readonly id = KASPI_PROVIDER_ID;
  readonly mode = 'proxy' as const;
  readonly methods = KASPI_METHODS;
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

  async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
    const facts = { mode: this.mode, operation: 'create' } as const;
    const call = {
      requestId: request.requestId,
      amount: kaspiAmountOrRefuse(facts, request.amount),
      organizationBin: request.routing.organizationBin,
      deviceToken: request.routing.deviceToken,
    };
    switch (request.method) {
      case PaymentMethod.KASPI_REMOTE: {
        const data = await this.client.create({ ...call, phone: kaspiPhoneOrRefuse(facts, request.phone), message: request.message });
        return toCreatedPayment(data.externalId, data.status ?? KASPI_STATUS_AFTER_CREATE, null, new Date());
      }
      case PaymentMethod.KASPI_QR: {
        const data = await this.client.createQr(call);
        return toCreatedQrPayment({ ...data, options: data.behaviorOptions }, new Date());
      }
      case PaymentMethod.KASPI_LINK: {
        const data = await this.client.createLink(call);
        return toCreatedLinkPayment({ ...data, paymentUrl: data.paymentLink, options: data.behaviorOptions }, new Date());
      }
      default:
        throw refusedLocally(facts, `Kaspi has no payment method ${String(request.method)}`);
    }
  }

  async getStatus(request: StatusRequest): Promise<ProviderPaymentState> {
    const data = await this.client.status({ requestId: request.requestId, externalId: request.externalId });
    return toPaymentState(request.externalId, data.status);
  }

  async refund(request: RefundRequest): Promise<ProviderRefundResult> {
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
