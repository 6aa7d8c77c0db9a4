import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PollingCadence } from '../config';
import { isFinalStatus, PaymentStatus } from '../domain/payment-status';
import { isPastLifetime, nextPollAt } from '../domain/poll-schedule';
import { Payment } from '../entities/payment.entity';
import { LogOperation } from '../entities/payment-log.entity';
import type { Logger } from '../logger';
import type { ProviderPaymentState } from '../providers/provider';
import type { ProviderRegistry } from '../providers/registry';
import { auditError } from './audit.service';
import type { ConfigCache } from './config-cache';
import { inTransaction, seesShop, type Origin, type UseCaseContext } from './use-case-context';
import type { PaymentEventsService } from './payment-events.service';
import type { PaymentLifecycle } from './payment-lifecycle.service';
import type { PaymentReadsService } from './payment-reads.service';
import { callProvider, type CallOutcome } from './provider-outcome';
import { routingFor } from './provider-routing';
import { runLimited } from './limited-concurrency';

/** Who asks for a status check: a caller through the API, or the reconciler. */
export type CheckOrigin = Origin & { requestId: string };

/**
 * Keeping a payment's status in step with its provider: status checks (asked by a caller or by the
 * reconciler), what a provider reports by itself, and the end of a payment's lifetime. Every
 * answer goes through the same rules, so a check, a notification and the reconciler never disagree.
 */
export class PaymentStatusSyncService {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly lifecycle: PaymentLifecycle,
    private readonly events: PaymentEventsService,
    private readonly reads: PaymentReadsService,
    private readonly configs: ConfigCache,
    private readonly settings: { cadence: PollingCadence },
    private readonly logger: Logger,
  ) {}

  /**
   * The payment with this provider id. A final payment is answered as the database holds it (from
   * memory when a check of its stored version finds it unchanged); otherwise the provider is asked first, unless it was asked less than the provider's minimum interval ago.
   */
  async paymentStatus(ctx: UseCaseContext, externalId: string): Promise<Payment | null> {
    const found = await this.reads.findByExternalIdForStatus(ctx, externalId);
    const payment = found && seesShop(ctx.actor, found.shopId) ? found : null;
    if (!payment || isFinalStatus(payment.status)) return payment;
    if (!(await this.claimCheck(ctx.em, payment.id))) return payment;
    await this.checkStatus(ctx.em, payment.id, { actor: ctx.actor.label, requestId: ctx.requestId });
    return this.reads.findById(ctx.em.fork(), payment.id);
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
}
