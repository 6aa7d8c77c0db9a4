import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { KaspiSandbox } from './kaspi-sandbox';
import type { CustomerAction, FaultSpec } from './kaspi-sandbox.types';
import {
  faultSpecListSchema,
  faultSpecSchema,
  forceStatusSchema,
  parseControlInput,
  SandboxControlError,
  snapshotQuerySchema,
} from './sandbox-control.schemas';

const CUSTOMER_ACTIONS: ReadonlySet<string> = new Set<CustomerAction>(['scan', 'confirm', 'scanerror', 'confirmerror']);

/** The JSON API behind `SandboxControlClient`: the sandbox's in-process methods over HTTP. */
export function createControlRouter(sandbox: KaspiSandbox): Router {
  const router = express.Router();
  router.use(express.json({ limit: '8mb' }));

  router.get('/state', (req, res) => {
    res.json(sandbox.snapshot(parseControlInput(snapshotQuerySchema, req.query)));
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
    res.json({ payment });
  });

  router.post('/payments/:qrPaymentId/status', (req, res) => {
    const { status } = parseControlInput(forceStatusSchema, req.body ?? {});
    res.json({ payment: sandbox.forceStatus(req.params.qrPaymentId, status) });
  });

  router.post('/payments/:qrPaymentId/:action', (req, res) => {
    const action = req.params.action;
    if (!CUSTOMER_ACTIONS.has(action)) throw new SandboxControlError(`unknown action ${action}`, 404);
    res.json({ payment: sandbox.simulateCustomer(req.params.qrPaymentId, action as CustomerAction) });
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
