import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  judgeAttempt,
  nextAttemptDelayMs,
  retryAfterMs,
  WebhookDeliveryStatus,
  type AttemptResult,
  type DeliveryOutcome,
} from '../../domain/webhook-delivery';
import { WebhookDelivery } from '../../entities/webhook-delivery.entity';
import { WebhookEndpoint } from '../../entities/webhook-endpoint.entity';
import { ErrorCode, userError, type UserError } from '../../errors';
import { inTransaction, type UseCaseContext } from '../use-case-context';
import { changeDeliveryStatus } from './webhook-delivery-lifecycle';
import { isUuid, type WebhookEndpointService } from './webhook-endpoint.service';

export interface DeliveryResult {
  delivery: WebhookDelivery | null;
  errors: UserError[];
}

export interface DeliveryFilter {
  endpointId?: string | null;
  status?: WebhookDeliveryStatus | null;
  limit: number;
}

export interface RetrySettings {
  retryScheduleMs: number[];
  retryJitter: number;
  disableAfterMs: number;
}

const MAX_LIST = 500;

/** Deliveries: what each attempt's answer means for the delivery and its endpoint, and sending one again. */
export class WebhookDeliveryService {
  constructor(
    private readonly endpoints: WebhookEndpointService,
    private readonly settings: RetrySettings,
    /** Called after a redelivery, so that the dispatcher picks it up at once. */
    private readonly onDue: () => void = () => undefined,
  ) {}

  /** Newest first. */
  async list(em: EntityManager, filter: DeliveryFilter): Promise<WebhookDelivery[]> {
    const where: Record<string, unknown> = {};
    if (filter.endpointId != null) {
      if (!isUuid(filter.endpointId)) return [];
      where.endpoint = filter.endpointId;
    }
    if (filter.status != null) where.status = filter.status;
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit)), MAX_LIST);
    return em.find(WebhookDelivery, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
  }

  /**
   * Sends a delivery again now, whatever its status, with the same webhook-id and body. A finished
   * delivery gets one more attempt; a pending one has its next attempt moved to now.
   */
  async redeliver(ctx: UseCaseContext, deliveryId: string): Promise<DeliveryResult> {
    if (!isUuid(deliveryId)) return deliveryNotFound();
    const result = await inTransaction(ctx.em, async (tx): Promise<DeliveryResult> => {
      const delivery = await tx.findOne(WebhookDelivery, { id: deliveryId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!delivery) return deliveryNotFound();
      const endpoint = await tx.findOneOrFail(WebhookEndpoint, { id: delivery.endpoint.id });
      if (!endpoint.isActive || endpoint.deletedAt) {
        return { delivery: null, errors: [userError(ErrorCode.BAD_INPUT, 'the endpoint is turned off or deleted: turn it on first', ['deliveryId'])] };
      }
      if (delivery.status === WebhookDeliveryStatus.PENDING) delivery.nextAttemptAt = new Date();
      else {
        changeDeliveryStatus(delivery, WebhookDeliveryStatus.PENDING);
        delivery.maxAttempts = delivery.attempts + 1;
      }
      return { delivery, errors: [] };
    });
    if (result.delivery) this.onDue();
    return result;
  }

  /**
   * Records what attempt number `attempt` of a delivery came to, and what follows: success; the
   * next attempt on the schedule (later still when the receiver asked us to slow down); FAILED after
   * the last; the endpoint turned off when it answered 410 Gone or has only failed for too long.
   * An outcome that arrives after the delivery was claimed again (its claim lapsed, or it was
   * redelivered) is dropped: the later attempt decides.
   */
  async recordAttempt(em: EntityManager, deliveryId: string, endpointId: string, attempt: number, result: AttemptResult): Promise<DeliveryOutcome | null> {
    return inTransaction(em, async (tx) => {
      // The endpoint first, then the delivery: the same order as turning an endpoint off, so the two never deadlock.
      const endpoint = await tx.findOneOrFail(WebhookEndpoint, { id: endpointId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const delivery = await tx.findOne(WebhookDelivery, { id: deliveryId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!delivery || delivery.status !== WebhookDeliveryStatus.PENDING || delivery.attempts !== attempt) return null;

      const now = new Date();
      delivery.lastResponseStatus = result.kind === 'answered' ? result.status : null;
      delivery.lastError = result.kind === 'failed' ? result.error.slice(0, 500) : null;
      const verdict = judgeAttempt(result);
      if (verdict === 'succeeded') {
        changeDeliveryStatus(delivery, WebhookDeliveryStatus.SUCCEEDED, now);
        endpoint.failingSince = null;
        return 'succeeded';
      }
      if (result.kind === 'answered') delivery.lastError = `the endpoint answered HTTP ${result.status}`;
      if (verdict === 'gone') {
        changeDeliveryStatus(delivery, WebhookDeliveryStatus.FAILED, now);
        await this.endpoints.turnOff(tx, endpoint, 'the endpoint answered 410 Gone');
        return 'gone';
      }
      endpoint.failingSince ??= now;
      if (now.getTime() - endpoint.failingSince.getTime() >= this.settings.disableAfterMs) {
        changeDeliveryStatus(delivery, WebhookDeliveryStatus.FAILED, now);
        const days = Math.round((this.settings.disableAfterMs / 86_400_000) * 10) / 10;
        await this.endpoints.turnOff(tx, endpoint, `every attempt failed for ${days} days, since ${endpoint.failingSince.toISOString()}`);
        return 'endpoint_disabled';
      }
      const schedule = this.settings.retryScheduleMs;
      const delay = delivery.attempts < delivery.maxAttempts ? nextAttemptDelayMs(schedule, Math.min(delivery.attempts, schedule.length - 1), this.settings.retryJitter) : null;
      if (delay === null) {
        changeDeliveryStatus(delivery, WebhookDeliveryStatus.FAILED, now);
        return 'failed';
      }
      const askedMs = retryAfterMs(result.kind === 'answered' ? result.retryAfter : null, schedule[schedule.length - 1] || 86_400_000, now.getTime());
      const waitMs = Math.max(delay, askedMs ?? 0);
      delivery.nextAttemptAt = new Date(now.getTime() + waitMs);
      if (verdict === 'slow_down' || askedMs !== null) {
        // Every delivery to this receiver waits, not only this one: it asked us to slow down.
        endpoint.throttledUntil = delivery.nextAttemptAt;
        return 'slowed_down';
      }
      return 'retrying';
    });
  }
}

function deliveryNotFound(): DeliveryResult {
  return { delivery: null, errors: [userError(ErrorCode.NOT_FOUND, 'no such webhook delivery', ['deliveryId'])] };
}
