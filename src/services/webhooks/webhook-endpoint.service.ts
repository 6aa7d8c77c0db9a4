import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WebhookEventType } from '../../domain/webhook-delivery';
import { WebhookEndpoint } from '../../entities/webhook-endpoint.entity';
import { WebhookEndpointAction } from '../../entities/webhook-endpoint-log.entity';
import { ErrorCode, userError, type UserError } from '../../errors';
import { checkWebhookUrl, UnsafeWebhookTargetError, type AddressLookup, type WebhookTargetPolicy } from '../../security/webhook-target';
import type { AuditService } from '../audit.service';
import { inTransaction, type UseCaseContext } from '../use-case-context';
import { DESCRIPTION_MAX_LENGTH, InputCheck } from '../input-check';
import { failPendingDeliveries } from './webhook-delivery-lifecycle';
import { generateWebhookSecret } from './webhook-signing';

export interface CreateEndpointCommand {
  url: string;
  events: WebhookEventType[];
  shopIds?: number[] | null;
  description?: string | null;
}

export interface UpdateEndpointCommand {
  url?: string | null;
  events?: WebhookEventType[] | null;
  shopIds?: number[] | null;
  description?: string | null;
  isActive?: boolean | null;
}

export interface EndpointResult {
  endpoint: WebhookEndpoint | null;
  /** Only when a secret was made: by a create or a rotation. */
  secret: string | null;
  errors: UserError[];
}

export interface EndpointServiceSettings {
  policy: WebhookTargetPolicy;
  /** How long a rotated-out secret keeps signing beside the new one. */
  secretOverlapMs: number;
  lookup?: AddressLookup;
}

const URL_MAX_LENGTH = 2048;
const MAX_SHOP_FILTER = 1_000;
/** The actor of what the gateway does to an endpoint by itself. */
export const WEBHOOKS_ACTOR = 'webhooks';

/** Webhook endpoints: where events go, with which secret, and whether they go at all. */
export class WebhookEndpointService {
  constructor(
    private readonly audit: AuditService,
    private readonly settings: EndpointServiceSettings,
  ) {}

