import { getVariableValues, GraphQLError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';

/**
 * The variables of `operation` that do not fit their declared types, each a BAD_INPUT error
 * naming the variable, e.g. `$shopId: 2147483648` or `$since: "+275760-09-13T00:00:00.001Z"`.
 *
 * Over graphql-ws nothing tags graphql-js's coercion errors the way Apollo does over HTTP: they
 * arrive wrapping the scalar's own error, which the error mask cannot tell from a fault of ours
 * and would answer as INTERNAL_SERVER_ERROR. Checked before the operation runs, a client's
 * mistake is answered as one.
 */
export function variableErrors(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined): GraphQLError[] {
  const errors: GraphQLError[] = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const coerced = getVariableValues(schema, [definition], variables ?? {}, { maxErrors: 1 });
    for (const error of coerced.errors ?? []) {
      errors.push(new GraphQLError(error.message, { extensions: { code: 'BAD_INPUT', field: [definition.variable.name.value] } }));
    }
  }
  return errors;
}
