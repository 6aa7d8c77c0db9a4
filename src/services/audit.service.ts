import type { EntityManager } from '@mikro-orm/postgresql';
import type { Tiyn } from '../domain/money';
import type { Payment } from '../entities/payment.entity';
import { LogOperation, PaymentLog } from '../entities/payment-log.entity';
import type { Refund } from '../entities/refund.entity';
import { WebhookEndpointLog, type WebhookEndpointAction } from '../entities/webhook-endpoint-log.entity';
import { shopScope, type Origin } from './use-case-context';
import { outcomeError, type CallOutcome } from './provider-outcome';
import { paymentOwner } from '../domain/payment-owner';

/** What an audit row says about a change, besides its subject and its origin. */
export interface AuditChange {
  operation: LogOperation;
  amount?: Tiyn | null;
  status?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  details?: Record<string, unknown> | null;
}

/** A shop's configuration as an audit row names it; the shop may have none yet. */
export interface ConfigSubject {
  shopId: number;
  organizationBin: string;
  provider: string;
}

export interface EndpointAuditEntry {
  endpointId: string;
  action: WebhookEndpointAction;
  actor: string;
  requestId?: string | null;
  reason?: string | null;
  details?: Record<string, unknown> | null;
}

export interface LogFilter {
  shopId?: number | null;
  /** The shops the caller sees; null or absent for every shop. */
  visibleShops?: readonly number[] | null;
  externalId?: string | null;
  operationType?: LogOperation | null;
  /** Rows about this payment, refund, provider id or request. */
  id?: string | null;
  /** Rows older than this row id. */
  before?: string | null;
  limit: number;
}

/**
 * The append-only audit log: every create, status check, refund and configuration change. A row
 * is added to the unit of work of the transaction that makes the change, so that both commit or
 * neither; there is one way to write a row per subject.
 */
export class AuditService {
  constructor(private readonly maxLimit: number) {}

  /** A row about a payment: its creation, a status check, a status move, a resolution. */
  payment(tx: EntityManager, payment: Payment, change: AuditChange, origin: Origin): void {
    this.write(tx, { ...paymentSubject(payment), ...change }, origin);
  }

  /**
   * A row about a refund of `payment`; `refund` is null for a request refused before it became a
   * refund, whose row carries the amount asked for.
   */
  refund(tx: EntityManager, payment: Payment, refund: Refund | null, change: AuditChange, origin: Origin): void {
    this.write(tx, { ...paymentSubject(payment), amount: refund?.amount, status: refund?.status, refundId: refund?.id, ...change }, origin);
  }

  /** A row about a shop's configuration, or about a request refused for the lack of one. */
  config(tx: EntityManager, config: ConfigSubject, change: AuditChange, origin: Origin): void {
    this.write(tx, { shopId: config.shopId, organizationBin: config.organizationBin, provider: config.provider, ...change }, origin);
  }

  /** Adds a row about a webhook endpoint to the unit of work of `em`; never give it a secret. */
  recordEndpointChange(em: EntityManager, entry: EndpointAuditEntry): WebhookEndpointLog {
    const row = em.create(WebhookEndpointLog, {
      ...entry,
      reason: entry.reason ? entry.reason.slice(0, 500) : null,
      createdAt: new Date(),
    } as WebhookEndpointLog);
    em.persist(row);
    return row;
  }

  /** Newest first; the limit is capped so that one call cannot read the whole table. */
  async list(em: EntityManager, filter: LogFilter): Promise<PaymentLog[]> {
    // No provider id looks otherwise, and PostgreSQL refuses some text outright (a NUL byte).
    if (filter.externalId != null && !/^[A-Za-z0-9_-]{1,64}$/.test(filter.externalId)) return [];
    const scope = shopScope(filter.visibleShops, filter.shopId);
    if (!scope) return [];
    const where: Record<string, unknown> = { ...scope };
    if (filter.externalId != null) where.externalId = filter.externalId;
    if (filter.operationType != null) where.operationType = filter.operationType;
    if (filter.before != null) {
      if (!/^[0-9]{1,18}$/.test(filter.before)) return [];
      where.id = { $lt: filter.before };
    }
    if (filter.id != null) {
      const id = filter.id.trim();
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) return [];
      const about: Array<Record<string, unknown>> = [{ externalId: id }, { requestId: id }];
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) about.push({ paymentId: id.toLowerCase() }, { refundId: id.toLowerCase() });
      where.$or = about;
    }
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit)), this.maxLimit);
    return em.find(PaymentLog, where, { orderBy: { id: 'desc' }, limit });
  }

  /**
   * The fields of the row {@link payment} would add, for a writer that inserts it in the same
   * statement as the change it records.
   */
  paymentRow(em: EntityManager, payment: Payment, change: AuditChange, origin: Origin): Partial<PaymentLog> {
    return rowFields(em, { ...paymentSubject(payment), ...change }, origin);
  }

  private write(
    tx: EntityManager,
    row: ConfigSubject & AuditChange & { externalId?: string | null; paymentId?: string | null; refundId?: string | null },
    origin: Origin,
  ): void {
    tx.persist(tx.create(PaymentLog, rowFields(tx, row, origin) as PaymentLog));
  }
}

function rowFields(
  em: EntityManager,
  row: ConfigSubject & AuditChange & { externalId?: string | null; paymentId?: string | null; refundId?: string | null },
  origin: Origin,
): Partial<PaymentLog> {
  const { operation, ...fields } = row;
  const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return {
    ...fittedToColumns(em, { ...given, operationType: operation, actor: origin.actor, requestId: origin.requestId }),
    createdAt: new Date(),
  } as Partial<PaymentLog>;
}

/**
 * Text cut to the length of its column: what an upstream says (a status word, a message) goes into
 * the audit row whatever its length, and an overlong word must never fail the change it records.
 */
function fittedToColumns(em: EntityManager, row: Record<string, unknown>): Record<string, unknown> {
  const properties = em.getMetadata().get(PaymentLog.name).properties as Record<string, { length?: number } | undefined>;
  const fitted: Record<string, unknown> = { ...row };
  for (const [name, value] of Object.entries(row)) {
    const length = properties[name]?.length;
    if (typeof value === 'string' && length && value.length > length) fitted[name] = value.slice(0, length);
  }
  return fitted;
}

function paymentSubject(payment: Payment) {
  return { ...paymentOwner(payment), externalId: payment.externalId, paymentId: payment.id };
}

/** A provider call's failure as the audit log keeps it: our code and message, never the upstream text. */
export function auditError(outcome: CallOutcome<unknown>, what: 'payment' | 'refund' | 'status check') {
  if (outcome.kind === 'ok') return { errorCode: null, errorMessage: null };
  const error = outcomeError(outcome, what);
  return { errorCode: error.code, errorMessage: error.message };
}
