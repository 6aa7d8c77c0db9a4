import express, { type Request, type Response, type Router } from 'express';
import { timingSafeEqual } from 'node:crypto';
import {
  asCallParam,
  answerChecked,
  dropUndefined,
  parseAmountText,
  parseBin,
  parseComment,
  parseDeviceToken,
  parsePhone,
  parseQrPaymentId,
} from './kaspi-request.parsers';
import { customerPageUrl } from './customer-page.router';
import type { KaspiSandboxStore } from './kaspi-sandbox.store';
import type { ResolvedSandboxOptions, SandboxCallParams, SandboxOperation } from './kaspi-sandbox.types';
import { KaspiStatusCode, type KaspiOutcome } from './kaspi-status-codes';
import { jsonAnswer, type UpstreamAnswer, type UpstreamCallRunner, type UpstreamDialect } from './upstream-call.runner';

/** The proxy passes Kaspi's refusals on under Kaspi's code, and its successes as `data`. */
const proxyDialect: UpstreamDialect = {
  render: (outcome) =>
    outcome.statusCode === KaspiStatusCode.SUCCESS
      ? jsonAnswer(200, { status: true, data: outcome.data }, outcome.statusCode)
      : jsonAnswer(
          200,
          { status: false, data: { errors: { [String(outcome.statusCode)]: outcome.message } } },
          outcome.statusCode,
        ),
  truncatedBody: '{"status":true,"data":{"externalId":',
};

const INVALID_TOKEN_ANSWER: UpstreamAnswer = jsonAnswer(401, { status: false, error: 'invalid access token' }, null);

interface ProxyDependencies {
  store: KaspiSandboxStore;
  runner: UpstreamCallRunner;
  options: () => ResolvedSandboxOptions;
}

type ProxyQuery = Record<string, unknown>;

/**
 * The merchant-run proxy used in production: GET requests with query strings, even for create and
 * refund, authenticated by an `access_token` query parameter.
 */
export function createProxyRouter({ store, runner, options }: ProxyDependencies): Router {
  const router = express.Router();

  const route = (
    operation: SandboxOperation,
    params: (query: ProxyQuery) => SandboxCallParams,
    handle: (query: ProxyQuery, now: number, req: Request) => KaspiOutcome,
  ) =>
    async (req: Request, res: Response): Promise<void> => {
      const query = req.query as ProxyQuery;
      const accessTokenValid = tokenMatches(query.access_token, options().proxyAccessToken);
      await runner.run(
        req,
        res,
        {
          mode: 'proxy',
          operation,
          requestId: req.get('X-Request-ID') ?? null,
          params: { ...dropUndefined(params(query)), accessTokenValid },
          execute: () => {
            if (!accessTokenValid) return { outcomeStatusCode: null, answer: INVALID_TOKEN_ANSWER };
            const outcome = handle(query, Date.now(), req);
            return { outcomeStatusCode: outcome.statusCode, answer: proxyDialect.render(outcome) };
          },
        },
        proxyDialect,
      );
    };

  const externalId = (id: string): number | string =>
    options().proxyExternalIdType === 'number' ? Number(id) : id;

  router.get(
    '/create',
    route(
      'create',
      (query) => ({
        phone: asCallParam(query.phone),
        amount: asCallParam(query.amount),
        comment: asCallParam(query.message),
        organizationBin: asCallParam(query.organizationBin),
        deviceToken: asCallParam(query.deviceToken),
      }),
      (query, now) => {
        return answerChecked(
          {
            organizationBin: parseBin(query.organizationBin, 'organizationBin'),
            amount: parseAmountText(query.amount),
            phone: parsePhone(query.phone),
            deviceToken: parseDeviceToken(query.deviceToken, 'deviceToken'),
            comment: parseComment(query.message),
          },
          (fields) => store.createRemotePayment({ mode: 'proxy', ...fields }, now),
          (created) => ({ externalId: externalId(created.qrPaymentId), status: store.statusOf(created, now).status }),
        );
      },
    ),
  );

  for (const [path, operation, kind] of [
    ['/create-qr', 'qr-create', 'qr'],
    ['/create-link', 'qr-create-link', 'link'],
  ] as const) {
    router.get(
      path,
      route(
        operation,
        (query) => ({
          amount: asCallParam(query.amount),
          organizationBin: asCallParam(query.organizationBin),
          deviceToken: asCallParam(query.deviceToken),
        }),
        (query, now, req) => {
          return answerChecked(
            {
              organizationBin: parseBin(query.organizationBin, 'organizationBin'),
              amount: parseAmountText(query.amount),
              deviceToken: parseDeviceToken(query.deviceToken, 'deviceToken'),
            },
            (fields) => store.createQrPayment({ mode: 'proxy', kind, externalId: null, ...fields }, now),
            (payment) => {
              const page = customerPageUrl(req, payment.qrPaymentId);
              return {
                externalId: externalId(payment.qrPaymentId),
                ...(kind === 'qr' ? { qrToken: page } : { paymentLink: page }),
                expireDate: new Date(payment.expiresAt ?? now).toISOString(),
                status: store.statusOf(payment, now).status,
                behaviorOptions: {
                  statusPollingInterval: options().qrPollingIntervalSec,
                  paymentConfirmationTimeout: options().qrConfirmationTimeoutSec,
                  ...(kind === 'qr'
                    ? { qrCodeScanWaitTimeout: options().qrOpenTimeoutSec }
                    : { linkActivationWaitTimeout: options().qrOpenTimeoutSec }),
                },
              };
            },
          );
        },
      ),
    );
  }

  router.get(
    '/status',
    route(
      'status',
      (query) => ({ qrPaymentId: asCallParam(query.externalId) }),
      (query, now) => {
        return answerChecked(
          { qrPaymentId: parseQrPaymentId(query.externalId, 'externalId') },
          ({ qrPaymentId }) => store.status(qrPaymentId, now),
          (found) => ({ externalId: externalId(found.payment.qrPaymentId), status: found.status }),
        );
      },
    ),
  );

  router.get(
    '/refund',
    route(
      'refund',
      (query) => ({
        qrPaymentId: asCallParam(query.externalId),
        amount: asCallParam(query.amount),
        organizationBin: asCallParam(query.organizationBin),
        deviceToken: asCallParam(query.deviceToken),
      }),
      (query, now) => {
        return answerChecked(
          {
            qrPaymentId: parseQrPaymentId(query.externalId, 'externalId'),
            amount: parseAmountText(query.amount),
            organizationBin: parseBin(query.organizationBin, 'organizationBin'),
            deviceToken: parseDeviceToken(query.deviceToken, 'deviceToken'),
          },
          (fields) => store.refund(fields, now),
          (refund) => ({ returnOperationId: Number(refund.returnOperationId) }),
        );
      },
    ),
  );

  router.use((_req: Request, res: Response) => {
    res.status(404).json({ status: false, error: 'not found' });
  });
  router.use((error: unknown, _req: Request, res: Response, _next: (error?: unknown) => void) => {
    console.error('kaspi sandbox: unexpected proxy error', error);
    if (res.headersSent) return;
    res.status(200).json({ status: false, error: 'the request could not be processed' });
  });

  return router;
}

function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
