import type { EntityManager } from '@mikro-orm/postgresql';
import { canDeliveryTransition, WebhookDeliveryStatus } from '../../domain/webhook-delivery';
import { WebhookDelivery } from '../../entities/webhook-delivery.entity';

/**
 * The only way a delivery's status changes: checked against the transition table. The caller
 * holds the row's lock in its transaction.
 *
 * @returns whether the status changed.
 */
export function changeDeliveryStatus(delivery: WebhookDelivery, to: WebhookDeliveryStatus, now = new Date()): boolean {
  if (delivery.status === to || !canDeliveryTransition(delivery.status, to)) return false;
  delivery.status = to;
  switch (to) {
    case WebhookDeliveryStatus.SUCCEEDED:
      delivery.deliveredAt = now;
      delivery.nextAttemptAt = null;
      break;
    case WebhookDeliveryStatus.FAILED:
      delivery.nextAttemptAt = null;
      break;
    case WebhookDeliveryStatus.PENDING:
      delivery.deliveredAt = null;
      delivery.nextAttemptAt = now;
      break;
  }
  return true;
}

const BATCH = 500;

/**
 * Every pending delivery of an endpoint that was turned off or deleted becomes FAILED, with the
 * reason; a redelivery sends any of them again once the endpoint is back on.
 */
export async function failPendingDeliveries(tx: EntityManager, endpointId: string, reason: string): Promise<number> {
  let failed = 0;
  for (;;) {
    const pending = await tx.find(WebhookDelivery, { endpoint: endpointId, status: WebhookDeliveryStatus.PENDING }, { limit: BATCH });
    for (const delivery of pending) {
      if (changeDeliveryStatus(delivery, WebhookDeliveryStatus.FAILED)) {
        delivery.lastError = reason.slice(0, 500);
        failed += 1;
      }
    }
    await tx.flush();
    if (pending.length < BATCH) return failed;
  }
}
