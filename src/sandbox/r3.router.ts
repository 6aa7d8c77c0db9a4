import express, { type Request, type Response, type Router } from 'express';
import type { TLSSocket } from 'node:tls';
import { tiynToTenge, type Tiyn } from '../domain/money';
import {
  answerChecked,
  asCallParam,
  checkFields,
  dropUndefined,
  fieldName,
  parseBin,
  parseQrPaymentId,
  type Checked,
  type CheckedFields,
  type FieldChecks,
  type FieldIn,
} from './kaspi-request.parsers';
import { customerPageUrl } from './customer-page.router';
import type { KaspiSandboxStore, PaymentRecord, PaymentStatusView, RefundRecord } from './kaspi-sandbox.store';
import { RemoteStatus, tradePointName } from './kaspi-sandbox.store';
import type {
  CustomerAction,
  ResolvedSandboxOptions,
  SandboxCallParams,
  SandboxOperation,
} from './kaspi-sandbox.types';
import { KaspiStatusCode, rejected, succeeded, type KaspiOutcome } from './kaspi-status-codes';
import { jsonAnswer, type UpstreamCallRunner, type UpstreamDialect } from './upstream-call.runner';

const r3Dialect: UpstreamDialect = {
  render: (outcome) =>
    jsonAnswer(200, { StatusCode: outcome.statusCode, Message: outcome.message, Data: outcome.data }, outcome.statusCode),
  truncatedBody: '{"StatusCode":0,"Message":"OK","Data":{"QrPaymentId":',
};

const CUSTOMER_ACTIONS: readonly CustomerAction[] = ['scan', 'confirm', 'scanerror', 'confirmerror'];
const BODY_ERROR = 'kaspiSandboxBodyError';
const KAZAKHSTAN_OFFSET_MS = 5 * 60 * 60 * 1000;

interface R3Dependencies {
  store: KaspiSandboxStore;
  runner: UpstreamCallRunner;
  options: () => ResolvedSandboxOptions;
}

type R3Handler = (req: Request, now: number) => KaspiOutcome;

