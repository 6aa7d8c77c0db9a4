import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../config';
import { unauthenticated } from '../errors';
import type { GraphQLContext } from '../graphql-context';
import { runInRequestScope, type Logger } from '../logger';
import type { GatewayMetrics } from '../metrics/metrics';
import { operationTelemetryPlugin } from '../metrics/operation-telemetry';
import { queryLimitRules, queryParseOptions } from '../security/query-limits';
import { rateLimitPlugin } from '../security/rate-limit.plugin';
import type { OperationRateLimiter } from '../security/rate-limiter';
import type { Actor } from '../services/use-case-context';
import { buildContext, type ContextSources } from './operation-context';
import { maskFormatted } from './error-masking';
import type { ShutdownDrain } from './shutdown-drain';

const BODY_LIMIT = '64kb';

export interface GraphqlHttpSources extends ContextSources {
  config: AppConfig;
  schema: GraphQLSchema;
  metrics: GatewayMetrics;
  rateLimiter: OperationRateLimiter;
}

/** Apollo Server with the gateway's limits, masking and plugins, started; mounted with {@link graphqlHttpHandlers}. */
export async function startApollo({ config, schema, logger, metrics, rateLimiter }: GraphqlHttpSources): Promise<ApolloServer<GraphQLContext>> {
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: !config.isProduction,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // The process's own SIGTERM handler drains everything in order; Apollo's would stop it mid-drain.
    stopOnTerminationSignals: false,
    validationRules: queryLimitRules(config.queryLimits),
    parseOptions: queryParseOptions(config.queryLimits),
    logger: apolloLogger(logger),
    formatError: (formatted, error) => maskFormatted(formatted, error, logger, config.isProduction),
    plugins: [rateLimitPlugin(rateLimiter, metrics), operationTelemetryPlugin(metrics, logger)],
  });
  await apollo.start();
  return apollo;
}

/** GraphQL over HTTP: CORS, the API key, the body, the request id, then Apollo, counted by the drain. */
export function graphqlHttpHandlers(sources: GraphqlHttpSources, apollo: ApolloServer<GraphQLContext>, drain: ShutdownDrain): express.RequestHandler[] {
  const { config, services } = sources;
  return [
    cors<cors.CorsRequest>({ origin: corsOrigin(config) }),
    // Before the body is read: a caller without a valid key learns nothing of the schema, not even
    // from a parse or validation message.
    async (req, res, next) => {
      const actor = await services.apiKeys.authenticate(req.headers.authorization);
      if (!actor) {
        const { message, extensions } = unauthenticated();
        res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="graphql"');
        res.json({ errors: [{ message, extensions: { code: extensions.code } }] });
        return;
      }
      res.locals.actor = actor;
      next();
    },
    express.json({ limit: BODY_LIMIT }),
    // After the body parser: a stream's callbacks would not carry the request's async context.
    (req, res, next) => {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      res.locals.requestId = requestId;
      res.setHeader('X-Request-ID', requestId);
      runInRequestScope(requestId, next);
    },
    drain.track(
      expressMiddleware(apollo, {
        context: async ({ req, res }): Promise<GraphQLContext> =>
          buildContext(sources, {
            actor: res.locals.actor as Actor,
            requestId: res.locals.requestId as string,
            clientAddress: req.socket.remoteAddress ?? null,
          }),
      }),
    ),
  ];
}

function corsOrigin(config: AppConfig): cors.CorsOptions['origin'] {
  if (config.corsOrigins.length > 0) return config.corsOrigins;
  return !config.isProduction;
}

function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && /^[A-Za-z0-9._-]{8,64}$/.test(header) ? header : randomUUID();
}

/** Apollo's own messages go through the gateway's logger, and so through its redaction. */
function apolloLogger(logger: Logger) {
  const apollo = logger.child({ component: 'apollo' });
  return {
    debug: (message: string) => apollo.debug(message),
    info: (message: string) => apollo.info(message),
    warn: (message: string) => apollo.warn(message),
    error: (message: string) => apollo.error(message),
  };
}
