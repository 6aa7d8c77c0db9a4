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

/** Runs `work` in a short transaction of its own, on a fresh fork with an empty identity map. */
export function inTransaction<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return em.fork({ clear: true }).transactional(work);
}
