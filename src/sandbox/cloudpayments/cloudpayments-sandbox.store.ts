import { randomBytes } from 'node:crypto';
import { tengeToTiyn, tiynToTenge, type Tiyn } from '../../domain/money';
import type { SandboxOrderView, SandboxTransactionView, TestCard } from './cloudpayments-sandbox.types';

/** CloudPayments' published test cards, and what each one does. */
export const TEST_CARDS: readonly TestCard[] = [
  { number: '4242424242424242', label: 'Visa, paid', declineReasonCode: null },
  { number: '5555555555554444', label: 'Mastercard, paid', declineReasonCode: null },
  { number: '4012888888881881', label: 'Visa, declined: insufficient funds', declineReasonCode: 5051 },
  { number: '5105105105105100', label: 'Mastercard, declined: insufficient funds', declineReasonCode: 5051 },
  { number: '4000000000000002', label: 'Visa, declined: do not honor', declineReasonCode: 5005 },
];

export const REASONS: Readonly<Record<number, { reason: string; message: string }>> = {
  0: { reason: 'Approved', message: 'Оплата успешно проведена' },
  5005: { reason: 'DoNotHonor', message: 'Свяжитесь с вашим банком или воспользуйтесь другой картой' },
  5051: { reason: 'InsufficientFunds', message: 'Недостаточно средств на карте' },
  5206: { reason: 'AuthenticationFailed', message: 'Магазин отклонил платёж' },
};

export interface Site {
  publicId: string;
  apiSecret: string;
}

export interface Order {
  id: string;
  number: number;
  publicId: string;
  amount: Tiyn;
  description: string;
  invoiceId: string | null;
  email: string | null;
  phone: string | null;
  sendEmail: boolean;
  sendSms: boolean;
  requireConfirmation: boolean;
  status: 'Created' | 'Paid' | 'Cancelled';
  createdAt: Date;
}

export interface Transaction {
  id: number;
  publicId: string;
  orderId: string | null;
  invoiceId: string | null;
  amount: Tiyn;
  status: 'Completed' | 'Declined';
  reasonCode: number;
  refunded: Tiyn;
  card: string;
  createdAt: Date;
}

export interface Refund {
  id: number;
  paymentTransactionId: number;
  amount: Tiyn;
}

/** Answers kept under an X-Request-ID for an hour, as CloudPayments keeps them. */
const REQUEST_MEMORY_MS = 60 * 60 * 1000;

export type StoreResult<T> = { ok: true; value: T } | { ok: false; message: string; model?: unknown };

/** The sandbox's sites, orders and transactions, in memory. */
export class CloudPaymentsSandboxStore {
  private sites = new Map<string, Site>();
  private orders = new Map<string, Order>();
  private transactions = new Map<number, Transaction>();
  private refunds: Refund[] = [];
  private memory = new Map<string, { at: number; answer: unknown }>();
  private nextOrderNumber = 1;
  private nextTransactionId = 1_000_000_000 + Math.floor(Math.random() * 1_000_000);

  reset(): void {
    this.sites.clear();
    this.orders.clear();
    this.transactions.clear();
    this.refunds = [];
    this.memory.clear();
  }

  /** HTTP Basic check: a known Public ID must come with its secret; an unknown one is enrolled when allowed. */
  authenticate(publicId: string, apiSecret: string, autoEnrol: boolean): Site | null {
    const site = this.sites.get(publicId);
    if (site) return site.apiSecret === apiSecret ? site : null;
    if (!autoEnrol || publicId === '' || apiSecret === '') return null;
    const enrolled = { publicId, apiSecret };
    this.sites.set(publicId, enrolled);
    return enrolled;
  }

  registerSite(site: Site): void {
    this.sites.set(site.publicId, { ...site });
  }

  site(publicId: string): Site | undefined {
    return this.sites.get(publicId);
  }

  /** The first answer given under this X-Request-ID by this site within the hour, if any. */
  remembered(publicId: string, requestId: string | null): unknown {
    if (!requestId) return undefined;
    const entry = this.memory.get(`${publicId}\n${requestId}`);
    if (!entry || Date.now() - entry.at > REQUEST_MEMORY_MS) return undefined;
    return entry.answer;
  }

  remember(publicId: string, requestId: string | null, answer: unknown): void {
    if (requestId) this.memory.set(`${publicId}\n${requestId}`, { at: Date.now(), answer });
  }

