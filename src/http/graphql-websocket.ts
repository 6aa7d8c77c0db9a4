import { execute, getOperationAST, GraphQLError, subscribe, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppConfig } from '../config';
import { unauthenticated } from '../errors';
import type { GraphQLContext } from '../graphql-context';
import { runInRequestScope } from '../logger';
import type { GatewayMetrics } from '../metrics/metrics';
import { operationLabel, operationOutcome, secondsSince } from '../metrics/operation-telemetry';
import { countRootFields, replayCost } from '../security/operation-classes';
import { createOperationChecker } from '../security/query-limits';
import { rateLimitHolder } from '../security/rate-limit.plugin';
import { rateLimitedError, type OperationRateLimiter } from '../security/rate-limiter';
import { variableErrors } from '../security/variable-check';
import { POLICY_VIOLATION, type GuardedConnection, type WebSocketGuard } from '../security/websocket-guard';
import type { Actor } from '../services/use-case-context';
import { buildContext, type ContextSources } from './operation-context';
import { maskError } from './error-masking';
import { IDLE_CLOSE_GRACE_MS } from './shutdown-drain';

const WS_MAX_PAYLOAD = 64 * 1024;
/** graphql-ws's own code for an unauthorised socket; its clients do not retry it. */
const UNAUTHORIZED_CLOSE = 4401;

export interface GraphqlWebSocketSources extends ContextSources {
  config: AppConfig;
  schema: GraphQLSchema;
  metrics: GatewayMetrics;
  rateLimiter: OperationRateLimiter;
  webSockets: WebSocketGuard;
  /** Whether the drain has begun: no new socket is then taken. */
  isClosing: () => boolean;
}

export interface GraphqlWebSocket {
  /** Every subscription is told 1001 (going away); a client that does not answer the close is cut after the grace. */
  close(): Promise<void>;
}

type SocketExtra = {
  actor: Actor | null;
  connection: GuardedConnection | null;
  /** The `Authorization` value the socket was opened with: its key is checked again on every operation and every few seconds. */
  authorization?: string;
};

/** Carried in a WebSocket operation's context, to time and label it where it runs. */
interface WsOperationContext extends GraphQLContext {
  startedAt: bigint;
}

/**
 * graphql-ws on `path` of `httpServer`, held to the same rules as GraphQL over HTTP, which its
 * operations bypass: the API key (checked again while the socket lives), origins, connection and
 * subscription limits, query limits, rate limits, error masking and the operation metrics.
 */
export function serveGraphqlWebSocket(httpServer: http.Server, path: string, sources: GraphqlWebSocketSources): GraphqlWebSocket {
  const { config, services, logger, metrics, rateLimiter, webSockets, schema } = sources;
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(request.url) !== path) return refuseUpgrade(socket, 404, 'Not Found');
    if (sources.isClosing()) return refuseUpgrade(socket, 503, 'Service Unavailable');
    if (!webSockets.originAllowed(request.headers.origin, request.headers.host)) return refuseUpgrade(socket, 403, 'Forbidden');
    wsServer.handleUpgrade(request, socket, head, (client) => wsServer.emit('connection', client, request));
  });

  const checkOperation = createOperationChecker(schema, config.queryLimits, { introspection: !config.isProduction });
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
      schema,
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
        const badVariables = variableErrors(schema, operation, payload.variables);
        if (badVariables.length > 0) return refuse(badVariables, 'invalid');
        const clientAddress = ctx.extra.request.socket.remoteAddress ?? null;
        const holder = rateLimitHolder(ctx.extra.actor ?? null, clientAddress);
        const refusal = await rateLimiter.consume(holder, countRootFields(checked.document, operation));
        if (refusal) {
          metrics.countRateLimited(refusal.operationClass);
          return refuse([rateLimitedError(refusal, 'websocket')], 'rate_limited');
        }
        const contextValue: WsOperationContext = Object.assign(
          buildContext(sources, {
            actor: ctx.extra.actor ?? null,
            requestId: randomUUID(),
            clientAddress,
            async chargeReplay(events) {
              const spent = await rateLimiter.consume(holder, replayCost(events));
              if (spent) metrics.countRateLimited(spent.operationClass);
              return spent;
            },
          }),
          { startedAt },
        );
        return {
          schema,
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

  return {
    async close() {
      clearInterval(keySweep);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([wsCleanup.dispose(), new Promise((resolve) => (timer = setTimeout(resolve, IDLE_CLOSE_GRACE_MS)))]);
      clearTimeout(timer);
      for (const client of wsServer.clients) client.terminate();
    },
  };
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
