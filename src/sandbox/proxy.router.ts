import express, { type Request, type Response, type Router } from 'express';
import { timingSafeEqual } from 'node:crypto';
import {
  asCallParam,
  answerChecked,
  checkFields,
  dropUndefined,
  fieldName,
  type Checked,
  type CheckedFields,
  type FieldChecks,
  type FieldIn,
} from './kaspi-request.parsers';
import { customerPageUrl } from './customer-page.router';
import type { KaspiSandboxStore } from './kaspi-sandbox.store';
import type { ResolvedSandboxOptions, SandboxCallParams, SandboxOperation } from './kaspi-sandbox.types';
import { KaspiStatusCode } from './kaspi-status-codes';
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

  /** A call that takes `fields`, checked in that order, has the store act on them and answers with what it made. */
  const route = <K extends FieldIn<'proxy'>, R>(
    operation: SandboxOperation,
    fields: readonly K[],
    act: (checked: CheckedFields<FieldChecks<'proxy', K>>, now: number) => Checked<R>,
    answer: (result: R, now: number, req: Request) => Record<string, unknown>,
  ) =>
    async (req: Request, res: Response): Promise<void> => {
      const query = req.query as ProxyQuery;
      const accessTokenValid = tokenMatches(query.access_token, options().proxyAccessToken);
      const params = Object.fromEntries(fields.map((field) => [field, asCallParam(query[fieldName('proxy', field)])]));
      await runner.run(
        req,
        res,
        {
          mode: 'proxy',
          operation,
          requestId: req.get('X-Request-ID') ?? null,
          params: { ...dropUndefined(params), accessTokenValid },
          execute: () => {
            if (!accessTokenValid) return { outcomeStatusCode: null, answer: INVALID_TOKEN_ANSWER };
            const now = Date.now();
            const outcome = answerChecked(
              checkFields('proxy', fields, query),
              (checked) => act(checked, now),
              (result) => answer(result, now, req),
            );
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
      ['organizationBin', 'amount', 'phone', 'deviceToken', 'comment'],
      (fields, now) => store.createRemotePayment({ mode: 'proxy', ...fields }, now),
      (created, now) => ({ externalId: externalId(created.qrPaymentId), status: store.statusOf(created, now).status }),
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
        ['organizationBin', 'amount', 'deviceToken'],
        (fields, now) => store.createQrPayment({ mode: 'proxy', kind, externalId: null, ...fields }, now),
        (payment, now, req) => {
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
      ),
    );
  }

  router.get(
    '/status',
    route(
      'status',
      ['qrPaymentId'],
      ({ qrPaymentId }, now) => store.status(qrPaymentId, now),
      (found) => ({ externalId: externalId(found.payment.qrPaymentId), status: found.status }),
    ),
  );

  router.get(
    '/refund',
    route(
      'refund',
      ['qrPaymentId', 'amount', 'organizationBin', 'deviceToken'],
      (fields, now) => store.refund(fields, now),
      (refund) => ({ returnOperationId: Number(refund.returnOperationId) }),
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
