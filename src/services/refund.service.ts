import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { tiynToTengeString, type Tiyn } from '../domain/money';
import { PaymentStatus } from '../domain/payment-status';
import { refundableAmount, RefundStatus } from '../domain/refund-status';
import { explainUnknownRefunds } from '../domain/unknown-refunds';
import { Payment } from '../entities/payment.entity';
import { LogOperation } from '../entities/payment-log.entity';
import { Refund } from '../entities/refund.entity';
import { ErrorCode, userError, type UserError } from '../errors';
import type { Logger } from '../logger';
import type { PaymentProvider, ProviderRefundResult } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import { auditError } from './audit.service';
import type { ConfigCache } from './config-cache';
import { inTransaction, originOf, seesShop, type Origin, type UseCaseContext } from './use-case-context';
import { digest, IdempotentRequests } from './idempotent-requests';
import { callProvider, outcomeError, type CallOutcome } from './provider-outcome';
import type { PaymentEventsService } from './payment-events.service';
import type { NewRefund, RefundLifecycle, RefundMove } from './refund-lifecycle.service';
import { routingFor } from './provider-routing';
import { InputCheck } from './input-check';

export interface RefundCommand {
  shopId: number;
  externalId: string;
  /** Tenge, as the client sent it. */
  amount: number;
  idempotencyKey?: string | null;
  /** Why the money goes back, e.g. "goods returned"; kept in the audit log. */
  reason?: string | null;
}

export interface ResolveRefundCommand {
  refundId: string;
  outcome: 'SUCCEEDED' | 'FAILED';
  reason: string;
}

export interface RefundResult {
  refund: Refund | null;
  payment: Payment | null;
  errors: UserError[];
}

type Reservation = { refund: Refund; payment: Payment } | { refused: RefundResult };

/**
 * Partial and repeated refunds. Refunds of one payment are serialised on the payment's row, and a
 * refund's amount is reserved before the provider is called and stays reserved while its outcome
 * is unknown, so the refunded total can never exceed what was paid.
 */
