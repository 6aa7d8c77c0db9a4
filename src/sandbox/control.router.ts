import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { maskDeviceToken } from '../domain/device-token';
import { maskPhone } from '../domain/phone';
import { bearerMatches } from '../security/bearer-token';
import type {
  CustomerAction,
  KaspiSandbox,
  FaultSpec,
  SandboxCallParams,
  SandboxCallRecord,
  SandboxDeviceView,
  SandboxPaymentView,
  SandboxSnapshot,
} from './kaspi-sandbox.types';
import {
  faultSpecListSchema,
  faultSpecSchema,
  forceStatusSchema,
  parseControlInput,
  SandboxControlError,
  snapshotQuerySchema,
} from './sandbox-control.schemas';

const CUSTOMER_ACTIONS: ReadonlySet<string> = new Set<CustomerAction>(['scan', 'confirm', 'scanerror', 'confirmerror']);

/**
 * The JSON API behind `SandboxControlClient`: the sandbox's in-process methods over HTTP.
 *
 * Anyone who can reach the port can drive it, but not from a web page on another site (the request
 * is refused before it runs), and phone numbers and device tokens are shown masked unless the
 * caller presents the sandbox's control token (`Authorization: Bearer <controlToken>`).
 */
export function createControlRouter(sandbox: KaspiSandbox): Router {
  const router = express.Router();
  router.use(refuseCrossSite);
  router.use(express.json({ limit: '8mb' }));
  const shown = (req: Request) => (bearerMatches(req.headers.authorization, sandbox.controlToken) ? whole : masked);

  router.get('/state', (req, res) => {
    res.json(shown(req).snapshot(sandbox.snapshot(parseControlInput(snapshotQuerySchema, req.query))));
  });

  router.post('/reset', (_req, res) => {
    sandbox.reset();
    res.json({ ok: true });
  });

  router.get('/faults', (_req, res) => {
    res.json({ faults: sandbox.snapshot({ paymentsLimit: 0, callsLimit: 0 }).faults });
  });

  router.post('/faults', (req, res) => {
    const specs: FaultSpec[] = Array.isArray(req.body)
      ? parseControlInput(faultSpecListSchema, req.body)
      : [parseControlInput(faultSpecSchema, req.body ?? {})];
    const added = specs.map((spec) => sandbox.injectFault(spec));
    res.status(201).json(Array.isArray(req.body) ? { faults: added } : { fault: added[0] });
  });

  router.delete('/faults', (_req, res) => {
    sandbox.clearFaults();
    res.json({ ok: true });
  });

  router.get('/config', (_req, res) => {
    res.json({ options: sandbox.options });
  });

  router.post('/config', (req, res) => {
    res.json({ options: sandbox.configure(req.body ?? {}) });
  });

  router.post('/devices', (req, res) => {
    res.status(201).json({ device: sandbox.registerDevice(req.body ?? {}) });
  });

  router.post('/payments/seed', (req, res) => {
    res.status(201).json({ qrPaymentIds: sandbox.seedPayments(req.body ?? {}) });
  });

  router.post('/payments/statuses', (req, res) => {
    const body = (req.body ?? {}) as { qrPaymentIds?: string[]; status?: string };
    res.json(sandbox.forceStatuses(body.qrPaymentIds as string[], body.status as string));
  });

  router.get('/payments/:qrPaymentId', (req, res) => {
    const payment = sandbox.payment(req.params.qrPaymentId);
    if (!payment) throw new SandboxControlError(`payment ${req.params.qrPaymentId} not found`, 404);
    res.json({ payment: shown(req).payment(payment) });
  });

  router.post('/payments/:qrPaymentId/status', (req, res) => {
    const { status } = parseControlInput(forceStatusSchema, req.body ?? {});
    res.json({ payment: shown(req).payment(sandbox.forceStatus(req.params.qrPaymentId, status)) });
  });

  router.post('/payments/:qrPaymentId/:action', (req, res) => {
    const action = req.params.action;
    if (!CUSTOMER_ACTIONS.has(action)) throw new SandboxControlError(`unknown action ${action}`, 404);
    res.json({ payment: shown(req).payment(sandbox.simulateCustomer(req.params.qrPaymentId, action as CustomerAction)) });
  });

  router.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'unknown control endpoint' });
  });

  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (error instanceof SandboxControlError) {
      res.status(error.httpStatus).json({ error: error.message });
      return;
    }
    if (isClientError(error)) {
      res.status(400).json({ error: 'request body is not valid JSON' });
      return;
    }
    console.error('kaspi sandbox: unexpected control error', error);
    res.status(400).json({ error: 'the control request could not be processed' });
  });

  return router;
}

function isClientError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * A page on another site can make a browser send simple requests here (a form POST, an image GET)
 * without asking first: anything a browser marks as coming from elsewhere is refused, and a POST
 * must be JSON, which no browser sends cross-origin without a preflight this API never grants.
 */
function refuseCrossSite(req: Request, res: Response, next: NextFunction): void {
  const site = req.headers['sec-fetch-site'];
  const crossSite = site !== undefined && site !== 'same-origin' && site !== 'none';
  const origin = req.headers.origin;
  const otherOrigin = origin !== undefined && originHost(origin) !== req.headers.host;
  const notJson = req.method === 'POST' && !req.is('application/json');
  if (crossSite || otherOrigin || notJson) {
    res.status(403).json({ error: 'cross-site requests are refused; send JSON from the same origin or from outside a browser' });
    return;
  }
  next();
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

type View = {
  snapshot(snapshot: SandboxSnapshot): SandboxSnapshot;
  payment(payment: SandboxPaymentView): SandboxPaymentView;
};

const whole: View = { snapshot: (snapshot) => snapshot, payment: (payment) => payment };

const maskedText = (value: string, mask: (text: string) => string | null) => mask(value) ?? value;

const masked: View = {
  snapshot: (snapshot) => ({
    ...snapshot,
    payments: snapshot.payments.map(masked.payment),
    calls: snapshot.calls.map(maskCall),
    devices: snapshot.devices.map(maskDevice),
  }),
  payment: (payment) => ({ ...payment, phone: payment.phone === null ? null : maskPhone(payment.phone), deviceToken: maskedText(payment.deviceToken, maskDeviceToken) }),
};

function maskCall(call: SandboxCallRecord): SandboxCallRecord {
  const params: SandboxCallParams = { ...call.params };
  if (typeof params.phone === 'string') params.phone = maskPhone(params.phone);
  else if (params.phone != null) params.phone = maskPhone(String(params.phone));
  if (typeof params.deviceToken === 'string') params.deviceToken = maskedText(params.deviceToken, maskDeviceToken);
  else if (params.deviceToken != null) params.deviceToken = maskedText(String(params.deviceToken), maskDeviceToken);
  return { ...call, params };
}

function maskDevice(device: SandboxDeviceView): SandboxDeviceView {
  return { ...device, deviceToken: maskedText(device.deviceToken, maskDeviceToken) };
}
