import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';
import type { QueryLimits } from '../config';

/**
 * The refusals name the limit that was hit but never its value: a client that knows the numbers
 * can build the most expensive query that still passes (OWASP GraphQL cheat sheet).
 */
const REFUSALS = {
  depth: 'The query is nested too deeply',
  aliases: 'The query uses too many aliases',
  directives: 'The query uses too many directives',
  cost: 'The query is too expensive',
  tokens: 'Syntax Error: The query is too long',
} as const;

function refuse(message: string): GraphQLArmorRejectCallback {
  return (context) => context?.reportError(new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
}

/**
 * The validation rules for depth, aliases, directives and cost (graphql-armor), and the parse
 * options that bound the number of tokens. Apollo applies them to HTTP; {@link checkOperation}
 * applies the very same to graphql-ws, which Apollo's pipeline does not see.
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  const rejection = (message: string) => ({ exposeLimits: false, propagateOnRejection: false, onReject: [refuse(message)] });
  const { validationRules } = new ApolloArmor({
    blockFieldSuggestion: { enabled: false },
    maxTokens: { enabled: false },
    maxDepth: { n: limits.depth, ...rejection(REFUSALS.depth) },
    maxAliases: { n: limits.aliases, allowList: [], ...rejection(REFUSALS.aliases) },
    maxDirectives: { n: limits.directives, ...rejection(REFUSALS.directives) },
    costLimit: { maxCost: limits.cost, ...rejection(REFUSALS.cost) },
  }).protect();
  return validationRules as ValidationRule[];
}

export function queryParseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.tokens };
}

/** graphql-js names its token limit in the message; the client only learns that the query is too long. */
export function withoutLimitDetails(message: string): string {
  return /^Syntax Error: Document contains more th(?:at|an|en) \d+ tokens/.test(message) ? REFUSALS.tokens : message;
}

/**
 * Field suggestions ("Did you mean …?") let a caller map a schema whose introspection is off, so
 * they are cut from every error message.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}

export type OperationCheck = { document: DocumentNode; errors: null } | { document: null; errors: readonly GraphQLError[] };

/**
 * Parses and validates one operation the way Apollo does for HTTP: the specified rules, the query
 * limits and, in production, no introspection. For graphql-ws, whose operations never reach
 * Apollo's pipeline.
 */
export function createOperationChecker(schema: GraphQLSchema, limits: QueryLimits, options: { introspection: boolean }) {
  const rules = [...specifiedRules, ...queryLimitRules(limits), ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const parseOptions = queryParseOptions(limits);
  // Subscribers send the same few documents over and over; graphql-ws has no cache of its own, so
  // a valid document is parsed and validated once (documents are never mutated, so it can be shared).
  const valid = new Map<string, DocumentNode>();
  return function checkOperation(query: string): OperationCheck {
    const cached = valid.get(query);
    if (cached) return { document: cached, errors: null };
    const checked = parseAndValidate(query);
    if (checked.document) {
      if (valid.size >= VALID_DOCUMENT_CACHE_SIZE) valid.delete(valid.keys().next().value!);
      valid.set(query, checked.document);
    }
    return checked;
  };

  function parseAndValidate(query: string): OperationCheck {
    let document: DocumentNode;
    try {
      document = parse(query, parseOptions);
    } catch (error) {
      const parseError = error instanceof GraphQLError ? error : new GraphQLError('Syntax Error');
      return {
        document: null,
        errors: [new GraphQLError(withoutLimitDetails(parseError.message), { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })],
      };
    }
    const errors = validate(schema, document, rules);
    if (errors.length > 0) {
      return {
        document: null,
        errors: errors.map(
          (error) =>
            new GraphQLError(withoutSuggestions(error.message), {
              nodes: error.nodes,
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            }),
        ),
      };
    }
    return { document, errors: null };
  }
}

const VALID_DOCUMENT_CACHE_SIZE = 1_000;
