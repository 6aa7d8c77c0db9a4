import type { ApolloServer } from '@apollo/server';
import type { MikroORM } from '@mikro-orm/postgresql';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import http from 'node:http';
import type { AppConfig } from './config';
import type { GraphQLContext } from './graphql-context';
import { httpErrorHandler } from './http/error-masking';
import { graphqlHttpHandlers, startApollo } from './http/graphql-http';
import { serveGraphqlWebSocket } from './http/graphql-websocket';
import { probesRouter } from './http/probes.router';
import { ShutdownDrain } from './http/shutdown-drain';
import type { Logger } from './logger';
import type { GatewayMetrics } from './metrics/metrics';
import type { ProviderRegistry } from './providers/registry';
import type { OperationRateLimiter } from './security/rate-limiter';
import type { WebSocketGuard } from './security/websocket-guard';
import type { Services } from './services';

export const GRAPHQL_PATH = '/graphql';

export interface ServerDeps {
  config: AppConfig;
  orm: MikroORM;
  schema: GraphQLSchema;
  services: Services;
  registry: ProviderRegistry;
  logger: Logger;
  metrics: GatewayMetrics;
  rateLimiter: OperationRateLimiter;
  webSockets: WebSocketGuard;
  /** Extra routers mounted before GraphQL, e.g. the Kaspi sandbox at /sandbox/kaspi. */
  mounts?: Array<{ path: string; router: express.Router }>;
}

export interface GatewayServer {
  httpServer: http.Server;
  apollo: ApolloServer<GraphQLContext>;
  /**
   * Stops taking new work and lets what is in flight finish: readiness fails, the port closes, a
   * request arriving on a kept-alive connection is answered 503 SERVICE_UNAVAILABLE untouched, open
   * subscriptions are closed with 1001 (going away), and requests in flight are answered, for up to
   * SHUTDOWN_TIMEOUT_MS.
   */
  close(): Promise<void>;
}

/**
 * Builds the HTTP and WebSocket front of the gateway: GraphQL over HTTP (Apollo) and graphql-ws on
 * the same path with the same limits, health probes, `/metrics`, and whatever extra routers are
 * given. Does not listen.
 */
export async function createServer(deps: ServerDeps): Promise<GatewayServer> {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const drain = new ShutdownDrain();
  const isClosing = () => drain.closing;

  const webSocket = serveGraphqlWebSocket(httpServer, GRAPHQL_PATH, { ...deps, isClosing });
  const apollo = await startApollo(deps);

  app.use(probesRouter({ ...deps, isClosing }));
  for (const mount of deps.mounts ?? []) app.use(mount.path, mount.router);
  app.use(drain.turnAwayWhenClosing());
  app.use(GRAPHQL_PATH, ...graphqlHttpHandlers(deps, apollo, drain));
  app.use(httpErrorHandler(logger));

  return {
    httpServer,
    apollo,
    async close() {
      drain.begin();
      await Promise.all([drain.drain(httpServer, config.shutdownTimeoutMs), webSocket.close()]);
      await apollo.stop();
    },
  };
}
