import type { z } from 'zod';
import {
  noUsableAnswer,
  rejectedByCloudPayments,
  rejectedByHttpStatus,
  unavailableByHttpStatus,
  type CloudPaymentsOperation,
} from './cloudpayments.errors';
import type { CloudPaymentsCredentials, CloudPaymentsHttp, CloudPaymentsHttpAnswer } from './cloudpayments.http';
import {
  envelopeSchema,
  orderSchema,
  refundSchema,
  transactionSchema,
  type CloudPaymentsOrder,
  type CloudPaymentsRefund,
  type CloudPaymentsTransaction,
} from './cloudpayments.schemas';

export interface CloudPaymentsTimeouts {
  createMs: number;
  statusMs: number;
  refundMs: number;
}

/** What every call carries: the site's credentials, our request id, and our operation's id. */
export interface CloudPaymentsCall {
  credentials: CloudPaymentsCredentials;
  requestId: string;
  /** Sent as `X-Request-ID`; a repeat within an hour is answered with the first call's result. */
  operationId: string;
}

export interface CreateOrderCall extends CloudPaymentsCall {
  /** Decimal currency units (100.5). */
  amount: number;
  description: string;
  invoiceId: string;
  email?: string | null;
  phone?: string | null;
}

/** A transaction, or a refusal that came with one (a decline): `Success` tells which. */
export interface TransactionAnswer {
  success: boolean;
  transaction: CloudPaymentsTransaction;
}

/**
 * CloudPayments' API: one method per upstream call, every answer checked against its schema, every
 * failure thrown as a provider error.
 */
export class CloudPaymentsClient {
  constructor(
    private readonly baseUrl: URL,
    private readonly http: CloudPaymentsHttp,
    private readonly timeouts: CloudPaymentsTimeouts,
  ) {}

  /** `orders/create`: an invoice page for one stage (`RequireConfirmation: false`), in KZT. */
  async createOrder(call: CreateOrderCall): Promise<CloudPaymentsOrder> {
    const answer = await this.send('create', 'orders/create', call, this.timeouts.createMs, {
      Amount: call.amount,
      Currency: 'KZT',
      Description: call.description,
      InvoiceId: call.invoiceId,
      RequireConfirmation: false,
      ...(call.email ? { Email: call.email, SendEmail: true } : {}),
      ...(call.phone ? { Phone: call.phone, SendSms: true } : {}),
    });
    return readModel(answer, orderSchema);
  }

  /** `orders/cancel`: withdraws an unpaid invoice. */
  async cancelOrder(call: CloudPaymentsCall & { orderId: string }): Promise<void> {
    const answer = await this.send('cancel', 'orders/cancel', call, this.timeouts.createMs, { Id: call.orderId });
    readModel(answer, null);
  }

  /**
   * `v2/payments/find`: the latest transaction for our invoice, or null when the customer has not
   * tried to pay yet.
   */
  async findPayment(call: CloudPaymentsCall & { invoiceId: string }): Promise<TransactionAnswer | null> {
    const answer = await this.send('find', 'v2/payments/find', call, this.timeouts.statusMs, { InvoiceId: call.invoiceId });
    return readTransaction(answer, { notFoundIsNull: true });
  }

  /** `payments/get`: one transaction by its id. */
  async getPayment(call: CloudPaymentsCall & { transactionId: string }): Promise<TransactionAnswer> {
    const answer = await this.send('get', 'payments/get', call, this.timeouts.statusMs, { TransactionId: Number(call.transactionId) });
    return readTransaction(answer, { notFoundIsNull: false })!;
  }

  /** `payments/refund`: part or all of a completed payment; answers the refund's own transaction id. */
  async refund(call: CloudPaymentsCall & { transactionId: string; amount: number }): Promise<CloudPaymentsRefund> {
    const answer = await this.send('refund', 'payments/refund', call, this.timeouts.refundMs, {
      TransactionId: Number(call.transactionId),
      Amount: call.amount,
    });
    return readModel(answer, refundSchema);
  }

