import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthChecker } from 'type-graphql';
import type { ApiRole } from './config';
import { forbidden, unauthenticated } from './errors';
import type { Logger } from './logger';
import type { Actor, UseCaseContext } from './services/use-case-context';
import type { Services } from './services';

export interface GraphQLContext {
  em: EntityManager;
  actor: Actor | null;
  requestId: string;
  services: Services;
  /** Bound to the request id. */
  logger: Logger;
  /** The peer address, whose budget an anonymous caller draws on. */
  clientAddress?: string | null;
  /**
   * Draws the reading of `events` outbox events (a subscription's replay) from the caller's read
   * budget; answers the refusal when it is spent. Set where subscriptions are served.
   */
  chargeReplay?: (events: number) => Promise<{ retryAfterSeconds: number } | null>;
}

/**
 * Named with the roles of a field that concerns every shop at once (API keys, webhook endpoints):
 * a key limited to some shops may not use it.
 */
export const EVERY_SHOP = 'every-shop';

/** Every root field names the roles that may use it; no key or a wrong one is UNAUTHENTICATED. */
export const authChecker: AuthChecker<GraphQLContext, ApiRole | typeof EVERY_SHOP> = ({ context }, roles) => {
  if (!context.actor) throw unauthenticated();
  if (roles.length > 0 && !roles.includes(context.actor.role)) throw forbidden();
  if (roles.includes(EVERY_SHOP) && context.actor.shopIds !== null) throw forbidden();
  return true;
};

/** The use-case view of a context whose caller the auth checker has already let through. */
export function useCase(context: GraphQLContext): UseCaseContext {
  if (!context.actor) throw unauthenticated();
  const { actor, requestId } = context;
  // The fork is made when the use case first needs it: a status read answered from memory needs none.
  return {
    get em() {
      return context.em;
    },
    actor,
    requestId,
  };
}
