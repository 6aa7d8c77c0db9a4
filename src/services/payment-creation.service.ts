import { LockMode } from '@mikro-orm/core';
import { defaultMethod, hasWhatMethodNeeds, PaymentMethod } from '../domain/payment-method';
import { PaymentStatus } from '../domain/payment-status';
import { maskPhone } from '../domain/phone';
import { Payment } from '../entities/payment.entity';
import { merchantAccountOf, PaymentConfig } from '../entities/payment-config.entity';
import { LogOperation } from '../entities/payment-log.entity';
import { ErrorCode, userError, type UserError } from '../errors';
import type { CreatedPayment, PaymentProvider } from '../providers/provider';
import { DEFAULT_PROVIDER_ID } from '../providers/provider-ids';
import type { ProviderRegistry } from '../providers/registry';
import { auditError, type AuditService } from './audit.service';
import type { ConfigCache } from './config-cache';
import { inTransaction, originOf, seesShop, type UseCaseContext } from './use-case-context';
import { digest, IdempotentRequests } from './idempotent-requests';
import type { PaymentEventsService } from './payment-events.service';
import type { PaymentLifecycle } from './payment-lifecycle.service';
import type { PaymentReadsService } from './payment-reads.service';
import type { PaymentStatusSyncService } from './payment-status-sync.service';
import { callProvider, outcomeError, type CallOutcome } from './provider-outcome';
import { InputCheck, MESSAGE_MAX_LENGTH } from './input-check';

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

/** What a use case that writes a payment answers: the payment as it now stands, or why not. */
export interface PaymentResult {
  payment: Payment | null;
  errors: UserError[];
}

export interface PaymentCreationSettings {
  maxPaymentAmountTenge: number;
  idempotencyWaitMs: number;
}

/** Creating payments: checking the request, routing it to the shop's provider, recording what came back. */
export class PaymentCreationService {
  private readonly idempotency: IdempotentRequests<Payment, PaymentResult>;

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly lifecycle: PaymentLifecycle,
    private readonly audit: AuditService,
    private readonly events: PaymentEventsService,
    reads: PaymentReadsService,
    private readonly statusSync: PaymentStatusSyncService,
    private readonly configs: ConfigCache,
    private readonly settings: PaymentCreationSettings,
  ) {
    this.idempotency = new IdempotentRequests<Payment, PaymentResult>({
      find: (em, shopId, key) => reads.findByIdempotencyKey(em, shopId, key),
      reload: (em, payment) => reads.findById(em, payment.id),
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
   * PENDING, durably; call the provider; record what came back, durably before the answer. Each
   * record is one statement. A retry with the same
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

    const config = await this.configs.get(ctx.em, shopId);
    const refusal = this.refuseConfig(shopId, config);
    const provider = config && !refusal ? this.registry.get(config.provider) : null;
    const chosen = provider ? chooseMethod(provider, input.method ?? null, { phone }) : refusal!;
    if (!config || !provider || typeof chosen !== 'string') {
      // A retry is answered as its first request was, whatever the shop's configuration says now.
      const earlier = await this.idempotency.replayEarlier(ctx, shopId, idempotencyKey, requestHash);
      if (earlier) return earlier;
      await this.auditRefusal(ctx, shopId, config, amount, chosen as UserError);
      return { payment: null, errors: [chosen as UserError] };
    }
    const method = chosen;

    // The attempt is audited before the call: a crash during it still leaves a trace of a call
    // that may have reached the provider. A key used before writes nothing and replays the first answer.
    const payment = await this.lifecycle.openAtOnce(
      ctx.em,
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
    );
    if (!payment) {
      const earlier = await this.idempotency.replayEarlier(ctx, shopId, idempotencyKey, requestHash);
      if (!earlier) throw new Error('a payment insert found its idempotency key taken, but no payment under it');
      return earlier;
    }

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
    const saved = await this.recordCreateOutcome(ctx, payment, outcome);
    return { payment: saved, errors: createErrors(saved) };
  }


  /**
   * Records what the create call came back with. The payment is still PENDING unless another path
   * (a notification, the reconciler) reached it during the call: then in a transaction under its
   * row lock, which applies the transition table to whatever it holds now; otherwise in one statement.
   */
  private async recordCreateOutcome(ctx: UseCaseContext, opened: Payment, outcome: CallOutcome<CreatedPayment>): Promise<Payment> {
    const { changes, to } = createOutcomeChanges(outcome);
    const change = {
      operation: LogOperation.CREATE,
      amount: opened.amount,
      ...(changes.providerStatus != null ? { status: changes.providerStatus } : {}),
      ...auditError(outcome, 'payment'),
      details: outcome.kind === 'ok' ? null : { outcome: outcome.kind, detail: outcome.detail },
    };
    // A payment whose create answer was lost is asked about where the provider can find it by our reference.
    const pollsAgain = outcome.kind === 'ok' || outcome.kind === 'unknown';
    const settled = await this.lifecycle.settleCreate(ctx.em, opened, changes, to, change, originOf(ctx), (after) =>
      pollsAgain ? this.statusSync.nextCheckAt(after) : after.nextPollAt,
    );
    const saved =
      settled ??
      (await inTransaction(ctx.em, async (tx) => {
        const payment = await tx.findOneOrFail(Payment, { id: opened.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        Object.assign(payment, changes);
        await this.lifecycle.record(tx, payment, { ...change, ...(payment.providerStatus != null ? { status: payment.providerStatus } : {}) }, originOf(ctx), to);
        if (pollsAgain) payment.nextPollAt = this.statusSync.nextCheckAt(payment);
        return payment;
      }));
    this.events.wake();
    // A payment just created has no refunds yet: what was written is the whole answer.
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

/** What a create call's outcome writes on the payment, and the status it moves to. */
function createOutcomeChanges(outcome: CallOutcome<CreatedPayment>): { changes: Partial<Payment>; to: PaymentStatus } {
  switch (outcome.kind) {
    case 'ok':
      return {
        changes: {
          externalId: outcome.value.externalId,
          providerStatus: outcome.value.providerStatus.slice(0, 64),
          paymentUrl: outcome.value.paymentUrl ?? null,
          qrToken: outcome.value.qrToken ?? null,
          expiresAt: outcome.value.expiresAt ?? null,
          settlesBy: outcome.value.settlesBy ?? null,
          pollIntervalMs: outcome.value.pollIntervalMs ?? null,
          errorCode: null,
          errorMessage: null,
        },
        to: outcome.value.recognised ? outcome.value.status : PaymentStatus.WAITING,
      };
    case 'rejected':
    case 'unavailable': {
      const error = outcomeError(outcome, 'payment');
      return { changes: { errorCode: error.code, errorMessage: error.message, providerCode: outcome.providerCode }, to: PaymentStatus.FAILED };
    }
    case 'unknown':
      return {
        changes: { errorCode: ErrorCode.PROVIDER_UNAVAILABLE, errorMessage: outcomeError(outcome, 'payment').message },
        to: PaymentStatus.UNKNOWN,
      };
  }
}

/** The errors a create reports, rebuilt from what the payment recorded: a replay sees the same. */
function createErrors(payment: Payment): UserError[] {
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
