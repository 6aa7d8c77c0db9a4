import { parseProviderBaseUrl } from '../provider-values';
import { InvalidAmountError, type Tiyn } from '../../domain/money';
import { PaymentMethod } from '../../domain/payment-method';
import type {
  CreatePaymentRequest,
  FindByReferenceRequest,
  PaymentProvider,
  ProviderPaymentState,
  RefundRequest,
  ProviderRefundResult,
  RoutingSnapshot,
  StatusRequest,
} from '../provider';
import { CloudPaymentsClient, type TransactionAnswer } from './cloudpayments.client';
import {
  CLOUDPAYMENTS_PROVIDER_ID,
  CloudPaymentsConfigurationError,
  refusedLocally,
  type CloudPaymentsOperation,
} from './cloudpayments.errors';
import { CloudPaymentsHttp, type CloudPaymentsCredentials } from './cloudpayments.http';
import { cloudPaymentsNotifications } from './cloudpayments.notifications';
import {
  CLOUDPAYMENTS_STATUS_AFTER_CREATE,
  CLOUDPAYMENTS_STATUS_WORDS,
  describeProviderStatus,
  toCloudPaymentsAmount,
} from './cloudpayments.mappers';

export const DEFAULT_CLOUDPAYMENTS_API_URL = 'https://api.cloudpayments.kz';

export interface CloudPaymentsProviderSettings {
  /** `CLOUDPAYMENTS_API_URL`, e.g. `https://api.cloudpayments.kz` or the sandbox's URL. */
  baseUrl: string;
  timeouts?: Partial<Timeouts>;
}

type Timeouts = { createMs: number; statusMs: number; refundMs: number };
const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({ createMs: 15_000, statusMs: 10_000, refundMs: 15_000 });

/**
 * CloudPayments card payments through an invoice page (`orders/create`), looked up by our own
 * reference (`v2/payments/find` by `InvoiceId`), refunded by the paying transaction's id.
 *
 * Each shop has its own CloudPayments site: the Public ID and API secret come with every request's
 * routing, never from the settings. Never retries on its own; `X-Request-ID` is our operation's id,
 * so that CloudPayments answers a repeat within the hour with the first call's result.
 *
 * @example
 * const cloudPayments = createCloudPaymentsProvider({ baseUrl: env.CLOUDPAYMENTS_API_URL });
 * const state = await cloudPayments.createPayment({ requestId, reference: payment.id, routing, amount: 10_050 });
 */
export class CloudPaymentsProvider implements PaymentProvider {
  readonly id = CLOUDPAYMENTS_PROVIDER_ID;
  readonly methods: ReadonlySet<PaymentMethod> = new Set([PaymentMethod.CLOUDPAYMENTS_LINK]);
  readonly requiresMerchantAccount = true;
  /** CloudPayments keeps the answer to an `X-Request-ID` for an hour. */
  readonly idempotencyWindowMs = 60 * 60 * 1000;
  readonly notifications = cloudPaymentsNotifications;
  private readonly http = new CloudPaymentsHttp();
  private readonly client: CloudPaymentsClient;

  /** @throws CloudPaymentsConfigurationError when the URL or a timeout cannot work. */
  constructor(settings: CloudPaymentsProviderSettings) {
    this.client = new CloudPaymentsClient(parseBaseUrl(settings.baseUrl), this.http, resolveTimeouts(settings.timeouts));
  }

  async createPayment(request: CreatePaymentRequest): Promise<ProviderPaymentState> {
    const reference = requireReference('create', request.reference);
    const order = await this.client.createOrder({
      credentials: credentialsOf('create', request.routing),
      requestId: request.requestId,
      operationId: reference,
      amount: this.amount('create', request.amount),
      description: request.message?.trim() || `Payment ${reference}`,
      invoiceId: reference,
      email: request.email,
      phone: request.phone ? `+${request.phone}` : null,
    });
    return {
      externalId: order.Id,
      providerStatus: CLOUDPAYMENTS_STATUS_AFTER_CREATE,
      status: CLOUDPAYMENTS_STATUS_WORDS.meaning(CLOUDPAYMENTS_STATUS_AFTER_CREATE),
      recognised: true,
      paymentUrl: order.Url,
    };
  }

  /** By our reference: the latest transaction for the invoice, or the order still waiting when there is none. */
  async getStatus(request: StatusRequest): Promise<ProviderPaymentState> {
    const found = await this.findPayment({ ...request, reference: requireReference('find', request.reference) });
    return found ?? { externalId: request.externalId, providerStatus: CLOUDPAYMENTS_STATUS_AFTER_CREATE, status: CLOUDPAYMENTS_STATUS_WORDS.meaning('Created'), recognised: true };
  }

