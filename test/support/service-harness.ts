import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import pino from 'pino';
import { loadConfig, type AppConfig } from '../../src/config';
import { bindKeyRing } from '../../src/crypto/encrypted-text.type';
import { keyRingFor } from '../../src/crypto/key-ring';
import { startEmbeddedDatabase } from '../../src/db/embedded-database';
import { migrate, openOrm } from '../../src/db/orm';
import { tengeToTiyn } from '../../src/domain/money';
import { PaymentMethod } from '../../src/domain/payment-method';
import { PaymentStatus } from '../../src/domain/payment-status';
import { refundableAmount } from '../../src/domain/refund-status';
import { PaymentEvent } from '../../src/entities/payment-event.entity';
import { PaymentLog } from '../../src/entities/payment-log.entity';
import { Payment } from '../../src/entities/payment.entity';
import type { Refund } from '../../src/entities/refund.entity';
import {
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  type CreatedPayment,
  type CreatePaymentRequest,
  type PaymentProvider,
  type ProviderPaymentState,
  type RefundRequest,
  type ProviderRefundResult,
  type RefundableAmount,
  type StatusRequest,
  ProviderUnavailableError,
} from '../../src/providers/provider';
import { ProviderRegistry } from '../../src/providers/registry';
import { createServices, type Services } from '../../src/services';
import type { Actor, UseCaseContext } from '../../src/services/use-case-context';
import { createTestDatabase } from './database';
import { TEST_ENCRYPTION_KEYS } from './gateway';

export const FAKE_PROVIDER_ID = 'fake';
export const FAKE_BIN = '891027350515';
export const FAKE_DEVICE_TOKEN = '3c9f3f0e-6f43-4d3a-9a55-5b2f0c1d7e21';

export const MERCHANT: Actor = { callerId: 'test:merchant', label: 'merchant', role: 'service', shopIds: null };
export const OPERATOR: Actor = { callerId: 'test:operator', label: 'operator', role: 'admin', shopIds: null };

/** One answer of the fake upstream: a value, or a throw of one of the provider errors. */
type Answer<Request, Value> = (request: Request) => Value | Promise<Value>;

/**
 * What the fake upstream was asked and what it will answer next. Answers queued in `next` are used
 * first in, first out; with none queued a call succeeds the way the sandbox's would.
 */
export interface FakeUpstream {
  created: CreatePaymentRequest[];
  statusAsked: StatusRequest[];
  refunded: RefundRequest[];
  refundableAsked: StatusRequest[];
  next: {
    create: Array<Answer<CreatePaymentRequest, CreatedPayment>>;
    status: Array<Answer<StatusRequest, ProviderPaymentState>>;
    refund: Array<Answer<RefundRequest, ProviderRefundResult>>;
    /** With none queued, the provider cannot tell (unavailable). */
    refundable: Array<Answer<StatusRequest, RefundableAmount>>;
  };
  /** How long the provider remembers an operation id; unset, a refund is never asked again. */
  idempotencyWindowMs?: number;
}

/**
 * A provider that speaks to no network: it records every call and answers from `upstream`. It is
 * checked against the interface the real ones implement, so a change there breaks it at compile time.
 */
export function createFakeProvider(upstream: FakeUpstream) {
  let sequence = 0;
  return {
    id: FAKE_PROVIDER_ID,
    methods: new Set([PaymentMethod.KASPI_REMOTE, PaymentMethod.KASPI_QR]),
    async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
      upstream.created.push(request);
      const answer = upstream.next.create.shift();
      if (answer) return answer(request);
      sequence += 1;
      return { externalId: `fake-${sequence}`, providerStatus: 'Wait', status: PaymentStatus.WAITING, recognised: true };
    },
    async getStatus(request: StatusRequest): Promise<ProviderPaymentState> {
      upstream.statusAsked.push(request);
      const answer = upstream.next.status.shift();
      if (answer) return answer(request);
      return { externalId: request.externalId, providerStatus: 'Wait', status: PaymentStatus.WAITING, recognised: true };
    },
    async refund(request: RefundRequest): Promise<ProviderRefundResult> {
      upstream.refunded.push(request);
      const answer = upstream.next.refund.shift();
      if (answer) return answer(request);
      return { returnOperationId: `return-${upstream.refunded.length}` };
    },
    async getRefundableAmount(request: StatusRequest): Promise<RefundableAmount> {
      upstream.refundableAsked.push(request);
      const answer = upstream.next.refundable.shift();
      if (answer) return answer(request);
      throw new ProviderUnavailableError(FAKE_PROVIDER_ID, 'the provider cannot tell');
    },
    get idempotencyWindowMs() {
      return upstream.idempotencyWindowMs;
    },
  } satisfies PaymentProvider;
}

/** The provider's answer when its reply never came: the request may have reached it. */
export function timedOut(): never {
  throw new ProviderOutcomeUnknownError(FAKE_PROVIDER_ID, 'the provider did not answer within the timeout');
}

/** The provider's answer when it refused: nothing happened there. */
export function refused(code = '-1501'): never {
  throw new ProviderRejectedError(FAKE_PROVIDER_ID, 'the provider refused', code);
}

export function paidState(externalId: string): ProviderPaymentState {
  return { externalId, providerStatus: 'Processed', status: PaymentStatus.PROCESSED, recognised: true };
}

