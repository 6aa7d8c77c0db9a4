import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PollingCadence } from '../config';
import { defaultMethod, hasWhatMethodNeeds, PaymentMethod } from '../domain/payment-method';
import { isFinalStatus, PaymentStatus } from '../domain/payment-status';
import { maskPhone } from '../domain/phone';
import { Payment } from '../entities/payment.entity';
import { Refund } from '../entities/refund.entity';
import { merchantAccountOf, PaymentConfig } from '../entities/payment-config.entity';
import { LogOperation } from '../entities/payment-log.entity';
import { ErrorCode, userError, type UserError } from '../errors';
import type { Logger } from '../logger';
import type { CreatedPayment, PaymentProvider, ProviderPaymentState } from '../providers/provider';
import { DEFAULT_PROVIDER_ID } from '../providers/provider-ids';
import type { ProviderRegistry } from '../providers/registry';
import { isPastLifetime, nextPollAt } from '../domain/poll-schedule';
import { auditError, type AuditService } from './audit.service';
import type { ConfigCache } from './config-cache';
import { inTransaction, originOf, seesShop, shopScope, type Actor, type Origin, type UseCaseContext } from './context';
import { digest, IdempotentRequests } from './idempotency';
import { routingFor } from './routing';
import { runLimited } from './run-limited';
import type { PaymentEventsService } from './payment-events.service';
import type { PaymentLifecycle } from './payment-lifecycle.service';
import { callProvider, outcomeError, type CallOutcome } from './provider-outcome';
import { InputCheck, MESSAGE_MAX_LENGTH } from './validation';

export interface CreatePaymentCommand {
  shopId: number;
  /** Tenge, as the client sent it; converted to tiyn exactly or refused. */
  amount: number;
  /** Default: the first of the shop's provider's methods that fits what was given. */
  method?: PaymentMethod | null;
  /** Required by the methods that send to a phone (KASPI_REMOTE). */
  phone?: string | null;
  /** Where a provider that can sends the payment link by e-mail. */
  email?: string | null;
  message?: string | null;
  idempotencyKey?: string | null;
}

export interface ResolvePaymentCommand {
  paymentId: string;
  /** The provider's id of the invoice, found by a human at the provider. */
  externalId?: string | null;
  /** The invoice does not exist at the provider. */
  markFailed?: boolean | null;
  reason: string;
}

export interface PaymentResult {
  payment: Payment | null;
  errors: UserError[];
}

export interface PaymentServiceSettings {
  maxPaymentAmountTenge: number;
  idempotencyWaitMs: number;
  cadence: PollingCadence;
}

/** Who asks for a status check: a caller through the API, or the reconciler. */
export type CheckOrigin = Origin & { requestId: string };

