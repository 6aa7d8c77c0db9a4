import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../graphql-context';
import type { GatewayMetrics } from '../metrics/metrics';
import type { Actor } from '../services/use-case-context';
import { countRootFields } from './operation-classes';
import { rateLimitedError, type OperationRateLimiter } from './rate-limiter';

/** Whose budget an operation draws on: its API key, or for an anonymous caller its address. */
export function rateLimitHolder(actor: Actor | null, clientAddress: string | null | undefined): string {
  return actor ? `key:${actor.callerId}` : `ip:${clientAddress ?? 'unknown'}`;
}

/**
 * Draws each HTTP operation from its caller's budgets once it is parsed and validated, before
 * anything executes: a refused operation does nothing and answers 429 with Retry-After.
 */
export function rateLimitPlugin(limiter: OperationRateLimiter, metrics: GatewayMetrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          if (!operation) return;
          const holder = rateLimitHolder(contextValue.actor, contextValue.clientAddress);
          const refusal = await limiter.consume(holder, countRootFields(document, operation));
          if (!refusal) return;
          metrics.countRateLimited(refusal.operationClass);
          throw rateLimitedError(refusal, 'http');
        },
      };
    },
  };
}
