import type { MikroORM } from '@mikro-orm/postgresql';
import type { GraphQLContext } from '../graphql-context';
import { requestLogger, type Logger } from '../logger';
import type { Actor } from '../services/use-case-context';
import type { Services } from '../services';

/** What every operation's context is made from, whichever transport brought it. */
export interface ContextSources {
  orm: MikroORM;
  services: Services;
  logger: Logger;
}

/** Who sent one operation, as its transport learned it. */
export interface OperationCaller {
  actor: Actor | null;
  requestId: string;
  clientAddress: string | null;
  /** Set where subscriptions are served, so that a replay draws on the caller's budget. */
  chargeReplay?: GraphQLContext['chargeReplay'];
}

/** The context of one GraphQL operation, over HTTP or over a WebSocket alike. */
export function buildContext(sources: ContextSources, caller: OperationCaller): GraphQLContext {
  let em: GraphQLContext['em'] | null = null;
  return {
    // A fork is a unit of work, an identity map and loaders: made on first use only, since most
    // WebSocket operations are subscriptions that never touch it.
    get em() {
      return (em ??= sources.orm.em.fork());
    },
    actor: caller.actor,
    requestId: caller.requestId,
    services: sources.services,
    logger: requestLogger(sources.logger, caller.requestId),
    clientAddress: caller.clientAddress,
    ...(caller.chargeReplay ? { chargeReplay: caller.chargeReplay } : {}),
  };
}
