import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import type { MikroORM } from '@mikro-orm/postgresql';
import cors from 'cors';
import express from 'express';
import {
  execute,
  getOperationAST,
  GraphQLError,
  subscribe,
  type ExecutionArgs,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppConfig } from './config';
import { PUBLIC_ERROR_CODES, unauthenticated } from './errors';
import type { GraphQLContext } from './graphql-context';
import { requestLogger, runInRequestScope, type Logger } from './logger';
import type { GatewayMetrics } from './metrics/metrics';
import { operationLabel, operationOutcome, operationTelemetryPlugin, secondsSince } from './metrics/operation-telemetry';
import type { ProviderRegistry } from './providers/registry';
import { countRootFields, replayCost } from './security/operation-classes';
import { createOperationChecker, queryLimitRules, queryParseOptions, withoutLimitDetails, withoutSuggestions } from './security/query-limits';
import { rateLimitHolder, rateLimitPlugin } from './security/rate-limit.plugin';
import { rateLimitedError, type OperationRateLimiter } from './security/rate-limiter';
import { scrubText } from './security/redaction';
import { POLICY_VIOLATION, type GuardedConnection, type WebSocketGuard } from './security/websocket-guard';
import type { Actor } from './services/context';
import type { Services } from './services';

export const GRAPHQL_PATH = '/graphql';
const BODY_LIMIT = '64kb';
const WS_MAX_PAYLOAD = 64 * 1024;
/** After the work in flight is done, how long answers still being written get before their connections are cut. */
const IDLE_CLOSE_GRACE_MS = 1_000;

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

type SocketExtra = {
  actor: Actor | null;
  connection: GuardedConnection | null;
  /** The `Authorization` value the socket was opened with: its key is checked again on every operation and every few seconds. */
  authorization?: string;
};

/** graphql-ws's own code for an unauthorised socket; its clients do not retry it. */
const UNAUTHORIZED_CLOSE = 4401;

/** Carried in a WebSocket operation's context, to time and label it where it runs. */
interface WsOperationContext extends GraphQLContext {
  startedAt: bigint;
}

/**
 * Builds the HTTP and WebSocket front of the gateway: GraphQL over HTTP (Apollo) and graphql-ws on
 * the same path with the same limits, health probes, `/metrics`, and whatever extra routers are
 * given. Does not listen.
 */
