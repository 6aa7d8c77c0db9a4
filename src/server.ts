import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import type { MikroORM } from '@mikro-orm/postgresql';
import cors from 'cors';
import express from 'express';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer } from 'ws';
import type { AppConfig } from './config';
import { PUBLIC_ERROR_CODES } from './errors';
import type { GraphQLContext } from './graphql-context';
import type { Logger } from './logger';
import type { ProviderRegistry } from './providers/registry';
import type { Actor } from './services/context';
import type { Services } from './services';

export const GRAPHQL_PATH = '/graphql';
const BODY_LIMIT = '64kb';

export interface ServerDeps {
  config: AppConfig;
  orm: MikroORM;
  schema: GraphQLSchema;
  services: Services;
  registry: ProviderRegistry;
  logger: Logger;
  /** Extra routers mounted before GraphQL, e.g. the Kaspi sandbox at /sandbox/kaspi. */
  mounts?: Array<{ path: string; router: express.Router }>;
}

export interface GatewayServer {
  httpServer: http.Server;
  apollo: ApolloServer<GraphQLContext>;
  /** Stops accepting work, closes subscriptions and lets requests in flight finish. */
  close(): Promise<void>;
}

/**
 * Builds the HTTP and WebSocket front of the gateway: GraphQL over HTTP (Apollo) and graphql-ws on
 * the same path, health probes, and whatever extra routers are given. Does not listen.
 */
export async function createServer(deps: ServerDeps): Promise<GatewayServer> {
  const { config, services, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: 64 * 1024 });
  const wsCleanup = useServer<Record<string, unknown>, { actor: Actor | null; requestId: string }>(
    {
      schema: deps.schema,
      async onConnect(ctx) {
        ctx.extra.actor = await services.apiKeys.authenticate(ctx.connectionParams?.authorization);
        ctx.extra.requestId = randomUUID();
        return true;
      },
      context: (ctx): GraphQLContext => ({
        em: deps.orm.em.fork(),
        actor: ctx.extra.actor ?? null,
        requestId: ctx.extra.requestId ?? randomUUID(),
        services,
        logger,
      }),
      onNext: (ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => maskError(error, logger)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => maskError(error, logger)),
    },
    wsServer,
  );

  const drainWebSockets: ApolloServerPlugin<GraphQLContext> = {
    async serverWillStart() {
      return {
        async drainServer() {
          await wsCleanup.dispose();
        },
      };
    },
  };

  const apollo = new ApolloServer<GraphQLContext>({
    schema: deps.schema,
    introspection: !config.isProduction,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    formatError: (formatted, error) => maskFormatted(formatted, error, logger),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), drainWebSockets],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await deps.orm.em.fork().getConnection().execute('select 1');
      const providers = deps.registry.ids();
      if (providers.length === 0) throw new Error('no provider configured');
      res.json({ status: 'ready', providers });
    } catch {
      res.status(503).json({ status: 'not ready' });
    }
  });
  for (const mount of deps.mounts ?? []) app.use(mount.path, mount.router);

  app.use(
    GRAPHQL_PATH,
    cors<cors.CorsRequest>({ origin: corsOrigin(config) }),
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<GraphQLContext> => ({
        em: deps.orm.em.fork(),
        actor: await services.apiKeys.authenticate(req.headers.authorization),
        requestId: requestIdFrom(req.headers['x-request-id']),
        services,
        logger,
      }),
    }),
  );
  app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ errors: [{ message: 'The request could not be read', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    logger.error({ err: error }, 'unhandled HTTP error');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  });

  return {
    httpServer,
    apollo,
    async close() {
      await apollo.stop();
    },
  };
}

function corsOrigin(config: AppConfig): cors.CorsOptions['origin'] {
  if (config.corsOrigins.length > 0) return config.corsOrigins;
  return !config.isProduction;
}

function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && /^[A-Za-z0-9._-]{8,64}$/.test(header) ? header : randomUUID();
}

/** What a client may see of an error: its own mistakes and auth failures; nothing of our insides. */
function maskFormatted(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PUBLIC_ERROR_CODES.has(code)) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  // A GraphQL error of its own (parse, validation, variable coercion), not one wrapping a fault of ours.
  if (error instanceof GraphQLError && !error.originalError) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  logger.error({ err: unwrap(error), path: formatted.path }, 'internal error in a GraphQL operation');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

function maskError(error: GraphQLError, logger: Logger): GraphQLError {
  const formatted = maskFormatted(error.toJSON(), error, logger);
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
