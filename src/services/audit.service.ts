import type { EntityManager } from '@mikro-orm/postgresql';
import type { Tiyn } from '../domain/money';
import type { Payment } from '../entities/payment.entity';
import { LogOperation, PaymentLog } from '../entities/payment-log.entity';
import { WebhookEndpointLog, type WebhookEndpointAction } from '../entities/webhook-endpoint-log.entity';
import { outcomeError, type CallOutcome } from './provider-outcome';

export interface AuditEntry {
  shopId: number;
  organizationBin: string;
  operationType: LogOperation;
  provider: string;
  externalId?: string | null;
  amount?: Tiyn | null;
  status?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  paymentId?: string | null;
  refundId?: string | null;
  actor?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown> | null;
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
  externalId?: string | null;
  operationType?: LogOperation | null;
  /** Rows about this payment, refund, provider id or request. */
  id?: string | null;
  /** Rows older than this row id. */
  before?: string | null;
  limit: number;
}

/** The append-only audit log: every create, status check, refund and configuration change. */
export class AuditService {
  constructor(private readonly maxLimit: number) {}

  /** Adds a row to the unit of work of `em`; it commits with the change it describes. */
  record(em: EntityManager, entry: AuditEntry): PaymentLog {
    const row = em.create(PaymentLog, { ...fittedToColumns(em, entry), createdAt: new Date() } as PaymentLog);
    em.persist(row);
    return row;
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
    const where: Record<string, unknown> = {};
    if (filter.shopId != null) where.shopId = filter.shopId;
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
}

/**
 * Text cut to the length of its column: what an upstream says (a status word, a message) goes into
 * the audit row whatever its length, and an overlong word must never fail the change it records.
 */
function fittedToColumns(em: EntityManager, entry: AuditEntry): AuditEntry {
  const properties = em.getMetadata().get(PaymentLog.name).properties as Record<string, { length?: number } | undefined>;
  const fitted: Record<string, unknown> = { ...entry };
  for (const [name, value] of Object.entries(entry)) {
    const length = properties[name]?.length;
    if (typeof value === 'string' && length && value.length > length) fitted[name] = value.slice(0, length);
  }
  return fitted as unknown as AuditEntry;
}

/** The fields every audit row about a payment carries. */
export function auditBase(payment: Payment) {
  return {
    shopId: payment.shopId,
    organizationBin: payment.organizationBin,
    provider: payment.provider,
    externalId: payment.externalId,
    paymentId: payment.id,
  };
}

/** A provider call's failure as the audit log keeps it: our code and message, never the upstream text. */
export function auditError(outcome: CallOutcome<unknown>, what: 'payment' | 'refund' | 'status check') {
  if (outcome.kind === 'ok') return { errorCode: null, errorMessage: null };
  const error = outcomeError(outcome, what);
  return { errorCode: error.code, errorMessage: error.message };
}