export class RefundService {
  private readonly idempotency: IdempotentRequests<Refund, RefundResult>;

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly lifecycle: RefundLifecycle,
    private readonly events: PaymentEventsService,
    private readonly settings: { maxPaymentAmountTenge: number; idempotencyWaitMs: number },
    private readonly configs: ConfigCache,
    private readonly logger: Logger,
  ) {
    this.idempotency = new IdempotentRequests<Refund, RefundResult>({
      find: (em, shopId, key) => em.findOne(Refund, { shopId, idempotencyKey: key }),
      reload: (em, refund) => em.findOne(Refund, { id: refund.id }, { populate: ['payment', 'payment.refunds'] }),
      isPending: (refund) => refund.status === RefundStatus.PENDING,
      errorsOf: refundErrors,
      answer: (refund, errors) => ({ refund, payment: refund?.payment ?? null, errors }),
      noun: 'refund',
      waitMs: settings.idempotencyWaitMs,
    });
  }

  /**
   * Refunds `amount` of a PROCESSED payment, with the BIN and device token the payment was made
   * with.
   *
   * @example
   * await refunds.refund(ctx, { shopId: 8, externalId: '12800627774', amount: 50, idempotencyKey: 'return-991' });
   */
  async refund(ctx: UseCaseContext, input: RefundCommand): Promise<RefundResult> {
    const check = new InputCheck();
    const shopId = check.shopId(input.shopId);
    const externalId = check.externalId(input.externalId);
    const amount = check.amount(input.amount, this.settings.maxPaymentAmountTenge);
    const idempotencyKey = check.idempotencyKey(input.idempotencyKey);
    const reason = check.text(input.reason, 500, ['input', 'reason']);
    if (!check.ok) return { refund: null, payment: null, errors: check.errors };

    const notFound = (): RefundResult => ({
      refund: null,
      payment: null,
      errors: [userError(ErrorCode.PAYMENT_NOT_FOUND, `shop ${shopId} has no payment ${externalId}`, ['input', 'externalId'])],
    });
    // Keys are the shop's: a caller who does not see the shop must not replay its refunds.
    if (!seesShop(ctx.actor, shopId)) return notFound();
    const requestHash = digest({ shopId, externalId, amount });
    const earlier = await this.idempotency.replayEarlier(ctx, shopId, idempotencyKey, requestHash);
    if (earlier) return earlier;

    const found = await ctx.em.fork().findOne(Payment, { externalId, shopId });
    if (!found) return notFound();
    const provider = this.registry.find(found.provider);

    const reserved = await this.idempotency.insertOnce(ctx, shopId, idempotencyKey, requestHash, () =>
      inTransaction(ctx.em, (tx) => this.reserve(tx, ctx, found.id, { amount, callerId: ctx.actor.callerId, idempotencyKey, requestHash }, reason, provider === undefined)),
    );
    if ('replayed' in reserved) return reserved.replayed;
    const reservation = reserved.inserted;
    if ('refused' in reservation) return reservation.refused;
    this.events.wake();

    const { refund, payment } = reservation;
    const outcome = await this.callRefund(ctx.em, provider!, payment, refund, ctx.requestId);
    return this.recordOutcome(ctx.em, refund.id, outcome, originOf(ctx));
  }

  /** The refund call, under the refund's own id as the operation id a provider may keep it by. */
  private async callRefund(em: EntityManager, provider: PaymentProvider, payment: Payment, refund: Refund, requestId: string): Promise<CallOutcome<ProviderRefundResult>> {
    const routing = await routingFor(em, this.configs, provider, payment);
    return callProvider(() =>
      provider.refund({
        externalId: payment.externalId!,
        providerTransactionId: payment.providerTransactionId,
        operationId: refund.id,
        routing,
        amount: refund.amount,
        requestId,
      }),
    );
  }

  /**
   * Where the provider keeps a call's result under its operation id for a while
   * (`idempotencyWindowMs`), an UNKNOWN refund still inside that window is sent again under the
   * same id: the provider answers with what it did the first time, or does it now if the first
   * call never reached it. Either way the outcome becomes known and the refund is made at most once.
   *
   * @returns how many refunds it settled.
   */
  async replayUnknownRefunds(em: EntityManager, paymentId: string, origin: Origin & { requestId: string }): Promise<number> {
    const payment = await em.fork().findOne(Payment, { id: paymentId }, { populate: ['refunds'] });
    const provider = payment ? this.registry.find(payment.provider) : undefined;
    if (!payment?.externalId || !provider?.idempotencyWindowMs) return 0;
    // A margin, so that the repeat lands well inside the provider's memory of the first call.
    const since = Date.now() - provider.idempotencyWindowMs * 0.8;
    const due = payment.refunds.getItems().filter((refund) => refund.status === RefundStatus.UNKNOWN && refund.createdAt.getTime() > since);
    let settled = 0;
    for (const refund of due) {
      const outcome = await this.callRefund(em, provider, payment, refund, origin.requestId);
      if (outcome.kind === 'unknown') continue;
      const result = await this.recordOutcome(em, refund.id, outcome, origin);
      if (result.refund?.status !== RefundStatus.UNKNOWN) settled += 1;
    }
    return settled;
  }

  /**
   * A refund the provider reported by itself (a notification, already verified). Ours when one of
   * the payment's refunds in flight or unknown has its amount: settled as made. A refund we already
   * know, or one made outside the gateway, changes nothing.
   */
  async settleReportedRefund(em: EntityManager, paymentId: string, report: { amount: Tiyn; returnOperationId: string }, origin: Origin): Promise<boolean> {
    const settled = await inTransaction(em, async (tx) => {
      const payment = await tx.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const refunds = await tx.find(Refund, { payment: paymentId }, { orderBy: { createdAt: 'asc' } });
      if (refunds.some((refund) => refund.returnOperationId === report.returnOperationId)) return false;
      const ours = refunds.find(
        (refund) => (refund.status === RefundStatus.UNKNOWN || refund.status === RefundStatus.PENDING) && refund.amount === report.amount,
      );
      if (!ours) {
        this.logger.warn({ paymentId, returnOperationId: report.returnOperationId }, 'the provider reported a refund the gateway did not make');
        return false;
      }
      return this.lifecycle.transition(
        tx,
        ours,
        payment,
        { to: RefundStatus.SUCCEEDED, returnOperationId: report.returnOperationId, errorCode: null, errorMessage: null },
        { operation: LogOperation.REFUND, details: { returnOperationId: report.returnOperationId, reportedByProvider: true } },
        origin,
      );
    });
    if (settled) this.events.wake();
    return settled;
  }

  /**
   * Settles an UNKNOWN refund by what a human learned at the provider: SUCCEEDED counts it as
   * refunded, FAILED releases its reserved amount. Audited with who did it and why.
   */
  async resolveUnknown(ctx: UseCaseContext, input: ResolveRefundCommand): Promise<RefundResult> {
    const check = new InputCheck();
    const reason = check.text(input.reason, 500, ['input', 'reason']);
    if (!reason || reason.length < 3) check.fail(['input', 'reason'], 'reason must say why, in at least 3 characters');
    if (!/^[0-9a-f-]{36}$/i.test(input.refundId)) check.fail(['input', 'refundId'], 'refundId must be a refund id');
    if (!check.ok) return { refund: null, payment: null, errors: check.errors };

    const asked = await ctx.em.fork().findOne(Refund, { id: input.refundId }, { populate: ['payment'] });
    const found = asked && seesShop(ctx.actor, asked.payment.shopId) ? asked : null;
    if (!found) return { refund: null, payment: null, errors: [userError(ErrorCode.REFUND_NOT_FOUND, 'no such refund', ['input', 'refundId'])] };
    const refusal = await inTransaction(ctx.em, async (tx) => {
      const payment = await tx.findOneOrFail(Payment, { id: found.payment.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const refund = await tx.findOneOrFail(Refund, { id: found.id });
      if (refund.status !== RefundStatus.UNKNOWN) {
        return userError(ErrorCode.BAD_INPUT, `only an UNKNOWN refund can be resolved; this one is ${refund.status}`, ['input', 'refundId']);
      }
      await this.lifecycle.transition(
        tx,
        refund,
        payment,
        settledUnknown(input.outcome, `resolved by ${ctx.actor.label}: ${reason}`),
        { operation: LogOperation.RESOLVE, details: { action: 'resolveRefund', outcome: input.outcome, reason } },
        originOf(ctx),
      );
      return null;
    });
    if (refusal) return { refund: null, payment: null, errors: [refusal] };
    this.events.wake();
    const refund = await ctx.em.fork().findOneOrFail(Refund, { id: found.id }, { populate: ['payment', 'payment.refunds'] });
    return { refund, payment: refund.payment, errors: [] };
  }

  /**
   * Where the provider can say how much of a payment is left to refund (Kaspi direct:
   * payment/details), settles the payment's UNKNOWN refunds from it: the provider's refunded total
   * less the refunds we know succeeded is what the unknown ones came to. Only an unambiguous answer
   * is applied — none of them, all of them, or exactly one — anything else waits for a human.
   *
   * @returns how many refunds it settled.
   */
  async reconcileUnknownRefunds(em: EntityManager, paymentId: string, origin: Origin & { requestId: string }): Promise<number> {
    const payment = await em.fork().findOne(Payment, { id: paymentId }, { populate: ['refunds'] });
    if (!payment?.externalId) return 0;
    const provider = this.registry.find(payment.provider);
    if (!provider?.getRefundableAmount) return 0;
    if (!payment.refunds.getItems().some((refund) => refund.status === RefundStatus.UNKNOWN)) return 0;
    const externalId = payment.externalId;
    const routing = await routingFor(em, this.configs, provider, payment);
    const outcome = await callProvider(() =>
      provider.getRefundableAmount!({ externalId, reference: payment.id, routing, requestId: origin.requestId }),
    );
    if (outcome.kind !== 'ok') return 0;

    const settled = await inTransaction(em, async (tx) => {
      const locked = await tx.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const refunds = await tx.find(Refund, { payment: paymentId });
      // A refund still in flight would make the provider's figure a moving target.
      if (refunds.some((refund) => refund.status === RefundStatus.PENDING)) return 0;
      const unknown = refunds.filter((refund) => refund.status === RefundStatus.UNKNOWN);
      const succeeded = refunds.filter((refund) => refund.status === RefundStatus.SUCCEEDED).reduce((sum, r) => sum + r.amount, 0);
      const refundedAtProvider = outcome.value.total - outcome.value.available;
      const unexplained = refundedAtProvider - succeeded;
      const succeededIds = explainUnknownRefunds(unknown, unexplained);
      if (!succeededIds) return 0;
      const settled = unknown.map((refund) => [refund, succeededIds.has(refund.id) ? 'SUCCEEDED' : 'FAILED'] as const);
      for (const [refund, result] of settled) {
        await this.lifecycle.transition(
          tx,
          refund,
          locked,
          settledUnknown(result, `settled from the provider's refundable amount (${tiynToTengeString(outcome.value.available)} tenge left)`),
          { operation: LogOperation.REFUND, details: { reconciledFrom: 'refundableAmount', total: outcome.value.total, available: outcome.value.available } },
          origin,
        );
      }
      return settled.length;
    });
    if (settled > 0) this.events.wake();
    return settled;
  }

  /** Step one, under the payment's row lock: check what is left, then reserve the amount. */
  private async reserve(
    tx: EntityManager,
    ctx: UseCaseContext,
    paymentId: string,
    request: NewRefund,
    reason: string | null,
    providerMissing: boolean,
  ): Promise<Reservation> {
    const payment = await tx.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const available = refundableAmount(payment, await tx.find(Refund, { payment: paymentId }));
    const { amount } = request;
    let error: UserError | null = null;
    if (providerMissing) {
      error = userError(ErrorCode.PROVIDER_UNAVAILABLE, `provider "${payment.provider}" is not configured`);
    } else if (payment.status !== PaymentStatus.PROCESSED) {
      error = userError(
        ErrorCode.PAYMENT_NOT_REFUNDABLE,
        `only a PROCESSED payment can be refunded; this one is ${payment.status}`,
        ['input', 'externalId'],
      );
    } else if (amount > available) {
      error = userError(
        ErrorCode.REFUND_EXCEEDS_AVAILABLE,
        `the refund exceeds what is left to refund (${tiynToTengeString(available)} tenge)`,
        ['input', 'amount'],
      );
    }
    if (error) {
      this.lifecycle.refuse(tx, payment, amount, error, originOf(ctx));
      await tx.populate(payment, ['refunds']);
      return { refused: { refund: null, payment, errors: [error] } };
    }
    return { refund: await this.lifecycle.open(tx, payment, request, reason, originOf(ctx)), payment };
  }

  private async recordOutcome(
    em: EntityManager,
    refundId: string,
    outcome: CallOutcome<ProviderRefundResult>,
    origin: Origin,
  ): Promise<RefundResult> {
    // The answer is what this transaction wrote, not a later read that the reconciler may
    // already have moved on.
    const refund = await inTransaction(em, async (tx) => {
      const refund = await tx.findOneOrFail(Refund, { id: refundId }, { populate: ['payment'] });
      const payment = await tx.findOneOrFail(Payment, { id: refund.payment.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      await tx.populate(payment, ['refunds']);
      await this.lifecycle.transition(
        tx,
        refund,
        payment,
        moveFor(outcome),
        {
          operation: LogOperation.REFUND,
          ...auditError(outcome, 'refund'),
          details: outcome.kind === 'ok' ? { returnOperationId: outcome.value.returnOperationId } : { outcome: outcome.kind, detail: outcome.detail },
        },
        origin,
      );
      return refund;
    });
    this.events.wake();
    return { refund, payment: refund.payment, errors: refundErrors(refund) };
  }
}

function refundErrors(refund: Refund): UserError[] {
  if (refund.status === RefundStatus.FAILED || refund.status === RefundStatus.UNKNOWN) {
    return [
      userError((refund.errorCode as ErrorCode) ?? ErrorCode.PROVIDER_UNAVAILABLE, refund.errorMessage ?? 'the refund failed', undefined, {
        providerCode: refund.providerCode,
      }),
    ];
  }
  return [];
}

/** Where a provider answer moves a refund: only PENDING and UNKNOWN refunds move, by the table. */
function moveFor(outcome: CallOutcome<ProviderRefundResult>): RefundMove {
  switch (outcome.kind) {
    case 'ok':
      return { to: RefundStatus.SUCCEEDED, returnOperationId: outcome.value.returnOperationId, errorCode: null, errorMessage: null };
    case 'rejected':
    case 'unavailable': {
      const error = outcomeError(outcome, 'refund');
      return { to: RefundStatus.FAILED, errorCode: error.code, errorMessage: error.message, providerCode: outcome.providerCode };
    }
    case 'unknown':
      return { to: RefundStatus.UNKNOWN, errorCode: ErrorCode.PROVIDER_UNAVAILABLE, errorMessage: outcomeError(outcome, 'refund').message };
  }
}

/** How an UNKNOWN refund is settled once its outcome is learned; `note` says how it was learned. */
function settledUnknown(result: 'SUCCEEDED' | 'FAILED', note: string): RefundMove {
  return result === 'SUCCEEDED'
    ? { to: RefundStatus.SUCCEEDED, errorCode: null, errorMessage: note }
    : { to: RefundStatus.FAILED, errorMessage: note };
}
