import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiRole } from '../config';

/** Who is calling: the API key behind the request. */
export interface Actor {
  /** Stable id of the API key; idempotency keys are scoped to it. */
  callerId: string;
  label: string;
  role: ApiRole;
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