/** Kaspi's r3 merchant API as the direct mode sees it: envelopes with HTTP 200, even for errors. */
export function createR3Router({ store, runner, options }: R3Dependencies): Router {
  const router = express.Router();

  router.use(express.json({ type: () => true, limit: '256kb' }));
  router.use((error: unknown, _req: Request, res: Response, next: (error?: unknown) => void) => {
    // A body that does not parse is Kaspi's business to refuse with an envelope, not Express's.
    res.locals[BODY_ERROR] = error;
    next();
  });

  const route = (operation: SandboxOperation, params: (req: Request) => SandboxCallParams, handle: R3Handler) =>
    async (req: Request, res: Response): Promise<void> => {
      const requestId = req.get('X-Request-ID') ?? null;
      await runner.run(
        req,
        res,
        {
          mode: 'direct',
          operation,
          requestId,
          params: params(req),
          execute: () => {
            const outcome = guard(req, res, requestId, options()) ?? handle(req, Date.now());
            return { outcomeStatusCode: outcome.statusCode, answer: r3Dialect.render(outcome) };
          },
        },
        r3Dialect,
      );
    };

  /**
   * A call that takes `fields` from its JSON body (or from `source`), checked in that order, has the
   * store act on them and answers with what it made. A body call's log keeps all the body carried.
   */
  const checkedCall = <K extends FieldIn<'r3'>, R>(
    operation: SandboxOperation,
    fields: readonly K[],
    act: (checked: CheckedFields<FieldChecks<'r3', K>>, now: number) => Checked<R>,
    answer: (result: R, req: Request) => Record<string, unknown>,
    source?: (req: Request) => Record<string, unknown>,
  ) => {
    const read = source ?? bodyOf;
    const params = source
      ? (req: Request) => Object.fromEntries(fields.map((field) => [field, asCallParam(read(req)[fieldName('r3', field)])]))
      : bodyParams;
    return route(operation, params, (req, now) =>
      answerChecked(
        checkFields('r3', fields, read(req)),
        (checked) => act(checked, now),
        (result) => answer(result, req),
      ),
    );
  };

  /** A call whose fields come in its JSON body. */
  const post = <K extends FieldIn<'r3'>, R>(
    path: string,
    operation: SandboxOperation,
    fields: readonly K[],
    act: (checked: CheckedFields<FieldChecks<'r3', K>>, now: number) => Checked<R>,
    answer: (result: R, req: Request) => Record<string, unknown>,
  ) => router.post(path, checkedCall(operation, fields, act, answer));

  post(
    '/v01/remote/create',
    'create',
    ['organizationBin', 'amount', 'phone', 'deviceToken', 'comment'],
    (fields, now) => store.createRemotePayment({ mode: 'direct', ...fields }, now),
    remoteCreateData,
  );

  // `qr/create` and `qr/create-link` take the same body; the answer gives the QR token or the link.
  for (const kind of ['qr', 'link'] as const) {
    post(
      kind === 'qr' ? '/v01/qr/create' : '/v01/qr/create-link',
      kind === 'qr' ? 'qr-create' : 'qr-create-link',
      ['organizationBin', 'amount', 'deviceToken', 'externalId'],
      (fields, now) => store.createQrPayment({ mode: 'direct', kind, ...fields }, now),
      (created, req) => qrCreateData(created, customerPageUrl(req, created.qrPaymentId), options()),
    );
  }

  post(
    '/v01/payment/return',
    'refund',
    ['organizationBin', 'deviceToken', 'qrPaymentId', 'amount'],
    (fields, now) => store.refund(fields, now),
    returnData,
  );
  post(
    '/v01/remote/cancel',
    'cancel',
    ['organizationBin', 'deviceToken', 'qrPaymentId'],
    (fields, now) => store.cancel(fields, now),
    (canceled) => ({ Status: canceled.status }),
  );
  post(
    '/v01/device/register',
    'register',
    ['deviceId', 'organizationBin', 'tradePointId'],
    (fields) => store.registerDevice(fields),
    (device) => ({ DeviceToken: device.deviceToken }),
  );

  // The status call needs neither the BIN nor the device token: the id is in the path.
  const status = checkedCall(
    'status',
    ['qrPaymentId'],
    ({ qrPaymentId }, now) => store.status(qrPaymentId, now),
    statusData,
    (req) => ({ QrPaymentId: req.params.qrPaymentId }),
  );
  router.get('/v02/payment/status/:qrPaymentId', status);
  router.get('/v01/payment/status/:qrPaymentId', status);

  router.get(
    '/v01/payment/details',
    checkedCall('details', ['qrPaymentId', 'deviceToken'], (fields, now) => store.details(fields, now), detailsData, (req) => req.query),
  );

  router.get(
    '/v01/health/ping',
    route('ping', () => ({}), () => succeeded({})),
  );

  router.get(
    '/v01/partner/tradepoints/:bin',
    route(
      'tradepoints',
      (req) => ({ organizationBin: asCallParam(req.params.bin) }),
      (req) => {
        const bin = parseBin(req.params.bin, 'BIN');
        if (!bin.ok) return bin.outcome;
        const tradePoints = store.tradePoints(bin.value);
        if (tradePoints.length === 0) {
          return rejected(KaspiStatusCode.NO_TRADE_POINTS, 'The organization has no trade points');
        }
        return succeeded(tradePoints);
      },
    ),
  );

  for (const action of CUSTOMER_ACTIONS) {
    router.post(
      `/v01/test/payment/${action}`,
      route(action, (req) => ({ qrPaymentId: asCallParam(bodyOf(req).qrPaymentId) }), (req, now) => {
        const body = bodyOf(req);
        return answerChecked(
          { qrPaymentId: parseQrPaymentId(body.qrPaymentId ?? body.QrPaymentId, 'qrPaymentId') },
          ({ qrPaymentId }) => store.customerAction(qrPaymentId, action, now),
          (changed) => ({ Status: changed.status }),
        );
      }),
    );
  }

  router.use((_req: Request, res: Response) => {
    res.status(404).json({ StatusCode: KaspiStatusCode.INVALID_REQUEST, Message: 'Unknown method', Data: null });
  });
  router.use((error: unknown, _req: Request, res: Response, _next: (error?: unknown) => void) => {
    console.error('kaspi sandbox: unexpected r3 error', error);
    if (res.headersSent) return;
    res.status(200).json({ StatusCode: KaspiStatusCode.INVALID_REQUEST, Message: 'The request could not be processed', Data: null });
  });

  return router;
}

