import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { tiynToTenge } from '../../domain/money';
import { invoicePage, resultPage } from './cloudpayments-invoice.page';
import { CloudPaymentsSandboxStore, TEST_CARDS, type Order, type Site, type Transaction } from './cloudpayments-sandbox.store';
import { SandboxNotifier } from './cloudpayments-sandbox.notifier';
import type {
  CloudPaymentsFaultKind,
  CloudPaymentsFaultSpec,
  CloudPaymentsSandboxOperation,
  CloudPaymentsSandboxOptions,
  CloudPaymentsSandboxSnapshot,
  PendingCloudPaymentsFault,
  ResolvedCloudPaymentsSandboxOptions,
  SandboxCallView,
  SandboxNotificationView,
  SandboxTransactionView,
} from './cloudpayments-sandbox.types';

const DEFAULTS: ResolvedCloudPaymentsSandboxOptions = {
  notificationUrl: null,
  sendNotifications: true,
  notificationFormat: 'form',
  autoEnrolSites: true,
  latencyMs: 0,
};

const optionsSchema = z.strictObject({
  notificationUrl: z.url({ protocol: /^https?$/ }).nullable().optional(),
  sendNotifications: z.boolean().optional(),
  notificationFormat: z.enum(['form', 'json']).optional(),
  autoEnrolSites: z.boolean().optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
});

const faultSchema = z.strictObject({
  operation: z.enum(['create', 'cancel', 'find', 'get', 'refund', '*']),
  fault: z.enum(['latency', 'http5xx', 'throttle', 'drop', 'empty', 'malformed']),
  count: z.number().int().min(1).max(1_000_000).optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  httpStatus: z.number().int().min(500).max(599).optional(),
  applied: z.boolean().optional(),
});

const APPLIED_BY_DEFAULT: Record<CloudPaymentsFaultKind, boolean> = {
  latency: true,
  drop: true,
  empty: true,
  malformed: true,
  http5xx: false,
  throttle: false,
};

/** Calls whose result CloudPayments keeps under the X-Request-ID: repeating them must not act twice. */
const REMEMBERED: ReadonlySet<CloudPaymentsSandboxOperation> = new Set(['create', 'refund', 'cancel']);

export class CloudPaymentsSandboxError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

/**
 * An emulator of CloudPayments for tests, benchmarks and trying the gateway out. Under the path
 * `router` is mounted at:
 * - `orders/create`, `orders/cancel`, `v2/payments/find`, `payments/get`, `payments/refund`: the API,
 *   over HTTP Basic (Public ID, API secret), with `X-Request-ID` answers kept for an hour;
 * - `invoice/{orderId}`: the page a customer pays on, with test cards;
 * - `_control/...`: the JSON API mirroring the methods below.
 *
 * Paying sends `check`, then `pay` or `fail`; refunding sends `refund`: signed with the site's API
 * secret, to `{notificationUrl}/{type}`, unless notifications are switched off.
 *
 * @example
 * const sandbox = createCloudPaymentsSandbox({ notificationUrl: `${gatewayUrl}/notifications/cloudpayments` });
 * app.use('/sandbox/cloudpayments', sandbox.router);
 * sandbox.configure({ sendNotifications: false });
 */
export interface CloudPaymentsSandbox {
  readonly router: Router;
  /** Every control call needs `Authorization: Bearer <controlToken>`: it shows e-mails and phones, and pays. */
  readonly controlToken: string;
  readonly options: ResolvedCloudPaymentsSandboxOptions;
  configure(options: CloudPaymentsSandboxOptions): ResolvedCloudPaymentsSandboxOptions;
  /** Forgets sites, orders, transactions, calls, notifications and faults; restores the first options. */
  reset(): void;
  snapshot(): CloudPaymentsSandboxSnapshot;
  injectFault(spec: CloudPaymentsFaultSpec): PendingCloudPaymentsFault;
  clearFaults(): void;
  /**
   * What the invoice page does: pays the order with a test card, after a `check` notification the
   * shop may refuse. Resolves once the notifications have been answered (or dropped).
   * @throws CloudPaymentsSandboxError: 404 unknown order or card, 409 order not payable.
   */
  pay(orderId: string, cardNumber: string): Promise<SandboxTransactionView>;
  /** Sends a recorded notification again, byte for byte. */
  resendNotification(seq: number): Promise<SandboxNotificationView>;
}