  private send(
    operation: CloudPaymentsOperation,
    path: string,
    call: CloudPaymentsCall,
    timeoutMs: number,
    body: Record<string, unknown>,
  ): Promise<CloudPaymentsHttpAnswer> {
    const url = new URL(this.baseUrl.toString());
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path}`;
    return this.http.send({
      operation,
      requestId: call.requestId,
      operationId: call.operationId,
      url,
      body,
      credentials: call.credentials,
      timeoutMs,
    });
  }
}

type Envelope = { envelope: z.infer<typeof envelopeSchema>; answer: CloudPaymentsHttpAnswer };

/**
 * Reads the HTTP status and the envelope. 429 and 408 mean "did nothing, come back later"; 5xx, an
 * empty or non-JSON body after the request left leave the outcome unknown for create and refund.
 */
function readEnvelope(answer: CloudPaymentsHttpAnswer): Envelope {
  const status = answer.httpStatus;
  if (status === 408 || status === 429) throw unavailableByHttpStatus(answer.facts);
  if (status >= 500) throw noUsableAnswer(answer.facts, `HTTP ${status}`);
  if (status < 200 || status >= 300) throw rejectedByHttpStatus(answer.facts);
  let json: unknown;
  try {
    json = answer.bodyText.trim() === '' ? undefined : JSON.parse(answer.bodyText);
  } catch {
    throw noUsableAnswer(answer.facts, `the answer was not JSON (HTTP ${status})`);
  }
  if (json === undefined) throw noUsableAnswer(answer.facts, `the answer was empty (HTTP ${status})`);
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) throw noUsableAnswer(answer.facts, `the answer did not have the expected shape (HTTP ${status})`);
  const message = parsed.data.Message ? parsed.data.Message.slice(0, 300) : null;
  return { envelope: parsed.data, answer: { ...answer, facts: { ...answer.facts, upstreamMessage: message } } };
}

function readModel<S extends z.ZodType>(answer: CloudPaymentsHttpAnswer, schema: S): z.output<S>;
function readModel(answer: CloudPaymentsHttpAnswer, schema: null): void;
function readModel<S extends z.ZodType>(answer: CloudPaymentsHttpAnswer, schema: S | null): z.output<S> | void {
  const { envelope, answer: read } = readEnvelope(answer);
  if (!envelope.Success) throw rejectedByCloudPayments(read.facts, reasonCodeOf(envelope.Model));
  if (schema === null) return;
  const model = schema.safeParse(envelope.Model);
  if (!model.success) throw noUsableAnswer(read.facts, 'the answer\'s Model did not have the expected shape');
  return model.data;
}

/**
 * A transaction comes back with `Success: true` or, declined, with `Success: false`: both are the
 * transaction. `Success: false` without one is a refusal, or "not found" where that is an answer.
 */
function readTransaction(answer: CloudPaymentsHttpAnswer, options: { notFoundIsNull: boolean }): TransactionAnswer | null {
  const { envelope, answer: read } = readEnvelope(answer);
  const transaction = transactionSchema.safeParse(envelope.Model);
  if (transaction.success) return { success: envelope.Success, transaction: transaction.data };
  if (envelope.Success) throw noUsableAnswer(read.facts, 'the answer\'s Model did not have the expected shape');
  if (options.notFoundIsNull && (envelope.Model == null) && isNotFound(envelope.Message)) return null;
  throw rejectedByCloudPayments(read.facts, null);
}

function isNotFound(message: string | null | undefined): boolean {
  return typeof message === 'string' && /not\s*found/i.test(message);
}

function reasonCodeOf(model: unknown): string | null {
  const code = (model as { ReasonCode?: unknown } | null)?.ReasonCode;
  return typeof code === 'number' ? String(code) : null;
}
