import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import type { GraphQLContext } from '../graphql-context';
import type { Logger } from '../logger';
import { rootFieldNames } from '../security/operation-classes';
import type { GatewayMetrics, OperationOutcome } from './metrics';

const NAME_MAX_LENGTH = 64;
const INVALID_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE']);

/** How an operation is named in metrics and logs: its own name, or the root fields it calls. */
export function operationLabel(operation: OperationDefinitionNode | null | undefined): { name: string; type: string } {
  if (!operation) return { name: 'invalid', type: 'unknown' };
  const name = operation.name?.value ?? (rootFieldNames(operation).join('+') || 'anonymous');
  return { name: name.slice(0, NAME_MAX_LENGTH), type: operation.operation };
}

/** What came of an operation, from the errors it answered with (already formatted). */
export function operationOutcome(errors: ReadonlyArray<{ extensions?: Record<string, unknown> }> | undefined): OperationOutcome {
  if (!errors || errors.length === 0) return 'ok';
  const codes = errors.map((error) => String(error.extensions?.code ?? ''));
  if (codes.includes('RATE_LIMITED')) return 'rate_limited';
  if (codes.some((code) => code === 'UNAUTHENTICATED' || code === 'FORBIDDEN')) return 'denied';
  if (codes.every((code) => INVALID_CODES.has(code))) return 'invalid';
  return 'error';
}

export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * Times and counts every HTTP operation, and logs one line per operation with the request id:
 * through `logger` inside the request's scope (see `runInRequestScope`).
 */
export function operationTelemetryPlugin(metrics: GatewayMetrics, logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, operation, contextValue }) {
          const body = response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
          const { name, type } = operationLabel(operation);
          const outcome = operationOutcome(errors);
          const seconds = secondsSince(started);
          metrics.observeOperation({ name, type, outcome, transport: 'http', seconds });
          // The root logger: the line is written in the request's scope, which gives it the request
          // id, so the operation's own logger is not made just for this line.
          logger.info(
            {
              operation: name,
              type,
              outcome,
              httpStatus: response.http.status ?? 200,
              durationMs: Math.round(seconds * 1000),
              caller: contextValue.actor?.label ?? null,
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
