import { PaymentMethod } from '../../domain/payment-method';
import type {
  CreatedPayment,
  CreatePaymentRequest,
  PaymentProvider,
  ProviderPaymentState,
  RefundableAmount,
  RefundRequest,
  ProviderRefundResult,
  RoutingSnapshot,
  StatusRequest,
} from '../provider';
import { KASPI_PROVIDER_ID } from '../provider-ids';
import { KaspiDirectClient } from './kaspi-direct.client';
import { kaspiAmountOrRefuse, kaspiPhoneOrRefuse, refusedLocally, type KaspiOperation } from './kaspi.errors';
import { KaspiHttp, type KaspiTlsSettings } from './kaspi.http';
import {
  KASPI_METHODS,
  KASPI_STATUS_AFTER_CREATE,
  toCreatedLinkPayment,
  toCreatedPayment,
  toCreatedQrPayment,
  toPaymentState,
} from './kaspi.mappers';
import type { ResolvedKaspiTimeouts } from './kaspi.provider';

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
export class KaspiDirectProvider implements PaymentProvider {
  readonly id = KASPI_PROVIDER_ID;
  readonly mode = 'direct' as const;
  readonly methods = KASPI_METHODS;
  private readonly http: KaspiHttp;
  private readonly client: KaspiDirectClient;

  constructor(options: KaspiDirectProviderOptions) {
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

  async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
    const facts = { mode: this.mode, operation: 'create' } as const;
    const amount = kaspiAmountOrRefuse(facts, request.amount);
    const call = {
      requestId: request.requestId,
      organizationBin: request.routing.organizationBin,
      amount,
      deviceToken: this.requireDeviceToken('create', request.routing),
    };
    switch (request.method) {
      case PaymentMethod.KASPI_REMOTE: {
        const data = await this.client.createRemotePayment({
          ...call,
          phoneNumber: kaspiPhoneOrRefuse(facts, request.phone),
          comment: request.message,
        });
        return toCreatedPayment(data.QrPaymentId, KASPI_STATUS_AFTER_CREATE, null, new Date());
      }
      case PaymentMethod.KASPI_QR: {
        const data = await this.client.createQrPayment({ ...call, externalId: request.reference });
        return toCreatedQrPayment(
          { externalId: data.QrPaymentId, qrToken: data.QrToken, expireDate: data.ExpireDate, options: data.QrPaymentBehaviorOptions },
          new Date(),
        );
      }
      case PaymentMethod.KASPI_LINK: {
        const data = await this.client.createPaymentLink({ ...call, externalId: request.reference });
        return toCreatedLinkPayment(
          { externalId: data.PaymentId, paymentUrl: data.PaymentLink, expireDate: data.ExpireDate, options: data.PaymentBehaviorOptions },
          new Date(),
        );
      }
      default:
        throw refusedLocally(facts, `Kaspi has no payment method ${String(request.method)}`);
    }
  }

  async getStatus(request: StatusRequest): Promise<ProviderPaymentState> {
    const data = await this.client.getPaymentStatus({ requestId: request.requestId, qrPaymentId: request.externalId });
    return toPaymentState(request.externalId, data.Status);
  }

  async refund(request: RefundRequest): Promise<ProviderRefundResult> {
    const data = await this.client.returnPayment({
      requestId: request.requestId,
      organizationBin: request.routing.organizationBin,
      deviceToken: this.requireDeviceToken('refund', request.routing),
      qrPaymentId: request.externalId,
      amount: kaspiAmountOrRefuse({ mode: this.mode, operation: 'refund' }, request.amount),
    });
    return { returnOperationId: data?.ReturnOperationId ?? null };
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

  /** Closes pooled connections; call on shutdown. */
  close(): void {
    this.http.close();
  }

  /** Kaspi's r3 calls other than status need the device token of the payment's own BIN. */
  private requireDeviceToken(operation: KaspiOperation, routing: RoutingSnapshot): string {
    if (!routing.deviceToken) {
      throw refusedLocally({ mode: this.mode, operation }, 'direct mode needs the device token of the payment');
    }
    return routing.deviceToken;
  }
}
