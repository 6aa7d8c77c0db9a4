import { PaymentMethod } from '../../domain/payment-method';
import type {
  CreatedPayment,
  CreatePaymentRequest,
  PaymentProvider,
  ProviderPaymentState,
  ProviderRefundResult,
  RefundRequest,
  StatusRequest,
} from '../provider';
import { KASPI_PROVIDER_ID } from '../provider-ids';
import { kaspiAmountOrRefuse, kaspiPhoneOrRefuse, refusedLocally, type KaspiTransport } from './kaspi.errors';
import type { KaspiHttp } from './kaspi.http';
import {
  KASPI_METHODS,
  KASPI_STATUS_AFTER_CREATE,
  toCreatedLinkPayment,
  toCreatedPayment,
  toCreatedQrPayment,
  toPaymentState,
  type KaspiQrAnswer,
} from './kaspi.mappers';

/** What a remote invoice's create answers in either mode: the id, and the status word where the mode gives one. */
export interface KaspiRemoteAnswer {
  externalId: string;
  status?: string | null;
}

/**
 * What Kaspi is in either mode: its id and methods, the create flow with its local refusals (the
 * amount, then what the mode itself needs, then the phone, then the method), the status as a Kaspi
 * status word, and the transport to close. Each mode says how its calls go upstream.
 */
export abstract class KaspiModeProvider<CreateCall> implements PaymentProvider {
  readonly id = KASPI_PROVIDER_ID;
  readonly methods = KASPI_METHODS;
  abstract readonly mode: KaspiTransport;
  protected abstract readonly http: KaspiHttp;

  async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
    const facts = { mode: this.mode, operation: 'create' } as const;
    const call = this.createCall(request, kaspiAmountOrRefuse(facts, request.amount));
    switch (request.method) {
      case PaymentMethod.KASPI_REMOTE: {
        const created = await this.createRemote(call, kaspiPhoneOrRefuse(facts, request.phone), request.message);
        return toCreatedPayment(created.externalId, created.status ?? KASPI_STATUS_AFTER_CREATE, null, new Date());
      }
      case PaymentMethod.KASPI_QR:
        return toCreatedQrPayment(await this.createQr(call, request.reference), new Date());
      case PaymentMethod.KASPI_LINK:
        return toCreatedLinkPayment(await this.createLink(call, request.reference), new Date());
      default:
        throw refusedLocally(facts, `Kaspi has no payment method ${String(request.method)}`);
    }
  }

  async getStatus(request: StatusRequest): Promise<ProviderPaymentState> {
    return toPaymentState(request.externalId, await this.statusWord(request));
  }

  abstract refund(request: RefundRequest): Promise<ProviderRefundResult>;

  /** Closes pooled connections; call on shutdown. */
  close(): void {
    this.http.close();
  }

  /** Kaspi's status word for the payment, as this mode asks for it. */
  protected abstract statusWord(request: StatusRequest): Promise<string>;
  /** What every create of this mode sends; refuses what the mode cannot create without. */
  protected abstract createCall(request: CreatePaymentRequest, amount: string): CreateCall;
  protected abstract createRemote(call: CreateCall, phone: string, message: string | null | undefined): Promise<KaspiRemoteAnswer>;
  protected abstract createQr(call: CreateCall, reference: string | null | undefined): Promise<KaspiQrAnswer & { qrToken: string }>;
  protected abstract createLink(call: CreateCall, reference: string | null | undefined): Promise<KaspiQrAnswer & { paymentUrl: string }>;
}
