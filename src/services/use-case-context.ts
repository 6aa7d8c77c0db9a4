import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiRole } from '../config';

/** Who is calling: the API key behind the request. */
export interface Actor {
  /** Stable id of the API key; idempotency keys are scoped to it. */
  callerId: string;
  label: string;
  role: ApiRole;
  /** The shops this caller may see and act on; null for every shop. */
  shopIds: readonly number[] | null;
}

/**
 * Whether `actor` may see shop `shopId`. A caller limited to some shops finds everything of
 * another shop as if it did not exist.
 */
export function seesShop(actor: Actor, shopId: number): boolean {
  return actor.shopIds === null || actor.shopIds.includes(shopId);
}

/**
 * The `shopId` condition of a read for a caller who sees `visibleShops` (null: every shop),
 * narrowed to the shop asked for; null when nothing can match.
 */
export function shopScope(visibleShops: readonly number[] | null | undefined, requested?: number | null): { shopId?: number | { $in: number[] } } | null {
  if (requested != null) return !visibleShops || visibleShops.includes(requested) ? { shopId: requested } : null;
  return visibleShops ? { shopId: { $in: [...visibleShops] } } : {};
}

/** What every use case receives: its own EntityManager fork, the caller and a request id. */
export interface UseCaseContext {
  em: EntityManager;
  actor: Actor;
  requestId: string;
}

/** Where a change comes from, as its audit row keeps it: an API key's label or "reconciler", and the request. */
export interface Origin {
  actor: string;
  requestId: string | null;
}

export function originOf(ctx: UseCaseContext): Origin {
  return { actor: ctx.actor.label, requestId: ctx.requestId };
}

/** Runs `work` in a short transaction of its own, on a fresh fork with an empty identity map. */
export function inTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return em.fork({ clear: true }).transactional(work);
}
