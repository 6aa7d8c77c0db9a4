import type {
  CreatePaymentRequest,
  ProviderPaymentState,
  RefundableAmount,
  RefundRequest,
  ProviderRefundResult,
  RoutingSnapshot,
  StatusRequest,
} from '../provider';
import { KaspiDirectClient, type QrCreateCall } from './kaspi-direct.client';
import { KaspiModeProvider, type KaspiRemoteAnswer } from './kaspi-mode.provider';
import { kaspiAmountOrRefuse, refusedLocally, type KaspiOperation } from './kaspi.errors';
import { KaspiHttp, type KaspiTlsSettings } from './kaspi.http';
import { toPaymentState } from './kaspi.mappers';
import type { ResolvedKaspiTimeouts } from './kaspi.provider';

/** What every create sends, whatever the method. */
type KaspiDirectCreateCall = Omit<QrCreateCall, 'externalId'>;

export interface KaspiDirectProviderOptions {
  baseUrl: URL;
  tls?: KaspiTlsSettings;
  timeouts: ResolvedKaspiTimeouts;
}

/**
 * Kaspi's r3 API over mutual TLS: invoices by phone, QR codes and payment links. Beyond create,
 * status and refund it can say how much of a payment
 * is left to refund (`payment/details`) and withdraw an unpaid invoice (`remote/cancel`).
 */
export class KaspiDirectProvider extends KaspiModeProvider<KaspiDirectCreateCall> {
  readonly mode = 'direct' as const;
  protected readonly http: KaspiHttp;
  private readonly client: KaspiDirectClient;

  constructor(options: KaspiDirectProviderOptions) {
    super();
    const { timeouts } = options;
    this.http = new KaspiHttp({
      mode: this.mode,
      tls: options.tls,
      connectMs: timeouts.connectMs,
      secrets: options.tls?.passphrase ? [options.tls.passphrase] : [],
    });
    this.client = new KaspiDirectClient(options.baseUrl, this.http, {
      createMs: timeouts.createMs,
      statusMs: timeouts.statusMs,
      refundMs: timeouts.refundMs,
      detailsMs: timeouts.statusMs,
      cancelMs: timeouts.createMs,
    });
  }

  protected createCall(request: CreatePaymentRequest, amount: string): KaspiDirectCreateCall {
    return {
      requestId: request.requestId,
      organizationBin: request.routing.organizationBin,
      amount,
      deviceToken: this.requireDeviceToken('create', request.routing),
    };
  }

  protected async createRemote(call: KaspiDirectCreateCall, phone: string, message: string | null | undefined): Promise<KaspiRemoteAnswer> {
    const data = await this.client.createRemotePayment({ ...call, phoneNumber: phone, comment: message });
    return { externalId: data.QrPaymentId };
  }

  /** r3 keeps the merchant's reference beside its own id. */
  protected createQr(call: KaspiDirectCreateCall, reference: string | null | undefined) {
    return this.client.createQrPayment({ ...call, externalId: reference });
  }

  protected createLink(call: KaspiDirectCreateCall, reference: string | null | undefined) {
    return this.client.createPaymentLink({ ...call, externalId: reference });
  }

  protected async statusWord(request: StatusRequest): Promise<string> {
    return this.client.getPaymentStatus({ requestId: request.requestId, qrPaymentId: request.externalId });
  }

  /** Async, so that a local refusal rejects the promise like every other failure. */
  async refund(request: RefundRequest): Promise<ProviderRefundResult> {
    return this.client.returnPayment({
      requestId: request.requestId,
      organizationBin: request.routing.organizationBin,
      deviceToken: this.requireDeviceToken('refund', request.routing),
      qrPaymentId: request.externalId,
      amount: kaspiAmountOrRefuse({ mode: this.mode, operation: 'refund' }, request.amount),
    });
  }

  /** How much of a payment is left to refund (`payment/details`). */
  async getRefundableAmount(request: StatusRequest): Promise<RefundableAmount> {
    const data = await this.client.getPaymentDetails({
      requestId: request.requestId,
      qrPaymentId: request.externalId,
      deviceToken: this.requireDeviceToken('details', request.routing),
    });
    return { total: data.TotalAmount, available: data.AvailableReturnAmount };
  }

  /**
   * Withdraws an unpaid invoice (`remote/cancel`). A broken-off answer is reported as unavailable,
   * not unknown: the next status poll shows whether the invoice was cancelled.
   */
  async cancelPayment(request: StatusRequest): Promise<ProviderPaymentState> {
    const data = await this.client.cancelRemotePayment({
      requestId: request.requestId,
      organizationBin: request.routing.organizationBin,
      qrPaymentId: request.externalId,
      deviceToken: this.requireDeviceToken('cancel', request.routing),
    });
    return toPaymentState(request.externalId, data.Status);
  }

  /** Kaspi's r3 calls other than status need the device token of the payment's own BIN. */
  private requireDeviceToken(operation: KaspiOperation, routing: RoutingSnapshot): string {
    if (!routing.deviceToken) {
      throw refusedLocally({ mode: this.mode, operation }, 'direct mode needs the device token of the payment');
    }
    return routing.deviceToken;
  }
}
