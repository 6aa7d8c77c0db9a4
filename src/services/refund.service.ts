import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { tiynToTengeString, type Tiyn } from '../domain/money';
import { PaymentStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { LogOperation } from '../entities/payment-log.entity';
import { Refund, RefundStatus, RESERVING_REFUND_STATUSES } from '../entities/refund.entity';
import { ErrorCode, userError, type UserError } from '../errors';
import type { RefundResult as ProviderRefundResult } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import { auditBase, auditError, type AuditService } from './audit.service';
import { inTransaction, type UseCaseContext } from './context';
import { digest, waitWhilePending } from './idempotency';
import type { PaymentEventsService } from './payment-events.service';
import { callProvider, outcomeError, type CallOutcome } from './provider-outcome';
import { InputCheck } from './validation';

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

export interface RefundOutcome {
  refund: Refund | null;
  payment: Payment | null;
  errors: UserError[];
}

type Reservation = { refund: Refund; payment: Payment } | { refused: RefundOutcome };

/**
 * Partial and repeated refunds. Refunds of one payment are serialised on the payment's row, and a
 * refund's amount is reserved before the provider is called and stays reserved while its outcome
 * is unknown, so the refunded total can never exceed what was paid.
 */
export class RefundService {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly audit: AuditService,
    private readonly events: PaymentEventsService,
    private readonly settings: { maxPaymentAmountTenge: number; idempotencyWaitMs: number },
  ) {}

  /**
   * Refunds `amount` of a PROCESSED payment, with the BIN and device token the payment was made
   * with.
   *
   * @example
   * await refunds.refund(ctx, { shopId: 8, externalId: '12800627774', amount: 50, idempotencyKey: 'return-991' });
   */
  async refund(ctx: UseCaseContext, input: RefundCommand): Promise<RefundOutcome> {
    const check = new InputCheck();
    const shopId = check.shopId(input.shopId);
    const externalId = check.externalId(input.externalId);
    const amount = check.amount(input.amount, this.settings.maxPaymentAmountTenge);
    const idempotencyKey = check.idempotencyKey(input.idempotencyKey);
    const reason = check.text(input.reason, 500, ['input', 'reason']);
    if (!check.ok) return { refund: null, payment: null, errors: check.errors };

    const requestHash = digest({ shopId, externalId, amount });
    if (idempotencyKey) {
      const earlier = await this.findByIdempotencyKey(ctx.em, ctx.actor.callerId, idempotencyKey);
      if (earlier) return this.replay(ctx.em, earlier, requestHash);
    }

    const found = await ctx.em.fork().findOne(Payment, { externalId, shopId });
    if (!found) {
      return {
        refund: null,
        payment: null,
        errors: [userError(ErrorCode.PAYMENT_NOT_FOUND, `shop ${shopId} has no payment ${externalId}`, ['input', 'externalId'])],
      };
    }
    const provider = this.registry.find(found.provider);

    let reservation: Reservation;
    try {
      reservation = await inTransaction(ctx.em, (tx) =>
        this.reserve(tx, ctx, found.id, amount, idempotencyKey, requestHash, provider === undefined, reason),
      );
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && idempotencyKey) {
        const earlier = await this.findByIdempotencyKey(ctx.em, ctx.actor.callerId, idempotencyKey);
        if (earlier) return this.replay(ctx.em, earlier, requestHash);
      }
      throw error;
    }
    if ('refused' in reservation) return reservation.refused;
    this.events.wake();

    const { refund, payment } = reservation;
    const outcome = await callProvider(() =>
      provider!.refund({
        externalId: payment.externalId!,
        routing: { organizationBin: payment.organizationBin, deviceToken: payment.deviceToken },
        amount,
        requestId: ctx.requestId,
      }),
    );
    return this.recordOutcome(ctx, refund.id, outcome);
  }

  /**
   * Settles an UNKNOWN refund by what a human learned at the provider: SUCCEEDED counts it as
   * refunded, FAILED releases its reserved amount. Audited with who did it and why.
   */
  async resolveUnknown(ctx: UseCaseContext, input: ResolveRefundCommand): Promise<RefundOutcome> {
    const check = new InputCheck();
    const reason = check.text(input.reason, 500, ['input', 'reason']);
    if (!reason || reason.length < 3) check.fail(['input', 'reason'], 'reason must say why, in at least 3 characters');
    if (!/^[0-9a-f-]{36}$/i.test(input.refundId)) check.fail(['input', 'refundId'], 'refundId must be a refund id');
    if (!check.ok) return { refund: null, payment: null, errors: check.errors };

    const found = await ctx.em.fork().findOne(Refund, { id: input.refundId });
    if (!found) return { refund: null, payment: null, errors: [userError(ErrorCode.PAYMENT_NOT_FOUND, 'no such refund', ['input', 'refundId'])] };
    const refusal = await inTransaction(ctx.em, async (tx) => {
      const payment = await tx.findOneOrFail(Payment, { id: found.payment.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const refund = await tx.findOneOrFail(Refund, { id: found.id });
      if (refund.status !== RefundStatus.UNKNOWN) {
        return userError(ErrorCode.BAD_INPUT, `only an UNKNOWN refund can be resolved; this one is ${refund.status}`, ['input', 'refundId']);
      }
      this.settleUnknown(refund, payment, input.outcome, `resolved by ${ctx.actor.label}: ${reason}`);
      await this.events.recordRefundChange(tx, refund, payment, RefundStatus.UNKNOWN);
      this.audit.record(tx, {
        ...auditBase(payment),
        operationType: LogOperation.RESOLVE,
        amount: refund.amount,
        status: refund.status,
        refundId: refund.id,
        actor: ctx.actor.label,
        requestId: ctx.requestId,
        details: { action: 'resolveRefund', outcome: input.outcome, reason },
      });
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
  async reconcileUnknownRefunds(em: EntityManager, paymentId: string, origin: { actor: string; requestId: string }): Promise<number> {
    const payment = await em.fork().findOne(Payment, { id: paymentId }, { populate: ['refunds'] });
    if (!payment?.externalId) return 0;
    const provider = this.registry.find(payment.provider);
    if (!provider?.getRefundableAmount) return 0;
    if (!payment.refunds.getItems().some((refund) => refund.status === RefundStatus.UNKNOWN)) return 0;
    const externalId = payment.externalId;
    const outcome = await callProvider(() =>
      provider.getRefundableAmount!({
        externalId,
        routing: { organizationBin: payment.organizationBin, deviceToken: payment.deviceToken },
        requestId: origin.requestId,
      }),
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
        this.settleUnknown(refund, locked, result, `settled from the provider's refundable amount (${tiynToTengeString(outcome.value.available)} tenge left)`);
        await this.events.recordRefundChange(tx, refund, locked, RefundStatus.UNKNOWN);
        this.audit.record(tx, {
          ...auditBase(locked),
          operationType: LogOperation.REFUND,
          amount: refund.amount,
          status: refund.status,
          refundId: refund.id,
          actor: origin.actor,
          requestId: origin.requestId,
          details: { reconciledFrom: 'refundableAmount', total: outcome.value.total, available: outcome.value.available },
        });
      }
      return settled.length;
    });
    if (settled > 0) this.events.wake();
    return settled;
  }

  private settleUnknown(refund: Refund, payment: Payment, result: 'SUCCEEDED' | 'FAILED', note: string): void {
    refund.status = result === 'SUCCEEDED' ? RefundStatus.SUCCEEDED : RefundStatus.FAILED;
    refund.errorMessage = note.slice(0, 500);
    if (result === 'SUCCEEDED') {
      refund.errorCode = null;
      payment.refundedAmount += refund.amount;
    }
  }

  /** Step one, under the payment's row lock: check what is left, then reserve the amount. */
  private async reserve(
    tx: EntityManager,
    ctx: UseCaseContext,
    paymentId: string,
    amount: Tiyn,
    idempotencyKey: string | null,
    requestHash: string,
    providerMissing: boolean,
    reason: string | null,
  ): Promise<Reservation> {
    const payment = await tx.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const reserved = await this.reservedAmount(tx, paymentId);
    const available = payment.amount - reserved;
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
        `the refund exceeds what is left to refund (${tiynToTengeString(Math.max(available, 0))} tenge)`,
        ['input', 'amount'],
      );
    }
    if (error) {
      this.audit.record(tx, {
        ...auditBase(payment),
        operationType: LogOperation.REFUND,
        amount,
        status: RefundStatus.FAILED,
        errorCode: error.code,
        errorMessage: error.message,
        actor: ctx.actor.label,
        requestId: ctx.requestId,
      });
      await tx.populate(payment, ['refunds']);
      return { refused: { refund: null, payment, errors: [error] } };
    }
    const refund = tx.create(Refund, {
      payment,
      amount,
      callerId: ctx.actor.callerId,
      idempotencyKey,
      requestHash,
      requestId: ctx.requestId,
    } as Refund);
    tx.persist(refund);
    await this.events.recordRefundChange(tx, refund, payment, null);
    this.audit.record(tx, {
      ...auditBase(payment),
      operationType: LogOperation.REFUND,
      amount,
      status: RefundStatus.PENDING,
      refundId: refund.id,
      actor: ctx.actor.label,
      requestId: ctx.requestId,
      details: reason ? { reason } : null,
    });
    return { refund, payment };
  }

  private async recordOutcome(
    ctx: UseCaseContext,
    refundId: string,
    outcome: CallOutcome<ProviderRefundResult>,
  ): Promise<RefundOutcome> {
    await inTransaction(ctx.em, async (tx) => {
      const refund = await tx.findOneOrFail(Refund, { id: refundId }, { populate: ['payment'] });
      const payment = await tx.findOneOrFail(Payment, { id: refund.payment.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const previous = refund.status;
      this.settle(refund, payment, outcome);
      if (refund.status !== previous) await this.events.recordRefundChange(tx, refund, payment, previous);
      this.audit.record(tx, {
        ...auditBase(payment),
        operationType: LogOperation.REFUND,
        amount: refund.amount,
        status: refund.status,
        refundId: refund.id,
        ...auditError(outcome, 'refund'),
        actor: ctx.actor.label,
        requestId: ctx.requestId,
        details: outcome.kind === 'ok' ? { returnOperationId: refund.returnOperationId } : { outcome: outcome.kind, detail: outcome.detail },
      });
    });
    this.events.wake();
    const refund = await ctx.em.fork().findOneOrFail(Refund, { id: refundId }, { populate: ['payment', 'payment.refunds'] });
    return { refund, payment: refund.payment, errors: refundErrors(refund) };
  }

  /**
   * Applies a provider answer to a refund. A refund that is already settled keeps its outcome:
   * only PENDING and UNKNOWN refunds move.
   */
  private settle(refund: Refund, payment: Payment, outcome: CallOutcome<ProviderRefundResult>): void {
    if (refund.status !== RefundStatus.PENDING && refund.status !== RefundStatus.UNKNOWN) return;
    switch (outcome.kind) {
      case 'ok':
        refund.status = RefundStatus.SUCCEEDED;
        refund.returnOperationId = outcome.value.returnOperationId;
        refund.errorCode = null;
        refund.errorMessage = null;
        payment.refundedAmount += refund.amount;
        break;
      case 'rejected':
      case 'unavailable': {
        const error = outcomeError(outcome, 'refund');
        refund.status = RefundStatus.FAILED;
        refund.errorCode = error.code;
        refund.errorMessage = error.message;
        refund.providerCode = outcome.providerCode;
        break;
      }
      case 'unknown':
        refund.status = RefundStatus.UNKNOWN;
        refund.errorCode = ErrorCode.PROVIDER_UNAVAILABLE;
        refund.errorMessage = outcomeError(outcome, 'refund').message;
        break;
    }
  }

  private async reservedAmount(tx: EntityManager, paymentId: string): Promise<Tiyn> {
    const rows = await tx
      .getConnection()
      .execute<{ total: string }[]>(
        `select coalesce(sum(amount), 0)::text as total from refund where payment_id = ? and status in (${RESERVING_REFUND_STATUSES.map(() => '?').join(', ')})`,
        [paymentId, ...RESERVING_REFUND_STATUSES],
        'all',
        tx.getTransactionContext(),
      );
    return Number(rows[0]?.total ?? 0);
  }

  private async replay(em: EntityManager, earlier: Refund, requestHash: string): Promise<RefundOutcome> {
    if (earlier.requestHash !== requestHash) {
      return {
        refund: null,
        payment: null,
        errors: [
          userError(ErrorCode.IDEMPOTENCY_CONFLICT, 'this idempotency key was already used with a different request', [
            'input',
            'idempotencyKey',
          ]),
        ],
      };
    }
    const load = () => em.fork().findOne(Refund, { id: earlier.id }, { populate: ['payment', 'payment.refunds'] });
    const settled = await waitWhilePending(load, (refund) => refund?.status !== RefundStatus.PENDING, this.settings.idempotencyWaitMs);
    if (!settled || settled.status === RefundStatus.PENDING) {
      return {
        refund: settled,
        payment: settled?.payment ?? null,
        errors: [
          userError(ErrorCode.IDEMPOTENCY_CONFLICT, 'a refund with this idempotency key is still in progress; retry later', [
            'input',
            'idempotencyKey',
          ], { retryable: true }),
        ],
      };
    }
    return { refund: settled, payment: settled.payment, errors: refundErrors(settled) };
  }

  private async findByIdempotencyKey(em: EntityManager, callerId: string, key: string): Promise<Refund | null> {
    return em.fork().findOne(Refund, { callerId, idempotencyKey: key });
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

const MAX_UNKNOWN_TO_EXPLAIN = 12;

/**
 * Which unknown refunds, taken together, make up `unexplained`? Answers only when every way of
 * making it up uses the same amounts (so which of two equal refunds went through does not change
 * any total); otherwise null, and a human decides.
 */
export function explainUnknownRefunds(unknown: Array<{ id: string; amount: Tiyn }>, unexplained: Tiyn): Set<string> | null {
  if (unexplained < 0 || unknown.length === 0 || unknown.length > MAX_UNKNOWN_TO_EXPLAIN) return null;
  const solutions = new Map<string, number>();
  for (let mask = 0; mask < 1 << unknown.length; mask += 1) {
    let sum = 0;
    const amounts: number[] = [];
    unknown.forEach((refund, index) => {
      if (mask & (1 << index)) {
        sum += refund.amount;
        amounts.push(refund.amount);
      }
    });
    if (sum === unexplained) solutions.set(amounts.sort((a, b) => a - b).join(','), mask);
  }
  if (solutions.size !== 1) return null;
  const [mask] = solutions.values();
  return new Set(unknown.filter((_, index) => mask & (1 << index)).map((refund) => refund.id));
}