/** Creating payments and learning their status. */
export class PaymentService {
  private readonly idempotency: IdempotentRequests<Payment, PaymentResult>;

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly lifecycle: PaymentLifecycle,
    private readonly audit: AuditService,
    private readonly events: PaymentEventsService,
    private readonly settings: PaymentServiceSettings,
    private readonly logger: Logger,
    private readonly configs: ConfigCache,
  ) {
    this.idempotency = new IdempotentRequests<Payment, PaymentResult>({
      find: (em, callerId, key) => loadWithRefunds(em, 'p.caller_id = ? and p.idempotency_key = ?', [callerId, key]),
      reload: (em, payment) => this.findById(em, payment.id),
      isPending: (payment) => payment.status === PaymentStatus.PENDING,
      errorsOf: createErrors,
      answer: (payment, errors) => ({ payment, errors }),
      noun: 'request',
      waitMs: settings.idempotencyWaitMs,
    });
  }

  /**
   * Creates a payment by any method of the shop's provider (an invoice to the customer's Kaspi app,
   * a QR code, a payment link), routed by the shop's configuration.
   *
   * In three steps, none holding a transaction across the provider call: record the payment as
   * PENDING and commit; call the provider; record what came back. A retry with the same
   * idempotency key returns the first result and never creates a second payment.
   *
   * @example
   * await payments.create(ctx, { shopId: 8, amount: 100, method: PaymentMethod.KASPI_QR, idempotencyKey: 'order-12345' });
   */
  async create(ctx: UseCaseContext, input: CreatePaymentCommand): Promise<PaymentResult> {
    const check = new InputCheck();
    const shopId = check.shopId(input.shopId);
    const amount = check.amount(input.amount, this.settings.maxPaymentAmountTenge);
    const phone = input.phone == null || input.phone.trim() === '' ? null : check.phone(input.phone);
    const email = input.email == null || input.email.trim() === '' ? null : check.email(input.email);
    const message = check.text(input.message, MESSAGE_MAX_LENGTH, ['input', 'message']);
    const idempotencyKey = check.idempotencyKey(input.idempotencyKey);
    if (!check.ok) return { payment: null, errors: check.errors };
    if (!seesShop(ctx.actor, shopId)) return { payment: null, errors: [this.refuseConfig(shopId, null)!] };

    // A remote invoice hashes as it did before methods existed, so that its earlier keys still replay.
    const asked = input.method === PaymentMethod.KASPI_REMOTE ? {} : { method: input.method ?? null, email };
    const requestHash = digest({ shopId, amount, phone, message, ...asked });
    const earlier = await this.idempotency.replayEarlier(ctx, idempotencyKey, requestHash);
    if (earlier) return earlier;

    const config = await this.configs.get(ctx.em, shopId);
    const refusal = this.refuseConfig(shopId, config);
    if (refusal || !config) {
      await this.auditRefusal(ctx, shopId, config, amount, refusal!);
      return { payment: null, errors: [refusal!] };
    }
    const provider = this.registry.get(config.provider);
    const chosen = chooseMethod(provider, input.method ?? null, { phone });
    if (typeof chosen !== 'string') {
      await this.auditRefusal(ctx, shopId, config, amount, chosen);
      return { payment: null, errors: [chosen] };
    }
    const method = chosen;

    // The attempt is audited before the call: a crash during it still leaves a trace of a call
    // that may have reached the provider.
    const opened = await this.idempotency.insertOnce(ctx, idempotencyKey, requestHash, () =>
      inTransaction(ctx.em, async (tx) =>
        this.lifecycle.open(
          tx,
          {
            shopId,
            provider: provider.id,
            organizationBin: config.organizationBin,
            deviceToken: config.deviceToken,
            amount,
            method,
            phoneMasked: phone ? maskPhone(phone) : '',
            message,
            callerId: ctx.actor.callerId,
            idempotencyKey,
            requestHash,
          },
          originOf(ctx),
        ),
      ),
    );
    if ('replayed' in opened) return opened.replayed;
    const payment = opened.inserted;

    const outcome = await callProvider(() =>
      provider.createPayment({
        routing: { organizationBin: payment.organizationBin, deviceToken: payment.deviceToken, account: merchantAccountOf(config) },
        reference: payment.id,
        amount,
        method,
        phone,
        email,
        message,
        requestId: ctx.requestId,
      }),
    );
    const saved = await this.recordCreateOutcome(ctx, payment.id, outcome);
    return { payment: saved, errors: createErrors(saved) };
  }

  /** With `actor`, a payment of a shop the caller does not see is not found. */
  async findById(em: EntityManager, id: string, actor?: Actor): Promise<Payment | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const payment = await loadWithRefunds(em, 'p.id = ?', [id]);
    return payment && (!actor || seesShop(actor, payment.shopId)) ? payment : null;
  }

  async findByExternalId(em: EntityManager, externalId: string): Promise<Payment | null> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(externalId)) return null;
    return loadWithRefunds(em, 'p.external_id = ? order by p.created_at desc', [externalId]);
  }

  /** Payments for the admin frontend, newest first; e.g. every UNKNOWN payment waiting for a human. */
  async list(
    em: EntityManager,
    filter: { status?: PaymentStatus | null; shopId?: number | null; limit: number; visibleShops?: readonly number[] | null },
  ): Promise<Payment[]> {
    const scope = shopScope(filter.visibleShops, filter.shopId);
    if (!scope) return [];
    const where: Record<string, unknown> = { ...scope };
    if (filter.status != null) where.status = filter.status;
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit)), 500);
    return em.find(Payment, where, { populate: ['refunds'], orderBy: { createdAt: 'desc' }, limit });
  }

  /**
   * Settles an UNKNOWN payment that the gateway cannot settle by itself (its create call broke off,
   * so the provider's id was never learned). An admin who found the invoice at the provider attaches
   * its id, after which the reconciler polls it like any other; or, having made sure no invoice
   * exists, marks it FAILED. Either way the audit log keeps who did it and why.
   */
  async resolveUnknown(ctx: UseCaseContext, input: ResolvePaymentCommand): Promise<PaymentResult> {
    const check = new InputCheck();
    const externalId = input.externalId == null ? null : check.externalId(input.externalId);
    const reason = check.text(input.reason, 500, ['input', 'reason']);
    if (!reason || reason.length < 3) check.fail(['input', 'reason'], 'reason must say why, in at least 3 characters');
    if ((externalId == null) === !input.markFailed) {
      check.fail(['input'], 'give either externalId (the invoice exists at the provider) or markFailed: true (it does not)');
    }
    if (!check.ok) return { payment: null, errors: check.errors };

    const existing = await this.findById(ctx.em.fork(), input.paymentId, ctx.actor);
    if (!existing) return { payment: null, errors: [userError(ErrorCode.PAYMENT_NOT_FOUND, 'no such payment', ['input', 'paymentId'])] };
    if (externalId) {
      const owner = await ctx.em.fork().findOne(Payment, { provider: existing.provider, externalId });
      if (owner && owner.id !== existing.id) {
        return { payment: null, errors: [userError(ErrorCode.BAD_INPUT, `externalId ${externalId} already belongs to another payment`, ['input', 'externalId'])] };
      }
    }

    const refusal = await inTransaction(ctx.em, async (tx) => {
      const payment = await tx.findOneOrFail(Payment, { id: existing.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (payment.status !== PaymentStatus.UNKNOWN || payment.externalId) {
        return userError(ErrorCode.BAD_INPUT, `only an UNKNOWN payment without a provider id can be resolved; this one is ${payment.status}`, ['input', 'paymentId']);
      }
      if (externalId) {
        payment.externalId = externalId;
        payment.nextPollAt = new Date();
      } else {
        payment.errorMessage = `marked FAILED by ${ctx.actor.label}: ${reason}`.slice(0, 500);
      }
      await this.lifecycle.record(
        tx,
        payment,
        { operation: LogOperation.RESOLVE, amount: payment.amount, details: { action: externalId ? 'attachExternalId' : 'markFailed', reason } },
        originOf(ctx),
        externalId ? undefined : PaymentStatus.FAILED,
      );
      return null;
    });
    if (refusal) return { payment: null, errors: [refusal] };
    this.events.wake();
    if (externalId && (await this.claimCheck(ctx.em, existing.id))) {
      await this.checkStatus(ctx.em, existing.id, { actor: ctx.actor.label, requestId: ctx.requestId });
    }
    return { payment: await this.findById(ctx.em.fork(), existing.id), errors: [] };
  }

  /**
   * The payment with this provider id. A final payment is answered from the database; otherwise
   * the provider is asked first, unless it was asked less than the provider's minimum interval ago.
   */
  async paymentStatus(ctx: UseCaseContext, externalId: string): Promise<Payment | null> {
    const found = await this.findByExternalId(ctx.em, externalId);
    const payment = found && seesShop(ctx.actor, found.shopId) ? found : null;
    if (!payment || isFinalStatus(payment.status)) return payment;
    if (!(await this.claimCheck(ctx.em, payment.id))) return payment;
    await this.checkStatus(ctx.em, payment.id, { actor: ctx.actor.label, requestId: ctx.requestId });
    return this.findById(ctx.em.fork(), payment.id);
  }

  /**
   * Takes the right to ask the provider about a payment now. The database grants it to one caller
   * per minimum interval, whichever instance or code path asks, so that the provider is never
   * polled faster than it allows.
   */
  async claimCheck(em: EntityManager, paymentId: string): Promise<boolean> {
    const rows = await em.fork().getConnection().execute<{ id: string }[]>(
      `update payment set last_polled_at = now()
        where id = ? and (last_polled_at is null or last_polled_at <= now() - (? * interval '1 millisecond'))
        returning id`,
      [paymentId, this.settings.cadence.minIntervalMs],
    );
    return rows.length === 1;
  }

  /**
   * Asks the provider for a payment's status and records the answer, the audit row and any status
   * change. Used by `paymentStatus` and by the reconciler, after {@link claimCheck} (or the
   * reconciler's batch claim). Never throws for provider failures: they are recorded, and the next
   * check is pushed back.
   */
  async checkStatus(em: EntityManager, paymentId: string, origin: CheckOrigin): Promise<void> {
    await this.checkStatuses(em, [paymentId], () => origin, 1);
  }

  /**
   * {@link checkStatus} for a batch, as the reconciler claims them: one read, the provider calls
   * side by side (at most `concurrency` at once), then every answer recorded in one short
   * transaction, so that the database work does not grow with each payment's round trips.
   */
  async checkStatuses(em: EntityManager, paymentIds: string[], originFor: (paymentId: string) => CheckOrigin, concurrency: number): Promise<void> {
    if (paymentIds.length === 0) return;
    const payments = await em.fork().find(Payment, { id: { $in: paymentIds } });
    const due = payments.filter((payment) => !isFinalStatus(payment.status) && (payment.externalId || this.findsByReference(payment)));
    const outcomes = new Map<string, { outcome: CallOutcome<ProviderPaymentState | null>; origin: CheckOrigin }>();
    await runLimited(due, concurrency, async (payment) => {
      const provider = this.registry.find(payment.provider);
      if (!provider) {
        this.logger.error({ paymentId: payment.id, provider: payment.provider }, 'payment provider is not configured');
        return;
      }
      const origin = originFor(payment.id);
      const routing = await routingFor(em, this.configs, provider, payment);
      const { externalId } = payment;
      // Without the provider's id (its create answer was lost), only a lookup by our own reference can tell.
      const lookUp = externalId
        ? () => provider.getStatus({ externalId, reference: payment.id, routing, requestId: origin.requestId })
        : () => provider.findPayment!({ reference: payment.id, routing, requestId: origin.requestId });
      outcomes.set(payment.id, { outcome: await callProvider(lookUp), origin });
    });
    if (outcomes.size === 0) return;

    const expired: Array<[string, CheckOrigin]> = [];
    await inTransaction(em, async (tx) => {
      const locked = await tx.find(Payment, { id: { $in: [...outcomes.keys()] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
      for (const current of locked) {
        const { outcome, origin } = outcomes.get(current.id)!;
        let to: PaymentStatus | undefined;
        if (outcome.kind === 'ok') {
          current.pollFailures = 0;
          // Null: the provider has nothing under our reference yet; the payment stays as it is.
          if (outcome.value) to = this.readProviderState(current, outcome.value);
        } else {
          current.pollFailures += 1;
        }
        await this.lifecycle.record(
          tx,
          current,
          {
            operation: LogOperation.STATUS,
            status: outcome.kind === 'ok' ? (outcome.value?.providerStatus ?? null) : null,
            ...auditError(outcome, 'status check'),
            details:
              outcome.kind === 'ok' && outcome.value && !outcome.value.recognised ? { unrecognisedStatus: outcome.value.providerStatus } : null,
          },
          origin,
          to,
        );
        current.nextPollAt = this.nextCheckAt(current);
        if (outcome.kind === 'ok' && !isFinalStatus(current.status) && isPastLifetime(current, this.settings.cadence)) {
          expired.push([current.id, origin]);
        }
      }
    });
    for (const [paymentId, origin] of expired) await this.expire(em, paymentId, origin);
    this.events.wake();
  }


  /**
   * A payment still unpaid at the end of its lifetime: cancelled at the provider where it can be,
   * then EXPIRED. If the cancel does not go through, the payment stays as it is and is asked again.
   */
  private async expire(em: EntityManager, paymentId: string, origin: CheckOrigin): Promise<void> {
    const payment = await em.fork().findOneOrFail(Payment, { id: paymentId });
    const provider = this.registry.find(payment.provider);
    // A payment whose end the provider set (a QR code, a link) ends there by itself: nothing to cancel.
    if (provider?.cancelPayment && payment.externalId && !payment.settlesBy) {
      const externalId = payment.externalId;
      const routing = await routingFor(em, this.configs, provider, payment);
      const outcome = await callProvider(() =>
        provider.cancelPayment!({ externalId, reference: payment.id, routing, requestId: origin.requestId }),
      );
      if (outcome.kind !== 'ok') {
        this.logger.warn({ paymentId, outcome: outcome.kind }, 'could not cancel an expired payment; will ask again');
        return;
      }
    }
    await inTransaction(em, async (tx) => {
      const current = await tx.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      await this.lifecycle.transition(
        tx,
        current,
        PaymentStatus.EXPIRED,
        { operation: LogOperation.STATUS, errorMessage: current.settlesBy ? 'not paid before the provider stopped taking it' : 'not paid within the payment lifetime' },
        origin,
      );
    });
  }

  /**
   * Records what the provider told of a payment by itself (a notification, already verified): the
   * same rules as a status answer. A report that changes nothing writes nothing, so that a repeated
   * notification leaves no trace but the first.
   *
   * @returns whether anything changed.
   */
  async applyReportedState(em: EntityManager, paymentId: string, state: Omit<ProviderPaymentState, 'externalId'>, origin: CheckOrigin): Promise<boolean> {
    const changed = await inTransaction(em, async (tx) => {
      const payment = await tx.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      // A late report of an earlier attempt (a decline retried after the payment went through) changes no final payment.
      if (isFinalStatus(payment.status) && state.status !== payment.status) return false;
      const fingerprint = () => [payment.status, payment.providerStatus, payment.externalId, payment.providerTransactionId, payment.anomaly].join('\n');
      const before = fingerprint();
      const to = this.readProviderState(payment, state);
      const unchanged = (to === undefined || to === payment.status) && fingerprint() === before;
      if (unchanged) return false;
      await this.lifecycle.record(
        tx,
        payment,
        { operation: LogOperation.STATUS, status: payment.providerStatus, details: state.recognised ? null : { unrecognisedStatus: state.providerStatus } },
        origin,
        to,
      );
      payment.nextPollAt = this.nextCheckAt(payment);
      return true;
    });
    if (changed) this.events.wake();
    return changed;
  }

  /** When the reconciler should next ask about this payment, if ever. */
  nextCheckAt(payment: Payment): Date | null {
    return nextPollAt(payment, this.settings.cadence, this.findsByReference(payment));
  }

  /** Whether the payment's provider can find it by our own reference, its id at the provider unknown. */
  private findsByReference(payment: Payment): boolean {
    return this.registry.find(payment.provider)?.findPayment !== undefined;
  }

  /**
   * Keeps what the provider reported of a payment (a status answer, a lookup by our reference, a
   * notification): its word, the transaction that paid it and, for a payment whose create answer
   * was lost, the id the provider knows it by. Returns the status it maps to, if it is one we know.
   */
  private readProviderState(payment: Payment, state: Omit<ProviderPaymentState, 'externalId'> & { externalId?: string }): PaymentStatus | undefined {
    if (!isFinalStatus(payment.status) && state.providerTransactionId) payment.providerTransactionId = state.providerTransactionId;
    payment.externalId ??= state.externalId ?? state.providerTransactionId ?? null;
    payment.providerStatus = state.providerStatus.slice(0, 64);
    if (!state.recognised) {
      this.logger.warn({ paymentId: payment.id, providerStatus: payment.providerStatus }, 'unrecognised provider status');
      return undefined;
    }
    return state.status;
  }

  private async recordCreateOutcome(
    ctx: UseCaseContext,
    paymentId: string,
    outcome: CallOutcome<CreatedPayment>,
  ): Promise<Payment> {
    const saved = await inTransaction(ctx.em, async (tx) => {
      const payment = await tx.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      let to: PaymentStatus;
      switch (outcome.kind) {
        case 'ok':
          payment.externalId = outcome.value.externalId;
          payment.providerStatus = outcome.value.providerStatus.slice(0, 64);
          payment.paymentUrl = outcome.value.paymentUrl ?? null;
          payment.qrToken = outcome.value.qrToken ?? null;
          payment.expiresAt = outcome.value.expiresAt ?? null;
          payment.settlesBy = outcome.value.settlesBy ?? null;
          payment.pollIntervalMs = outcome.value.pollIntervalMs ?? null;
          payment.errorCode = null;
          payment.errorMessage = null;
          to = outcome.value.recognised ? outcome.value.status : PaymentStatus.WAITING;
          break;
        case 'rejected':
        case 'unavailable': {
          const error = outcomeError(outcome, 'payment');
          payment.errorCode = error.code;
          payment.errorMessage = error.message;
          payment.providerCode = outcome.providerCode;
          to = PaymentStatus.FAILED;
          break;
        }
        case 'unknown':
          payment.errorCode = ErrorCode.PROVIDER_UNAVAILABLE;
          payment.errorMessage = outcomeError(outcome, 'payment').message;
          to = PaymentStatus.UNKNOWN;
          break;
      }
      await this.lifecycle.record(
        tx,
        payment,
        {
          operation: LogOperation.CREATE,
          amount: payment.amount,
          ...(payment.providerStatus != null ? { status: payment.providerStatus } : {}),
          ...auditError(outcome, 'payment'),
          details: outcome.kind === 'ok' ? null : { outcome: outcome.kind, detail: outcome.detail },
        },
        originOf(ctx),
        to,
      );
      // A payment whose create answer was lost is asked about where the provider can find it by our reference.
      if (outcome.kind === 'ok' || outcome.kind === 'unknown') payment.nextPollAt = this.nextCheckAt(payment);
      return payment;
    });
    this.events.wake();
    // A payment just created has no refunds yet: what the transaction wrote is the whole answer.
    return saved;
  }

  private refuseConfig(shopId: number, config: PaymentConfig | null): UserError | null {
    if (!config) return userError(ErrorCode.CONFIG_NOT_FOUND, `shop ${shopId} has no payment configuration`, ['input', 'shopId']);
    if (!config.isActive) return userError(ErrorCode.CONFIG_INACTIVE, `the payment configuration of shop ${shopId} is inactive`, ['input', 'shopId']);
    if (!this.registry.has(config.provider)) {
      return userError(ErrorCode.PROVIDER_UNAVAILABLE, `provider "${config.provider}" is not configured`, ['input', 'shopId']);
    }
    return null;
  }

  private async auditRefusal(
    ctx: UseCaseContext,
    shopId: number,
    config: PaymentConfig | null,
    amount: number,
    error: UserError,
  ): Promise<void> {
    await inTransaction(ctx.em, async (tx) => {
      this.audit.config(
        tx,
        { shopId, organizationBin: config?.organizationBin ?? '', provider: config?.provider ?? DEFAULT_PROVIDER_ID },
        { operation: LogOperation.CREATE, amount, errorCode: error.code, errorMessage: error.message },
        originOf(ctx),
      );
    });
  }
}

/**
 * The method a payment will be made by: the one asked for, if the shop's provider takes it and was
 * given what it needs; else the provider's default for what was given.
 */
function chooseMethod(provider: PaymentProvider, asked: PaymentMethod | null, given: { phone: string | null }): PaymentMethod | UserError {
  if (asked === null) {
    return (
      defaultMethod(provider.methods, given) ??
      userError(ErrorCode.PAYMENT_METHOD_NOT_SUPPORTED, `provider "${provider.id}" has no payment method for this input`, ['input', 'method'])
    );
  }
  if (!provider.methods.has(asked)) {
    return userError(ErrorCode.PAYMENT_METHOD_NOT_SUPPORTED, `provider "${provider.id}" does not take ${asked} payments`, ['input', 'method']);
  }
  if (!hasWhatMethodNeeds(asked, given)) {
    return userError(ErrorCode.PAYMENT_METHOD_NOT_SUPPORTED, `${asked} needs the customer's phone`, ['input', 'phone']);
  }
  return asked;
}

/** The errors a create reports, rebuilt from what the payment recorded: a replay sees the same. */
export function createErrors(payment: Payment): UserError[] {
  if (payment.status === PaymentStatus.UNKNOWN || (payment.status === PaymentStatus.FAILED && payment.errorCode)) {
    return [
      userError((payment.errorCode as ErrorCode) ?? ErrorCode.PROVIDER_UNAVAILABLE, payment.errorMessage ?? 'the payment failed', undefined, {
        providerCode: payment.providerCode,
        // Stored, so the same key replays it: a retry with that key cannot help (the message says when a new key may).
        retryable: false,
      }),
    ];
  }
  return [];
}

/**
 * A payment and its refunds in one statement, mapped onto entities without building a query: the
 * read behind every status answer. `condition` is a fixed SQL fragment; values go in `params`.
 */
async function loadWithRefunds(em: EntityManager, condition: string, params: unknown[]): Promise<Payment | null> {
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(
    `select p.*, coalesce((select json_agg(r order by r.created_at) from refund r where r.payment_id = p.id), '[]'::json) as refund_rows
       from payment p
      where ${condition}
      limit 1`,
    params,
  );
  if (rows.length === 0) return null;
  const { refund_rows: refundRows, ...paymentRow } = rows[0];
  const payment = em.map(Payment, paymentRow);
  payment.refunds.hydrate((refundRows as Array<Record<string, unknown>>).map((row) => em.map(Refund, row)));
  return payment;
}
