import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { ProviderRegistry } from '../providers/registry';
import { ApiKeyService } from './api-key.service';
import { AuditService } from './audit.service';
import { ConfigCache } from './config-cache';
import { ConfigService } from './config.service';
import { RedisOutboxNotifier } from './outbox-notifier';
import { PaymentEventsService } from './payment-events.service';
import { PaymentSearchService } from './payment-search.service';
import { PaymentLifecycle } from './payment-lifecycle.service';
import { RefundLifecycle } from './refund-lifecycle.service';
import { NotificationService } from './notification.service';
import { PaymentCreationService } from './payment-creation.service';
import { PaymentReadCache } from './payment-read-cache';
import { PaymentReadsService } from './payment-reads.service';
import { PaymentResolutionService } from './payment-resolution.service';
import { PaymentStatusSyncService } from './payment-status-sync.service';
import { ReconcilerService } from './reconciler.service';
import { RefundService } from './refund.service';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import { WebhookEndpointService } from './webhooks/webhook-endpoint.service';

export interface Services {
  apiKeys: ApiKeyService;
  audit: AuditService;
  configs: ConfigService;
  events: PaymentEventsService;
  paymentCreation: PaymentCreationService;
  paymentReads: PaymentReadsService;
  paymentStatusSync: PaymentStatusSyncService;
  paymentResolution: PaymentResolutionService;
  paymentSearch: PaymentSearchService;
  refunds: RefundService;
  reconciler: ReconcilerService;
  notifications: NotificationService;
  webhookEndpoints: WebhookEndpointService;
  webhookDeliveries: WebhookDeliveryService;
  /** Fans outbox events out into deliveries and sends them. */
  webhooks: WebhookDispatcher;
}

/** Final payments kept in memory for status reads (a few MB at most). */
const FINAL_PAYMENTS_KEPT = 10_000;
const FINAL_PAYMENT_KEPT_MS = 10 * 60_000;

/** Wires the services once at start-up; `em` is the root EntityManager, only ever forked. */
export function createServices(em: EntityManager, config: AppConfig, registry: ProviderRegistry, logger: Logger): Services {
  const audit = new AuditService(config.logsMaxLimit);
  const configCache = new ConfigCache();
  const outboxLogger = logger.child({ component: 'outbox' });
  // Other instances hear of new status changes through Redis at once; without it, at their next poll.
  const notifier = config.redisUrl ? new RedisOutboxNotifier(config.redisUrl, outboxLogger) : null;
  const events = new PaymentEventsService(
    em,
    { pollMs: config.eventPollMs, replayWindowMs: config.eventReplay.windowMs, replayMaxEvents: config.eventReplay.maxEvents },
    outboxLogger,
    notifier,
  );
  const paymentLifecycle = new PaymentLifecycle(events, audit);
  const refundLifecycle = new RefundLifecycle(events, audit);
  const paymentReads = new PaymentReadsService(new PaymentReadCache(em, { maxEntries: FINAL_PAYMENTS_KEPT, maxAgeMs: FINAL_PAYMENT_KEPT_MS }));
  const paymentStatusSync = new PaymentStatusSyncService(
    registry,
    paymentLifecycle,
    events,
    paymentReads,
    configCache,
    { cadence: config.reconciler.cadence },
    logger.child({ component: 'payments' }),
  );
  const refunds = new RefundService(
    registry,
    refundLifecycle,
    events,
    { maxPaymentAmountTenge: config.maxPaymentAmountTenge, idempotencyWaitMs: config.idempotencyWaitMs },
    configCache,
    logger.child({ component: 'refunds' }),
  );
  const webhookPolicy = config.isProduction ? 'production' : 'development';
  const webhookEndpoints = new WebhookEndpointService(audit, { policy: webhookPolicy, secretOverlapMs: config.webhooks.secretOverlapMs });
  const webhookDeliveries = new WebhookDeliveryService(webhookEndpoints, config.webhooks, () => webhooks.wake());
  const webhooks: WebhookDispatcher = new WebhookDispatcher(
    em,
    events,
    webhookDeliveries,
    { settings: config.webhooks, policy: webhookPolicy },
    logger.child({ component: 'webhooks' }),
  );
  return {
    apiKeys: new ApiKeyService(em, config.apiKeys, config.apiKeyCacheMs),
    audit,
    configs: new ConfigService(registry, audit, configCache),
    events,
    paymentCreation: new PaymentCreationService(registry, paymentLifecycle, audit, events, paymentReads, paymentStatusSync, configCache, {
      maxPaymentAmountTenge: config.maxPaymentAmountTenge,
      idempotencyWaitMs: config.idempotencyWaitMs,
    }),
    paymentReads,
    paymentStatusSync,
    paymentResolution: new PaymentResolutionService(paymentLifecycle, events, paymentReads, paymentStatusSync),
    paymentSearch: new PaymentSearchService(),
    refunds,
    reconciler: new ReconcilerService(
      em,
      paymentStatusSync,
      refunds,
      paymentLifecycle,
      refundLifecycle,
      events,
      { ...config.reconciler, leaseMs: config.kaspiTimeouts.statusMs * 2 + 2_000 },
      logger.child({ component: 'reconciler' }),
    ),
    notifications: new NotificationService(registry, configCache, paymentStatusSync, refunds, logger.child({ component: 'notifications' })),
    webhookEndpoints,
    webhookDeliveries,
    webhooks,
  };
}