  async list(em: EntityManager): Promise<WebhookEndpoint[]> {
    return em.find(WebhookEndpoint, { deletedAt: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /**
   * Registers an endpoint and makes its secret, which is returned here once and only ever stored
   * sealed.
   *
   * @example
   * await endpoints.create(ctx, { url: 'https://shop.example.kz/hooks/kaspi', events: [WebhookEventType.PAYMENT_STATUS_CHANGED] });
   */
  async create(ctx: UseCaseContext, input: CreateEndpointCommand): Promise<EndpointResult> {
    const check = new InputCheck();
    const url = await this.checkUrl(check, input.url);
    const events = checkEvents(check, input.events);
    const shopIds = checkShopIds(check, input.shopIds);
    const description = check.text(input.description, DESCRIPTION_MAX_LENGTH, ['input', 'description']);
    if (!check.ok) return { endpoint: null, secret: null, errors: check.errors };

    const secret = generateWebhookSecret();
    const endpoint = await inTransaction(ctx.em, async (tx) => {
      const row = tx.create(WebhookEndpoint, { url, events, shopIds, description, secret } as WebhookEndpoint);
      tx.persist(row);
      this.recordChange(tx, ctx, row.id, WebhookEndpointAction.CREATED, { after: describe(row) });
      return row;
    });
    return { endpoint, secret, errors: [] };
  }

  async update(ctx: UseCaseContext, id: string, input: UpdateEndpointCommand): Promise<EndpointResult> {
    const check = new InputCheck();
    const changes: Partial<WebhookEndpoint> = {};
    if (input.url != null) changes.url = await this.checkUrl(check, input.url);
    if (input.events != null) changes.events = checkEvents(check, input.events);
    if (input.shopIds !== undefined) changes.shopIds = checkShopIds(check, input.shopIds);
    if (input.description !== undefined) changes.description = check.text(input.description, DESCRIPTION_MAX_LENGTH, ['input', 'description']);
    if (!check.ok) return { endpoint: null, secret: null, errors: check.errors };

    return this.withEndpoint(ctx, id, async (tx, endpoint) => {
      const before = describe(endpoint);
      tx.assign(endpoint, changes);
      if (input.isActive === true && !endpoint.isActive) {
        endpoint.isActive = true;
        endpoint.disabledReason = null;
        endpoint.failingSince = null;
        endpoint.throttledUntil = null;
      }
      if (input.isActive === false && endpoint.isActive) {
        endpoint.isActive = false;
        await failPendingDeliveries(tx, endpoint.id, `the endpoint was turned off by ${ctx.actor.label}`);
      }
      this.recordChange(tx, ctx, endpoint.id, WebhookEndpointAction.UPDATED, { before, after: describe(endpoint) });
      return { endpoint, secret: null, errors: [] };
    });
  }

  /** Soft: the row stays for its deliveries' sake, but is never listed or sent to again. */
  async delete(ctx: UseCaseContext, id: string): Promise<EndpointResult> {
    return this.withEndpoint(ctx, id, async (tx, endpoint) => {
      endpoint.deletedAt = new Date();
      endpoint.isActive = false;
      await failPendingDeliveries(tx, endpoint.id, `the endpoint was deleted by ${ctx.actor.label}`);
      this.recordChange(tx, ctx, endpoint.id, WebhookEndpointAction.DELETED, { before: describe(endpoint) });
      return { endpoint, secret: null, errors: [] };
    });
  }

  /**
   * A new secret, returned once. The old one goes on signing beside it (both signatures in the
   * header) for the overlap, so that receivers can switch without a gap.
   */
  async rotateSecret(ctx: UseCaseContext, id: string): Promise<EndpointResult> {
    const secret = generateWebhookSecret();
    return this.withEndpoint(ctx, id, async (tx, endpoint) => {
      endpoint.previousSecret = endpoint.secret;
      endpoint.previousSecretExpiresAt = new Date(Date.now() + this.settings.secretOverlapMs);
      endpoint.secret = secret;
      this.recordChange(tx, ctx, endpoint.id, WebhookEndpointAction.SECRET_ROTATED, { previousSecretExpiresAt: endpoint.previousSecretExpiresAt.toISOString() });
      return { endpoint, secret, errors: [] };
    });
  }

  /**
   * The gateway turns an endpoint off by itself (it answered 410 Gone, or only failed for days):
   * its pending deliveries fail with the reason, which the endpoint shows until an admin turns it
   * back on. Runs in the caller's transaction, which holds the endpoint's lock.
   */
  async turnOff(tx: EntityManager, endpoint: WebhookEndpoint, reason: string): Promise<void> {
    if (!endpoint.isActive) return;
    endpoint.isActive = false;
    endpoint.disabledReason = reason.slice(0, 500);
    await failPendingDeliveries(tx, endpoint.id, `the endpoint was turned off: ${reason}`);
    this.audit.recordEndpointChange(tx, { endpointId: endpoint.id, action: WebhookEndpointAction.TURNED_OFF, actor: WEBHOOKS_ACTOR, reason });
  }

  /** The audit row of a change an operator made to an endpoint, in the change's transaction. */
  private recordChange(tx: EntityManager, ctx: UseCaseContext, endpointId: string, action: WebhookEndpointAction, details: Record<string, unknown>): void {
    this.audit.recordEndpointChange(tx, { endpointId, action, actor: ctx.actor.label, requestId: ctx.requestId, details });
  }

  private async withEndpoint(
    ctx: UseCaseContext,
    id: string,
    work: (tx: EntityManager, endpoint: WebhookEndpoint) => Promise<EndpointResult>,
  ): Promise<EndpointResult> {
    if (!isUuid(id)) return endpointNotFound();
    return inTransaction(ctx.em, async (tx) => {
      const endpoint = await tx.findOne(WebhookEndpoint, { id, deletedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!endpoint) return endpointNotFound();
      return work(tx, endpoint);
    });
  }

  private async checkUrl(check: InputCheck, text: string): Promise<string> {
    const url = text.trim();
    if (url.length > URL_MAX_LENGTH) {
      check.fail(['input', 'url'], `url must be at most ${URL_MAX_LENGTH} characters`);
      return url;
    }
    try {
      await checkWebhookUrl(url, this.settings.policy, this.settings.lookup);
    } catch (error) {
      if (!(error instanceof UnsafeWebhookTargetError)) throw error;
      check.fail(['input', 'url'], error.message);
    }
    return url;
  }
}

export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}

function endpointNotFound(): EndpointResult {
  return { endpoint: null, secret: null, errors: [userError(ErrorCode.NOT_FOUND, 'no such webhook endpoint', ['id'])] };
}

function checkEvents(check: InputCheck, events: WebhookEventType[]): WebhookEventType[] {
  const unique = [...new Set(events)];
  if (unique.length === 0) check.fail(['input', 'events'], 'events must name at least one event type');
  return unique;
}

function checkShopIds(check: InputCheck, shopIds: number[] | null | undefined): number[] | null {
  if (shopIds == null) return null;
  const unique = [...new Set(shopIds)];
  if (unique.length === 0) check.fail(['input', 'shopIds'], 'shopIds must name at least one shop, or be null for every shop');
  if (unique.length > MAX_SHOP_FILTER) check.fail(['input', 'shopIds'], `shopIds must name at most ${MAX_SHOP_FILTER} shops`);
  for (const shopId of unique) check.shopId(shopId, ['input', 'shopIds']);
  return unique.sort((a, b) => a - b);
}

/** What the audit log keeps of an endpoint: everything but its secrets. */
function describe(endpoint: WebhookEndpoint): Record<string, unknown> {
  return {
    url: endpoint.url,
    events: endpoint.events,
    shopIds: endpoint.shopIds,
    description: endpoint.description,
    isActive: endpoint.isActive,
  };
}