export interface ServiceHarness {
  config: AppConfig;
  orm: MikroORM;
  services: Services;
  upstream: FakeUpstream;
  /** A use-case context of its own (a fresh fork), as one GraphQL request gets. */
  ctx(actor?: Actor): UseCaseContext;
  /** A fresh fork of the root EntityManager, for reading what the services wrote. */
  em(): EntityManager;
  /** Routes `shopId` to the fake provider. */
  routeShop(shopId: number): Promise<void>;
  /** A payment of `amountTenge` the customer has paid: created, then PROCESSED by a status check. */
  paidPayment(shopId: number, amountTenge: number): Promise<Payment>;
  /** A payment and its refunds as they stand in the database, and what is left to refund of it. */
  stored(paymentId: string): Promise<{ payment: Payment; refunds: Refund[]; refundable: number }>;
  auditRows(paymentId: string): Promise<PaymentLog[]>;
  outboxEvents(paymentId: string): Promise<PaymentEvent[]>;
  close(): Promise<void>;
}

/**
 * The services as the gateway wires them, on a database of their own (embedded, or a fresh one on
 * the server DATABASE_URL names) and the fake provider: no HTTP server, no reconciler timer, no
 * outbox tail. Rules are tested here in milliseconds; the integration tests cover the wiring.
 */
export async function startServiceHarness(): Promise<ServiceHarness> {
  const database = await createTestDatabase();
  const embedded = database.url ? null : await startEmbeddedDatabase({ dataDir: null });
  const url = database.url ?? embedded!.url;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    // A test asks about a payment as often as it needs; the cadence has tests of its own.
    POLL_MIN_INTERVAL_MS: '0',
    // A duplicate waits this long for the first request to settle; a loaded machine must not turn that into a conflict.
    IDEMPOTENCY_WAIT_MS: '10000',
  });
  const orm = await openOrm({ url, poolMax: embedded ? 1 : 5 });
  try {
    bindKeyRing(orm, keyRingFor(config));
    await migrate(orm);
  } catch (error) {
    await orm.close();
    await embedded?.stop();
    await database.drop();
    throw error;
  }

  const upstream: FakeUpstream = {
    created: [],
    statusAsked: [],
    refunded: [],
    refundableAsked: [],
    next: { create: [], status: [], refund: [], refundable: [] },
  };
  const registry = new ProviderRegistry([createFakeProvider(upstream)]);
  const services = createServices(orm.em as EntityManager, config, registry, pino({ level: 'silent' }));

  const ctx = (actor: Actor = MERCHANT): UseCaseContext => ({ em: orm.em.fork() as EntityManager, actor, requestId: randomUUID() });
  const harness: ServiceHarness = {
    config,
    orm,
    services,
    upstream,
    ctx,
    em: () => orm.em.fork() as EntityManager,
    async routeShop(shopId) {
      const { errors } = await services.configs.create(ctx(OPERATOR), {
        shopId,
        organizationBin: FAKE_BIN,
        deviceToken: FAKE_DEVICE_TOKEN,
        provider: FAKE_PROVIDER_ID,
      });
      if (errors.length > 0) throw new Error(`could not route shop ${shopId}: ${JSON.stringify(errors)}`);
    },
    async paidPayment(shopId, amountTenge) {
      const { payment, errors } = await services.paymentCreation.create(ctx(), { shopId, amount: amountTenge, phone: '+7 701 521 15 45', idempotencyKey: randomUUID() });
      if (!payment || errors.length > 0) throw new Error(`could not create a payment: ${JSON.stringify(errors)}`);
      upstream.next.status.push((request) => paidState(request.externalId));
      await services.paymentStatusSync.checkStatus(orm.em as EntityManager, payment.id, { actor: 'test', requestId: randomUUID() });
      const paid = await harness.em().findOneOrFail(Payment, { id: payment.id }, { populate: ['refunds'] });
      if (paid.status !== PaymentStatus.PROCESSED || paid.amount !== tengeToTiyn(amountTenge)) {
        throw new Error(`the payment did not become PROCESSED: ${paid.status}`);
      }
      return paid;
    },
    async stored(paymentId) {
      const payment = await harness.em().findOneOrFail(Payment, { id: paymentId }, { populate: ['refunds'] });
      const refunds = payment.refunds.getItems();
      return { payment, refunds, refundable: refundableAmount(payment, refunds) };
    },
    auditRows: (paymentId) => harness.em().find(PaymentLog, { paymentId }, { orderBy: { id: 'asc' } }),
    outboxEvents: (paymentId) => harness.em().find(PaymentEvent, { paymentId }, { orderBy: { id: 'asc' } }),
    async close() {
      await orm.close();
      await embedded?.stop();
      await database.drop();
    },
  };
  return harness;
}

/**
 * The harness for one test file: started before its tests with `shops` routed to the fake
 * provider, and closed after them.
 */
export function useServiceHarness(...shops: number[]): ServiceHarness {
  const harness = {} as ServiceHarness;
  beforeAll(async () => {
    Object.assign(harness, await startServiceHarness());
    for (const shop of shops) await harness.routeShop(shop);
  });
  afterAll(() => harness.close?.());
  return harness;
}
