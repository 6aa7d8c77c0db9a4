import { LockMode } from '@mikro-orm/core';
import { PaymentStatus } from '../domain/payment-status';
import { Payment } from '../entities/payment.entity';
import { LogOperation } from '../entities/payment-log.entity';
import { ErrorCode, userError } from '../errors';
import { inTransaction, originOf, type UseCaseContext } from './use-case-context';
import type { PaymentResult } from './payment-creation.service';
import type { PaymentEventsService } from './payment-events.service';
import type { PaymentLifecycle } from './payment-lifecycle.service';
import type { PaymentReadsService } from './payment-reads.service';
import type { PaymentStatusSyncService } from './payment-status-sync.service';
import { InputCheck } from './input-check';

export interface ResolvePaymentCommand {
  paymentId: string;
  /** The provider's id of the invoice, found by a human at the provider. */
  externalId?: string | null;
  /** The invoice does not exist at the provider. */
  markFailed?: boolean | null;
  reason: string;
}

/** What an admin does with a payment the gateway could not settle by itself. */
export class PaymentResolutionService {
  constructor(
    private readonly lifecycle: PaymentLifecycle,
    private readonly events: PaymentEventsService,
    private readonly reads: PaymentReadsService,
    private readonly statusSync: PaymentStatusSyncService,
  ) {}

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

    const existing = await this.reads.findById(ctx.em.fork(), input.paymentId, ctx.actor);
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
        // This request asks the provider at once. Claiming the check with the attach keeps the
        // reconciler from asking beside it (and the answer from saying UNKNOWN while it does);
        // should the check fail, the reconciler takes over after the minimum interval.
        payment.nextPollAt = new Date();
        payment.lastPolledAt = new Date();
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
    if (externalId) {
      await this.statusSync.checkStatus(ctx.em, existing.id, { actor: ctx.actor.label, requestId: ctx.requestId });
    }
    return { payment: await this.reads.findById(ctx.em.fork(), existing.id), errors: [] };
  }
}