  /**
   * The payment found by our own reference, or null when CloudPayments has no transaction for it
   * yet. Unlike Kaspi, this finds a payment whose create answer was lost, once the customer pays.
   */
  async findPayment(request: FindByReferenceRequest & { externalId?: string | null }): Promise<ProviderPaymentState | null> {
    const reference = requireReference('find', request.reference);
    const answer = await this.client.findPayment({
      credentials: credentialsOf('find', request.routing),
      requestId: request.requestId,
      operationId: request.requestId,
      invoiceId: reference,
    });
    return answer ? toPaymentState(answer, request.externalId ?? null) : null;
  }

  async refund(request: RefundRequest): Promise<ProviderRefundResult> {
    if (!request.providerTransactionId) throw refusedLocally('refund', 'the paying transaction of this payment is not known');
    const answer = await this.client.refund({
      credentials: credentialsOf('refund', request.routing),
      requestId: request.requestId,
      operationId: request.operationId ?? request.requestId,
      transactionId: request.providerTransactionId,
      amount: this.amount('refund', request.amount),
    });
    return { returnOperationId: answer.TransactionId };
  }

  /** `orders/cancel`; a broken-off answer is reported as unavailable: the next lookup shows what happened. */
  async cancelPayment(request: StatusRequest): Promise<ProviderPaymentState> {
    await this.client.cancelOrder({
      credentials: credentialsOf('cancel', request.routing),
      requestId: request.requestId,
      operationId: request.requestId,
      orderId: request.externalId,
    });
    return { externalId: request.externalId, providerStatus: 'Cancelled', status: CLOUDPAYMENTS_STATUS_WORDS.meaning('Cancelled'), recognised: true };
  }

  /** Closes pooled connections; call on shutdown. */
  close(): void {
    this.http.close();
  }

  private amount(operation: CloudPaymentsOperation, amount: Tiyn): number {
    try {
      return toCloudPaymentsAmount(amount);
    } catch (error) {
      if (error instanceof InvalidAmountError) throw refusedLocally(operation, `the amount ${error.message}`);
      throw error;
    }
  }
}

/**
 * Our view of a transaction. A decline keeps the payment waiting (the customer may try another
 * card) with the reason in `providerStatus`; an unknown word is reported, never guessed at.
 */
export function toPaymentState(answer: TransactionAnswer, externalId: string | null): ProviderPaymentState {
  const { transaction } = answer;
  const word = transaction.Status;
  const base = {
    externalId: externalId ?? transaction.TransactionId,
    providerStatus: describeProviderStatus(word, transaction.ReasonCode, transaction.Reason),
    providerTransactionId: transaction.TransactionId,
  };
  return { ...base, ...CLOUDPAYMENTS_STATUS_WORDS.read(word) };
}

export function createCloudPaymentsProvider(settings: CloudPaymentsProviderSettings): CloudPaymentsProvider {
  return new CloudPaymentsProvider(settings);
}

function credentialsOf(operation: CloudPaymentsOperation, routing: RoutingSnapshot): CloudPaymentsCredentials {
  const account = routing.account;
  if (!account?.id || !account.secret) throw refusedLocally(operation, "the shop's CloudPayments Public ID and API secret are not configured");
  return { publicId: account.id, apiSecret: account.secret };
}

function requireReference(operation: CloudPaymentsOperation, reference: string | null | undefined): string {
  if (!reference) throw refusedLocally(operation, 'our reference of the payment (InvoiceId) is missing');
  return reference;
}

function parseBaseUrl(baseUrl: string): URL {
  return parseProviderBaseUrl(baseUrl, 'the CloudPayments API URL', (message) => new CloudPaymentsConfigurationError(message));
}

function resolveTimeouts(timeouts: CloudPaymentsProviderSettings['timeouts']): Timeouts {
  const resolved: Timeouts = { ...DEFAULT_TIMEOUTS };
  for (const key of Object.keys(DEFAULT_TIMEOUTS) as (keyof typeof DEFAULT_TIMEOUTS)[]) {
    const value = timeouts?.[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) throw new CloudPaymentsConfigurationError(`the CloudPayments timeout ${key} must be a positive whole number of milliseconds`);
    resolved[key] = value;
  }
  return resolved;
}