  createOrder(site: Site, body: Record<string, unknown>): StoreResult<Order> {
    const amount = amountOf(body.Amount);
    if (amount === null) return { ok: false, message: 'Amount is invalid' };
    if ((body.Currency ?? 'RUB') !== 'KZT') return { ok: false, message: 'Currency is not supported by the site' };
    if (typeof body.Description !== 'string' || body.Description.trim() === '') return { ok: false, message: 'Description is required' };
    const order: Order = {
      id: randomBytes(8).toString('base64url'),
      number: this.nextOrderNumber++,
      publicId: site.publicId,
      amount,
      description: body.Description,
      invoiceId: typeof body.InvoiceId === 'string' ? body.InvoiceId : null,
      email: typeof body.Email === 'string' ? body.Email : null,
      phone: typeof body.Phone === 'string' ? body.Phone : null,
      sendEmail: body.SendEmail === true,
      sendSms: body.SendSms === true,
      requireConfirmation: body.RequireConfirmation === true,
      status: 'Created',
      createdAt: new Date(),
    };
    this.orders.set(order.id, order);
    return { ok: true, value: order };
  }

  cancelOrder(site: Site, id: unknown): StoreResult<null> {
    const order = typeof id === 'string' ? this.orders.get(id) : undefined;
    if (!order || order.publicId !== site.publicId) return { ok: false, message: 'Order not found' };
    if (order.status === 'Paid') return { ok: false, message: 'Order is already paid' };
    order.status = 'Cancelled';
    return { ok: true, value: null };
  }

  order(id: string): Order | undefined {
    return this.orders.get(id);
  }

  /** A card payment on an order's invoice page: completed or declined as the card says. */
  pay(order: Order, card: TestCard, refusedByShop: boolean): Transaction {
    const reasonCode = refusedByShop ? 5206 : (card.declineReasonCode ?? 0);
    const transaction: Transaction = {
      id: this.nextTransactionId++,
      publicId: order.publicId,
      orderId: order.id,
      invoiceId: order.invoiceId,
      amount: order.amount,
      status: reasonCode === 0 ? 'Completed' : 'Declined',
      reasonCode,
      refunded: 0,
      card: card.number,
      createdAt: new Date(),
    };
    this.transactions.set(transaction.id, transaction);
    if (transaction.status === 'Completed') order.status = 'Paid';
    return transaction;
  }

  /** The latest payment transaction of an invoice on this site. */
  findByInvoice(site: Site, invoiceId: unknown): Transaction | undefined {
    if (typeof invoiceId !== 'string') return undefined;
    let latest: Transaction | undefined;
    for (const transaction of this.transactions.values()) {
      if (transaction.publicId === site.publicId && transaction.invoiceId === invoiceId) latest = transaction;
    }
    return latest;
  }

  transaction(site: Site, id: unknown): Transaction | undefined {
    const transaction = this.transactions.get(Number(id));
    return transaction?.publicId === site.publicId ? transaction : undefined;
  }

  refund(site: Site, body: Record<string, unknown>): StoreResult<Refund> {
    const transaction = this.transaction(site, body.TransactionId);
    if (!transaction) return { ok: false, message: 'Transaction not found' };
    const amount = amountOf(body.Amount);
    if (amount === null) return { ok: false, message: 'Amount is invalid' };
    if (transaction.status !== 'Completed') return { ok: false, message: 'Transaction cannot be refunded' };
    if (transaction.refunded + amount > transaction.amount) return { ok: false, message: 'Refund amount exceeds the amount left' };
    transaction.refunded += amount;
    const refund: Refund = { id: this.nextTransactionId++, paymentTransactionId: transaction.id, amount };
    this.refunds.push(refund);
    return { ok: true, value: refund };
  }

  listOrders(): Order[] {
    return [...this.orders.values()];
  }

  listTransactions(): Transaction[] {
    return [...this.transactions.values()];
  }

  orderView(order: Order): SandboxOrderView {
    return {
      Id: order.id,
      Number: order.number,
      publicId: order.publicId,
      Amount: tiynToTenge(order.amount),
      Currency: 'KZT',
      Description: order.description,
      InvoiceId: order.invoiceId,
      Email: order.email,
      Phone: order.phone,
      SendEmail: order.sendEmail,
      SendSms: order.sendSms,
      RequireConfirmation: order.requireConfirmation,
      Status: order.status,
      createdAt: order.createdAt.toISOString(),
    };
  }

  transactionView(transaction: Transaction): SandboxTransactionView {
    const reason = REASONS[transaction.reasonCode] ?? { reason: 'Declined', message: 'Операция отклонена' };
    return {
      TransactionId: transaction.id,
      InvoiceId: transaction.invoiceId,
      Amount: tiynToTenge(transaction.amount),
      Currency: 'KZT',
      Status: transaction.status,
      Reason: reason.reason,
      ReasonCode: transaction.reasonCode,
      CardHolderMessage: reason.message,
      Refunded: transaction.refunded > 0,
      refundedAmount: tiynToTenge(transaction.refunded),
    };
  }
}

/** A positive decimal with at most two places, as CloudPayments takes amounts. */
function amountOf(value: unknown): Tiyn | null {
  if (typeof value !== 'number' || !(value > 0)) return null;
  try {
    return tengeToTiyn(value);
  } catch {
    return null;
  }
}