export function createCloudPaymentsSandbox(
  initial: CloudPaymentsSandboxOptions = {},
  controlToken = randomBytes(24).toString('base64url'),
): CloudPaymentsSandbox {
  const firstOptions: ResolvedCloudPaymentsSandboxOptions = { ...DEFAULTS, ...withoutUndefined(parse(optionsSchema, initial)) };
  let options = { ...firstOptions };
  const store = new CloudPaymentsSandboxStore();
  const notifier = new SandboxNotifier();
  let faults: PendingCloudPaymentsFault[] = [];
  let calls: SandboxCallView[] = [];
  let nextFaultId = 1;
  let nextCallSeq = 1;

  const target = (site: Site) => ({
    url: options.notificationUrl,
    send: options.sendNotifications,
    format: options.notificationFormat,
    apiSecret: site.apiSecret,
  });

  const paymentFields = (transaction: Transaction, order: Order | undefined) => ({
    TransactionId: transaction.id,
    Amount: tiynToTenge(transaction.amount).toFixed(2),
    Currency: 'KZT',
    PaymentAmount: tiynToTenge(transaction.amount).toFixed(2),
    PaymentCurrency: 'KZT',
    DateTime: transaction.createdAt.toISOString().slice(0, 19).replace('T', ' '),
    CardFirstSix: transaction.card.slice(0, 6),
    CardLastFour: transaction.card.slice(-4),
    CardType: transaction.card.startsWith('4') ? 'Visa' : 'MasterCard',
    InvoiceId: transaction.invoiceId,
    AccountId: null,
    Email: order?.email ?? null,
    OperationType: 'Payment',
    TestMode: 1,
  });

  const takeFault = (operation: CloudPaymentsSandboxOperation): PendingCloudPaymentsFault | null => {
    const index = faults.findIndex((fault) => fault.operation === operation || fault.operation === '*');
    if (index < 0) return null;
    const fault = faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return { ...fault };
  };

  const sandbox: CloudPaymentsSandbox = {
    router: express.Router(),
    controlToken,
    get options() {
      return { ...options };
    },
    configure(partial) {
      options = { ...options, ...withoutUndefined(parse(optionsSchema, partial)) };
      return { ...options };
    },
    reset() {
      store.reset();
      notifier.clear();
      faults = [];
      calls = [];
      options = { ...firstOptions };
    },
    snapshot() {
      return {
        orders: store.listOrders().map((order) => store.orderView(order)),
        transactions: store.listTransactions().map((transaction) => store.transactionView(transaction)),
        calls: calls.map((call) => ({ ...call })),
        notifications: notifier.list(),
        faults: faults.map((fault) => ({ ...fault })),
        options: { ...options },
      };
    },
    injectFault(spec) {
      const parsed = parse(faultSchema, spec);
      const fault: PendingCloudPaymentsFault = {
        id: `fault-${nextFaultId++}`,
        operation: parsed.operation,
        fault: parsed.fault,
        remaining: parsed.count ?? 1,
        latencyMs: parsed.latencyMs ?? 1000,
        httpStatus: parsed.httpStatus ?? 503,
        applied: parsed.applied ?? APPLIED_BY_DEFAULT[parsed.fault],
      };
      faults.push(fault);
      return { ...fault };
    },
    clearFaults() {
      faults = [];
    },
    async pay(orderId, cardNumber) {
      const order = store.order(orderId);
      if (!order) throw new CloudPaymentsSandboxError(`order ${orderId} not found`, 404);
      if (order.status !== 'Created') throw new CloudPaymentsSandboxError(`order ${orderId} is ${order.status}`, 409);
      const card = TEST_CARDS.find((candidate) => candidate.number === cardNumber.replace(/\s+/g, ''));
      if (!card) throw new CloudPaymentsSandboxError('not a test card', 404);
      const site = store.site(order.publicId)!;
      const checkFields = { ...paymentFields({ id: 0, amount: order.amount, invoiceId: order.invoiceId, card: card.number, createdAt: new Date() } as Transaction, order), TransactionId: 0 };
      const check = await notifier.notify('check', checkFields, target(site));
      const refused = check.outcome === 'sent' && (check.answer as { code?: unknown } | null)?.code !== 0;
      const transaction = store.pay(order, card, refused);
      const fields = paymentFields(transaction, order);
      if (transaction.status === 'Completed') {
        await notifier.notify('pay', { ...fields, Status: 'Completed' }, target(site));
      } else {
        const view = store.transactionView(transaction);
        await notifier.notify('fail', { ...fields, Status: 'Declined', Reason: view.Reason, ReasonCode: view.ReasonCode }, target(site));
      }
      return store.transactionView(transaction);
    },
    async resendNotification(seq) {
      const sent = await notifier.resend(seq);
      if (!sent) throw new CloudPaymentsSandboxError(`notification ${seq} not found or has no URL`, 404);
      return sent;
    },
  };

  /** One API call: authenticate, take a fault, act (or replay), record, answer or spoil. */
  const api =
    (operation: CloudPaymentsSandboxOperation, act: (site: Site, body: Record<string, unknown>, req: Request) => Promise<unknown> | unknown) =>
    async (req: Request, res: Response) => {
      const credentials = basicCredentials(req.get('authorization'));
      const site = credentials ? store.authenticate(credentials.publicId, credentials.apiSecret, options.autoEnrolSites) : null;
      const requestId = req.get('x-request-id') ?? null;
      const body = isRecord(req.body) ? req.body : {};
      const call: SandboxCallView = {
        seq: nextCallSeq++,
        at: new Date().toISOString(),
        operation,
        publicId: credentials?.publicId ?? null,
        requestId,
        body,
        replayed: false,
        fault: null,
        httpStatus: null,
      };
      calls.push(call);
      if (calls.length > 10_000) calls.shift();
      if (!site) {
        call.httpStatus = 401;
        res.status(401).end();
        return;
      }
      const fault = takeFault(operation);
      call.fault = fault?.fault ?? null;
      const perform = async () => {
        if (REMEMBERED.has(operation)) {
          const remembered = store.remembered(site.publicId, requestId);
          if (remembered !== undefined) {
            call.replayed = true;
            return remembered;
          }
        }
        const answer = await act(site, body, req);
        if (REMEMBERED.has(operation)) store.remember(site.publicId, requestId, answer);
        return answer;
      };

      let answer: unknown;
      if (!fault) {
        answer = await perform();
      } else if (fault.fault === 'latency') {
        if (fault.applied) answer = await perform();
        await delay(fault.latencyMs);
        if (!fault.applied) answer = await perform();
      } else if (fault.applied) {
        await perform();
      }
      if (options.latencyMs > 0) await delay(options.latencyMs);

      if (fault && fault.fault !== 'latency') {
        switch (fault.fault) {
          case 'drop':
            req.socket.destroy();
            return;
          case 'empty':
            call.httpStatus = 200;
            res.status(200).type('application/json').send('');
            return;
          case 'malformed':
            call.httpStatus = 200;
            res.status(200).type('application/json').send('{"Success":true,"Model":{"Id":');
            return;
          case 'http5xx':
            call.httpStatus = fault.httpStatus;
            res.status(fault.httpStatus).type('text/html').send(`<html><body><h1>${fault.httpStatus}</h1></body></html>`);
            return;
          case 'throttle':
            call.httpStatus = 429;
            res.status(429).type('text/plain').send('Too Many Requests');
            return;
        }
      }
      call.httpStatus = 200;
      res.status(200).json(answer);
    };

  const apiTransaction = (transaction: Transaction) => {
    const { refundedAmount: _refunded, ...model } = store.transactionView(transaction);
    // A declined transaction comes back with Success: false, the transaction in Model.
    return { Success: transaction.status !== 'Declined', Message: transaction.status === 'Declined' ? model.CardHolderMessage : null, Model: model };
  };

  const router = sandbox.router;
  router.use(express.json({ limit: '1mb' }));
  router.use(express.urlencoded({ extended: false, limit: '1mb' }));

  router.post(
    '/orders/create',
    api('create', (site, body, req) => {
      const result = store.createOrder(site, body);
      if (!result.ok) return { Success: false, Message: result.message, Model: null };
      const order = result.value;
      return {
        Success: true,
        Message: null,
        Model: {
          Id: order.id,
          Number: order.number,
          Amount: tiynToTenge(order.amount),
          Currency: 'KZT',
          CurrencyCode: 7,
          Email: order.email,
          Description: order.description,
          RequireConfirmation: order.requireConfirmation,
          // The invoice page is addressed through the host the order was created through.
          Url: `${req.protocol}://${req.get('host')}${req.baseUrl}/invoice/${order.id}`,
          Status: 'Created',
        },
      };
    }),
  );
  router.post(
    '/orders/cancel',
    api('cancel', (site, body) => {
      const result = store.cancelOrder(site, body.Id);
      return result.ok ? { Success: true, Message: null } : { Success: false, Message: result.message };
    }),
  );
  router.post(
    '/v2/payments/find',
    api('find', (site, body) => {
      const transaction = store.findByInvoice(site, body.InvoiceId);
      return transaction ? apiTransaction(transaction) : { Success: false, Message: 'Not found', Model: null };
    }),
  );
  router.post(
    '/payments/get',
    api('get', (site, body) => {
      const transaction = store.transaction(site, body.TransactionId);
      return transaction ? apiTransaction(transaction) : { Success: false, Message: 'Not found', Model: null };
    }),
  );
  router.post(
    '/payments/refund',
    api('refund', async (site, body) => {
      const result = store.refund(site, body);
      if (!result.ok) return { Success: false, Message: result.message, Model: null };
      const refund = result.value;
      const payment = store.transaction(site, refund.paymentTransactionId)!;
      void notifier.notify(
        'refund',
        {
          TransactionId: refund.id,
          PaymentTransactionId: payment.id,
          Amount: tiynToTenge(refund.amount).toFixed(2),
          DateTime: new Date().toISOString().slice(0, 19).replace('T', ' '),
          OperationType: 'Refund',
          InvoiceId: payment.invoiceId,
          AccountId: null,
          Email: null,
        },
        target(site),
      );
      return { Success: true, Message: null, Model: { TransactionId: refund.id } };
    }),
  );

  router.get('/invoice/:orderId', (req, res) => {
    const order = store.order(req.params.orderId);
    if (!order) throw new CloudPaymentsSandboxError('order not found', 404);
    const attempts = store.listTransactions().filter((transaction) => transaction.orderId === order.id);
    res.type('html').send(invoicePage(order, attempts.at(-1)));
  });
  router.post('/invoice/:orderId/pay', async (req, res) => {
    const view = await sandbox.pay(req.params.orderId, String((req.body as { card?: unknown }).card ?? ''));
    const order = store.order(req.params.orderId)!;
    const transaction = store.listTransactions().find((candidate) => candidate.id === view.TransactionId)!;
    res.type('html').send(resultPage(order, transaction));
  });

  const control = express.Router();
  control.use((req, _res, next) => {
    const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
    const expected = Buffer.from(controlToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new CloudPaymentsSandboxError('the control API needs the sandbox\'s control token', 401);
    next();
  });
  control.get('/state', (_req, res) => {
    res.json(sandbox.snapshot());
  });
  control.post('/reset', (_req, res) => {
    sandbox.reset();
    res.json({ ok: true });
  });
  control.post('/config', (req, res) => {
    res.json({ options: sandbox.configure(req.body ?? {}) });
  });
  control.post('/faults', (req, res) => {
    res.status(201).json({ fault: sandbox.injectFault(req.body ?? {}) });
  });
  control.delete('/faults', (_req, res) => {
    sandbox.clearFaults();
    res.json({ ok: true });
  });
  control.post('/orders/:orderId/pay', async (req, res) => {
    res.json({ transaction: await sandbox.pay(req.params.orderId, String((req.body as { card?: unknown })?.card ?? TEST_CARDS[0].number)) });
  });
  control.post('/notifications/:seq/resend', async (req, res) => {
    res.json({ notification: await sandbox.resendNotification(Number(req.params.seq)) });
  });
  router.use('/_control', control);

  router.use((_req: Request, res: Response) => {
    res.status(404).json({ Success: false, Message: 'Not found' });
  });
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (error instanceof CloudPaymentsSandboxError) {
      res.status(error.httpStatus).json({ error: error.message });
      return;
    }
    const status = (error as { status?: unknown } | null)?.status;
    res.status(typeof status === 'number' && status >= 400 && status < 500 ? status : 500).json({ error: 'the request could not be processed' });
  });

  return sandbox;
}

function basicCredentials(header: string | undefined): { publicId: string; apiSecret: string } | null {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { publicId: decoded.slice(0, colon), apiSecret: decoded.slice(colon + 1) };
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new CloudPaymentsSandboxError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '), 400);
  return parsed.data;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
