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
  return new OperationContext(sources, caller);
}

/**
 * The fork and the request's logger are made on first use only: a fork is a unit of work, an
 * identity map and loaders, and a child logger formats its bindings, while most operations
 * (subscriptions, `{ __typename }`, a status read answered from memory) need neither. Apollo hands
 * resolvers a copy of the context made with `Object.assign`, which would call a getter of the
 * object itself; these getters are on the prototype, which the copy shares, and what they make is
 * kept in `lazy`, which the copy shares by reference, so the copy and the original make one each.
 */
class OperationContext implements GraphQLContext {
  readonly actor: Actor | null;
  readonly requestId: string;
  readonly services: Services;
  readonly clientAddress: string | null;
  readonly chargeReplay?: GraphQLContext['chargeReplay'];
  private readonly lazy: { sources: ContextSources; em: GraphQLContext['em'] | null; logger: Logger | null };

  constructor(sources: ContextSources, caller: OperationCaller) {
    this.actor = caller.actor;
    this.requestId = caller.requestId;
    this.services = sources.services;
    this.clientAddress = caller.clientAddress;
    if (caller.chargeReplay) this.chargeReplay = caller.chargeReplay;
    this.lazy = { sources, em: null, logger: null };
  }

  get em(): GraphQLContext['em'] {
    return (this.lazy.em ??= this.lazy.sources.orm.em.fork());
  }

  get logger(): Logger {
    return (this.lazy.logger ??= requestLogger(this.lazy.sources.logger, this.requestId));
  }
}