export async function createServer(deps: ServerDeps): Promise<GatewayServer> {
  const { config, services, logger, metrics, rateLimiter, webSockets } = deps;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  let closing = false;

  const wsServer = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(request.url) !== GRAPHQL_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    if (!webSockets.originAllowed(request.headers.origin, request.headers.host)) return refuseUpgrade(socket, 403, 'Forbidden');
    wsServer.handleUpgrade(request, socket, head, (client) => wsServer.emit('connection', client, request));
  });

  const checkOperation = createOperationChecker(deps.schema, config.queryLimits, { introspection: !config.isProduction });
  const mask = (error: GraphQLError) => maskError(error, logger, config.isProduction);
  const inScope = <T>(args: ExecutionArgs, run: () => T): T => runInRequestScope((args.contextValue as GraphQLContext).requestId, run);

  /** Open, acknowledged sockets and the key each was opened with. */
  const keyedSockets = new Map<WebSocket, string>();
  const closeRevoked = (socket: WebSocket) => socket.close(UNAUTHORIZED_CLOSE, 'UNAUTHENTICATED: the API key was revoked');
  // A socket with no operation to re-check it would keep a revoked key's subscriptions alive:
  // every socket's key is looked up again as often as the lookup cache expires.
  const keySweep = setInterval(
    () => {
      for (const [socket, authorization] of keyedSockets) {
        services.apiKeys.authenticate(authorization).then(
          (actor) => {
            if (!actor && keyedSockets.has(socket)) closeRevoked(socket);
          },
          (error: unknown) => logger.warn({ err: error }, 'could not re-check the API key of a WebSocket'),
        );
      }
    },
    Math.max(services.apiKeys.cacheMs, 100),
  );
  keySweep.unref();

  const wsCleanup = useServer<Record<string, unknown>, SocketExtra>(
    {
      schema: deps.schema,
      async onConnect(ctx) {
        const authorization = ctx.connectionParams?.authorization;
        const actor = await services.apiKeys.authenticate(authorization);
        if (!actor) {
          ctx.extra.socket.close(UNAUTHORIZED_CLOSE, 'UNAUTHENTICATED: send a valid API key in connectionParams.authorization');
          return false;
        }
        const connection = webSockets.open(rateLimitHolder(actor, ctx.extra.request.socket.remoteAddress));
        if (!connection) {
          ctx.extra.socket.close(POLICY_VIOLATION, 'Too many connections for this API key');
          return false;
        }
        ctx.extra.actor = actor;
        ctx.extra.connection = connection;
        ctx.extra.authorization = authorization as string;
        keyedSockets.set(ctx.extra.socket, authorization as string);
        return true;
      },
      onClose(ctx) {
        keyedSockets.delete(ctx.extra.socket);
        if (ctx.extra.connection) webSockets.close(ctx.extra.connection);
      },
      async onSubscribe(ctx, id, payload) {
        const startedAt = process.hrtime.bigint();
        const connection = ctx.extra.connection!;
        // The key is checked again for every operation (through a cache of a few seconds), so that a
        // revoked key loses a socket it already holds.
        const actor = await services.apiKeys.authenticate(ctx.extra.authorization);
        if (!actor) {
          closeRevoked(ctx.extra.socket);
          return [unauthenticated()];
        }
        ctx.extra.actor = actor;
        const refuse = (errors: readonly GraphQLError[], outcome: 'invalid' | 'rate_limited' | 'refused') => {
          webSockets.endOperation(connection, id);
          metrics.observeOperation({ name: 'invalid', type: 'unknown', outcome, transport: 'websocket', seconds: secondsSince(startedAt) });
          return errors.map(mask);
        };
        const tooMany = webSockets.startOperation(connection, id);
        if (tooMany) return refuse([tooMany], 'refused');
        const checked = checkOperation(payload.query);
        if (checked.errors) return refuse(checked.errors, 'invalid');
        const operation = getOperationAST(checked.document, payload.operationName);
        if (!operation) {
          return refuse([new GraphQLError('Unable to identify operation', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })], 'invalid');
        }
        const clientAddress = ctx.extra.request.socket.remoteAddress ?? null;
        const holder = rateLimitHolder(ctx.extra.actor ?? null, clientAddress);
        const refusal = await rateLimiter.consume(holder, countRootFields(checked.document, operation));
        if (refusal) {
          metrics.countRateLimited(refusal.operationClass);
          return refuse([rateLimitedError(refusal, 'websocket')], 'rate_limited');
        }
        const requestId = randomUUID();
        let em: WsOperationContext['em'] | null = null;
        const contextValue: WsOperationContext = {
          // Most WebSocket operations are subscriptions that never touch it: fork on first use only.
          get em() {
            return (em ??= deps.orm.em.fork());
          },
          actor: ctx.extra.actor ?? null,
          requestId,
          services,
          logger: requestLogger(logger, requestId),
          clientAddress,
          startedAt,
          async chargeReplay(events) {
            const spent = await rateLimiter.consume(holder, replayCost(events));
            if (spent) metrics.countRateLimited(spent.operationClass);
            return spent;
          },
        };
        return {
          schema: deps.schema,
          document: checked.document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      execute: (args) =>
        inScope(args, async () => {
          const result = await execute(args);
          observeWsOperation(metrics, args, result.errors);
          return result;
        }),
      subscribe: (args) =>
        inScope(args, async () => {
          const result = await subscribe(args);
          observeWsOperation(metrics, args, Symbol.asyncIterator in result ? undefined : result.errors);
          return result;
        }),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => mask(error).toJSON()) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => mask(error).toJSON()),
      onComplete(ctx, id) {
        if (ctx.extra.connection) webSockets.endOperation(ctx.extra.connection, id);
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema: deps.schema,
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
    plugins: [rateLimitPlugin(rateLimiter, metrics), operationTelemetryPlugin(metrics)],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (closing) {
      res.status(503).json({ status: 'shutting down' });
      return;
    }
    try {
      await withTimeout(deps.orm.em.fork().getConnection().execute('select 1'), config.readinessTimeoutMs);
      const providers = deps.registry.ids();
      if (providers.length === 0) throw new Error('no provider configured');
      res.json({ status: 'ready', providers });
    } catch {
      res.status(503).json({ status: 'not ready' });
    }
  });
  app.get('/metrics', async (req, res) => {
    const token = config.metrics.token;
    if (!token) {
      res.status(404).type('text/plain').send('Not Found');
      return;
    }
    if (!bearerMatches(req.headers.authorization, token)) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('Unauthorized');
      return;
    }
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });
  for (const mount of deps.mounts ?? []) app.use(mount.path, mount.router);

  const inFlight = new InFlightRequests();
  app.use((_req, res, next) => {
    // A request that reaches a kept-alive connection once the drain has begun may find the
    // connection already half-closed, so that no answer could reach its caller: it is turned away
    // untouched, and the caller may safely send it again elsewhere.
    if (closing) {
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', '1');
      res.status(503).json({ errors: [{ message: 'The gateway is shutting down; send the request again', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      return;
    }
    next();
  });

  app.use(
    GRAPHQL_PATH,
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
    inFlight.around(
      expressMiddleware(apollo, {
        context: async ({ req, res }): Promise<GraphQLContext> => {
          const requestId = res.locals.requestId as string;
          let em: GraphQLContext['em'] | null = null;
          return {
            // A fork is a unit of work, an identity map and loaders: made for the operations that read or write.
            get em() {
              return (em ??= deps.orm.em.fork());
            },
            actor: res.locals.actor as Actor,
            requestId,
            services,
            logger: requestLogger(logger, requestId),
            clientAddress: req.socket.remoteAddress ?? null,
          };
        },
      }),
    ),
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

  /** Every subscription is told 1001 (going away); a client that does not answer the close is cut after the grace. */
  const closeWebSockets = async () => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([wsCleanup.dispose(), new Promise((resolve) => (timer = setTimeout(resolve, IDLE_CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    for (const client of wsServer.clients) client.terminate();
  };

  return {
    httpServer,
    apollo,
    async close() {
      closing = true;
      clearInterval(keySweep);
      await Promise.all([drainHttp(httpServer, inFlight, config.shutdownTimeoutMs), closeWebSockets()]);
      await apollo.stop();
    },
  };
}

/**
 * Lets the HTTP side wind down without cutting a request off. The port closes at once (new
 * connections are refused), but connections kept alive stay open, so that a request already on its
 * way over one gets a whole answer (the 503 above) rather than a reset; requests being worked on
 * finish; only then are idle connections closed, and anything still open after the deadline cut.
 */
async function drainHttp(server: http.Server, inFlight: InFlightRequests, timeoutMs: number): Promise<void> {
  // http.Server#close would also drop idle kept-alive connections at once; net.Server#close only stops listening.
  const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
  await inFlight.settled(timeoutMs);
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), IDLE_CLOSE_GRACE_MS);
  await closed;
  clearTimeout(cut);
}

/**
 * Requests being worked on, so that shutdown waits for their work to end even where the caller's
 * connection is already gone (the drain only waits for connections).
 */
class InFlightRequests {
  private count = 0;
  private readonly waiters: Array<() => void> = [];

  around(handler: express.RequestHandler): express.RequestHandler {
    return async (req, res, next) => {
      this.count += 1;
      try {
        await handler(req, res, next);
      } finally {
        this.count -= 1;
        if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
      }
    };
  }

  settled(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function observeWsOperation(metrics: GatewayMetrics, args: ExecutionArgs, errors: readonly GraphQLError[] | undefined): void {
  const context = args.contextValue as WsOperationContext;
  const { name, type } = operationLabel(getOperationAST(args.document, args.operationName));
  const outcome = operationOutcome(errors?.map((error) => error.toJSON()));
  const seconds = secondsSince(context.startedAt);
  metrics.observeOperation({ name, type, outcome, transport: 'websocket', seconds });
  context.logger.info({ operation: name, type, outcome, transport: 'websocket', durationMs: Math.round(seconds * 1000), caller: context.actor?.label ?? null }, 'graphql operation');
}

function pathOf(url: string | undefined): string | null {
  try {
    return new URL(url ?? '/', 'http://gateway.invalid').pathname;
  } catch {
    return null;
  }
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  // Digests of equal length, so that the comparison takes the same time whatever was sent.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
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

/**
 * What a client may see of an error: its own mistakes and auth failures; nothing of our insides.
 * Messages are scrubbed of phone numbers and UUIDs (a variable echoed back in a coercion error
 * could be a customer's number or a device token), and in production of field suggestions.
 */
function maskFormatted(formatted: GraphQLFormattedError, error: unknown, logger: Logger, isProduction: boolean): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const message = clientMessage(formatted.message, isProduction);
  if (typeof code === 'string' && PUBLIC_ERROR_CODES.has(code)) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, message, extensions };
  }
  // A GraphQL error of its own (parse, validation, variable coercion), not one wrapping a fault of ours.
  if (error instanceof GraphQLError && !error.originalError) {
    return { message, locations: formatted.locations, path: formatted.path, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  logger.error({ err: unwrap(error), path: formatted.path }, 'internal error in a GraphQL operation');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

function clientMessage(message: string, isProduction: boolean): string {
  const bounded = scrubText(withoutLimitDetails(message));
  return isProduction ? withoutSuggestions(bounded) : bounded;
}

function maskError(error: GraphQLError, logger: Logger, isProduction: boolean): GraphQLError {
  const formatted = maskFormatted(error.toJSON(), error, logger, isProduction);
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
