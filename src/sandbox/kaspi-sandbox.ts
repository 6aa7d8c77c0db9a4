import express, { type Request, type Response, type Router } from 'express';
import { randomBytes } from 'node:crypto';
import { tengeToTiyn } from '../domain/money';
import { createControlRouter } from './control.router';
import { createCustomerPageRouter } from './customer-page.router';
import { KaspiSandboxStore, type PaymentRecord } from './kaspi-sandbox.store';
import { KaspiStatusCode } from './kaspi-status-codes';
import type { KaspiSandbox, KaspiSandboxOptions, ResolvedSandboxOptions, SandboxPaymentView } from './kaspi-sandbox.types';
import { createProxyRouter } from './proxy.router';
import { createR3Router } from './r3.router';
import { SandboxCallLog } from './sandbox-call.log';
import {
  faultSpecSchema,
  forceStatusesSchema,
  parseControlInput,
  registerDeviceSchema,
  SandboxControlError,
  sandboxOptionsSchema,
  seedPaymentsSchema,
} from './sandbox-control.schemas';
import { SandboxFaultQueue } from './sandbox-fault.queue';
import { UpstreamCallRunner } from './upstream-call.runner';

export type { KaspiSandbox } from './kaspi-sandbox.types';

export const DEFAULT_SANDBOX_OPTIONS: ResolvedSandboxOptions = {
  autoAdvanceMs: 3000,
  autoEnrolDevices: true,
  proxyAccessToken: 'sandbox-access-token',
  latencyMs: 0,
  callLogLimit: 10_000,
  requireClientCertificate: false,
  proxyExternalIdType: 'number',
  qrOpenTimeoutSec: 180,
  qrPollingIntervalSec: 5,
  qrConfirmationTimeoutSec: 65,
};

export function createKaspiSandbox(options: KaspiSandboxOptions = {}, controlToken = randomBytes(24).toString('base64url')): KaspiSandbox {
  const initialOptions: ResolvedSandboxOptions = {
    ...DEFAULT_SANDBOX_OPTIONS,
    ...withoutUndefined(parseControlInput(sandboxOptionsSchema, options)),
  };
  let current: ResolvedSandboxOptions = { ...initialOptions };
  const currentOptions = (): ResolvedSandboxOptions => current;

  const store = new KaspiSandboxStore(currentOptions);
  const faults = new SandboxFaultQueue();
  const log = new SandboxCallLog(current.callLogLimit);
  const runner = new UpstreamCallRunner({ faults, log, options: currentOptions });

  const viewOf = (qrPaymentId: string): SandboxPaymentView => {
    const payment = store.find(qrPaymentId);
    if (!payment) throw new SandboxControlError(`payment ${qrPaymentId} not found`, 404);
    return store.view(payment, Date.now());
  };

  const sandbox: KaspiSandbox = {
    router: express.Router(),
    controlToken,

    get options() {
      return { ...current };
    },

    reset() {
      store.reset();
      faults.clear();
      log.clear();
      current = { ...initialOptions };
      log.resize(current.callLogLimit);
    },

    snapshot(query = {}) {
      const now = Date.now();
      let payments: PaymentRecord[];
      if (query.qrPaymentId !== undefined) {
        const payment = store.find(query.qrPaymentId);
        payments = payment ? [payment] : [];
      } else {
        payments = store.listPayments(query.paymentsLimit);
      }
      return {
        payments: payments.map((payment) => store.view(payment, now)),
        calls: log.list(query.callsLimit),
        ...log.counts(),
        devices: store.listDevices(),
        faults: faults.list(),
        options: { ...current },
      };
    },

    injectFault(spec) {
      return faults.add(parseControlInput(faultSpecSchema, spec));
    },

    clearFaults() {
      faults.clear();
    },

    configure(partial) {
      const changes = withoutUndefined(parseControlInput(sandboxOptionsSchema, partial));
      current = { ...current, ...changes };
      if (changes.callLogLimit !== undefined) log.resize(changes.callLogLimit);
      return { ...current };
    },

    forceStatus(qrPaymentId, status) {
      if (typeof status !== 'string' || status.trim() === '') {
        throw new SandboxControlError('status must be a non-empty word', 400);
      }
      if (!store.forceStatus(qrPaymentId, status, Date.now())) {
        throw new SandboxControlError(`payment ${qrPaymentId} not found`, 404);
      }
      return viewOf(qrPaymentId);
    },

    simulateCustomer(qrPaymentId, action) {
      const result = store.customerAction(qrPaymentId, action, Date.now());
      if (!result.ok) {
        throw new SandboxControlError(result.outcome.message, store.find(qrPaymentId) ? 409 : 404);
      }
      return viewOf(qrPaymentId);
    },

    payment(qrPaymentId) {
      const payment = store.find(qrPaymentId);
      return payment ? store.view(payment, Date.now()) : null;
    },

    seedPayments(input) {
      const parsed = parseControlInput(seedPaymentsSchema, input);
      const seeded = store.seedPayments(
        {
          mode: parsed.mode ?? 'proxy',
          organizationBin: parsed.organizationBin,
          deviceToken: parsed.deviceToken.toLowerCase(),
          amount: tengeToTiyn(parsed.amount),
          phone: parsed.phone,
          comment: null,
        },
        parsed.count,
        Date.now() - (parsed.ageMs ?? 0),
      );
      if (!seeded.ok) throw new SandboxControlError(seeded.outcome.message, 400);
      return seeded.value;
    },

    forceStatuses(qrPaymentIds, status) {
      const parsed = parseControlInput(forceStatusesSchema, { qrPaymentIds, status });
      const now = Date.now();
      const notFound = parsed.qrPaymentIds.filter((qrPaymentId) => !store.forceStatus(qrPaymentId, parsed.status, now));
      return { updated: parsed.qrPaymentIds.length - notFound.length, notFound };
    },

    registerDevice(input) {
      const parsed = parseControlInput(registerDeviceSchema, input);
      const result = store.registerDevice({
        organizationBin: parsed.organizationBin,
        tradePointId: parsed.tradePointId ?? 1,
        deviceId: parsed.deviceId ?? null,
        deviceToken: parsed.deviceToken,
      });
      if (!result.ok) {
        const notFound = result.outcome.statusCode === KaspiStatusCode.TRADE_POINT_NOT_FOUND;
        throw new SandboxControlError(result.outcome.message, notFound ? 400 : 409);
      }
      return { ...result.value };
    },
  };

  sandbox.router.use('/r3', createR3Router({ store, runner, options: currentOptions }));
  sandbox.router.use('/proxy', createProxyRouter({ store, runner, options: currentOptions }));
  sandbox.router.use('/_control', createControlRouter(sandbox));
  sandbox.router.use('/pay', createCustomerPageRouter(store));
  sandbox.router.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });

  return sandbox;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