/** Refusals Kaspi makes before looking at the operation: certificate, request id, unreadable body. */
function guard(req: Request, res: Response, requestId: string | null, options: ResolvedSandboxOptions): KaspiOutcome | null {
  if (options.requireClientCertificate && !(req.socket as Partial<TLSSocket>).authorized) {
    return rejected(KaspiStatusCode.NO_CLIENT_CERTIFICATE, 'Client certificate is required');
  }
  if (requestId === null || requestId.trim() === '') {
    return rejected(KaspiStatusCode.INVALID_REQUEST, 'X-Request-ID header is required');
  }
  if (res.locals[BODY_ERROR] !== undefined) {
    return rejected(KaspiStatusCode.INVALID_REQUEST, 'Request body is not valid JSON');
  }
  if (req.method === 'POST' && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
    return rejected(KaspiStatusCode.INVALID_REQUEST, 'Request body must be a JSON object');
  }
  return null;
}

function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function bodyParams(req: Request): SandboxCallParams {
  const body = bodyOf(req);
  return dropUndefined({
    organizationBin: asCallParam(body.OrganizationBin),
    deviceToken: asCallParam(body.DeviceToken),
    amount: asCallParam(body.Amount),
    phone: asCallParam(body.PhoneNumber),
    comment: asCallParam(body.Comment),
    externalId: asCallParam(body.ExternalId),
    qrPaymentId: asCallParam(body.QrPaymentId),
    deviceId: asCallParam(body.DeviceId),
    tradePointId: asCallParam(body.TradePointId),
  });
}

function statusData({ payment, status }: PaymentStatusView): Record<string, unknown> {
  const data: Record<string, unknown> = {
    Status: status,
    Amount: tiynToTenge(payment.amount),
    StoreName: tradePointName(payment.tradePointId),
    Address: 'Abay Ave 1',
    City: 'Almaty',
  };
  if (status === RemoteStatus.PROCESSED) {
    data.TransactionId = String(700_000_000_000 + Number(payment.qrPaymentId));
    data.ProductType = 'Gold';
  }
  return data;
}

function remoteCreateData(created: PaymentRecord): Record<string, unknown> {
  return { QrPaymentId: Number(created.qrPaymentId) };
}

function returnData(refund: RefundRecord): Record<string, unknown> {
  return { ReturnOperationId: Number(refund.returnOperationId) };
}

function detailsData({ payment, since, status, available }: PaymentStatusView & { available: Tiyn }): Record<string, unknown> {
  return {
    QrPaymentId: Number(payment.qrPaymentId),
    TotalAmount: tiynToTenge(payment.amount),
    AvailableReturnAmount: tiynToTenge(available),
    TransactionDate: kazakhstanTime(status === RemoteStatus.PROCESSED ? since : payment.createdAt),
  };
}

/** What `qr/create` and `qr/create-link` answer; the QR token and the link lead to the customer's page. */
function qrCreateData(payment: PaymentRecord, pageUrl: string, options: ResolvedSandboxOptions): Record<string, unknown> {
  const common = {
    ExpireDate: kazakhstanTime(payment.expiresAt ?? payment.createdAt),
    PaymentMethods: ['Gold', 'Red', 'Loan'],
  };
  const timing = {
    StatusPollingInterval: options.qrPollingIntervalSec,
    PaymentConfirmationTimeout: options.qrConfirmationTimeoutSec,
  };
  if (payment.kind === 'link') {
    return {
      PaymentLink: pageUrl,
      PaymentId: Number(payment.qrPaymentId),
      ...common,
      PaymentBehaviorOptions: { ...timing, LinkActivationWaitTimeout: options.qrOpenTimeoutSec },
    };
  }
  return {
    QrToken: pageUrl,
    QrPaymentId: Number(payment.qrPaymentId),
    ...common,
    QrPaymentBehaviorOptions: { ...timing, QrCodeScanWaitTimeout: options.qrOpenTimeoutSec },
  };
}

/** Kaspi's clock is Kazakhstan's (UTC+5); its dates carry that offset. */
function kazakhstanTime(ms: number): string {
  return new Date(ms + KAZAKHSTAN_OFFSET_MS).toISOString().replace('Z', '+05:00');
}
