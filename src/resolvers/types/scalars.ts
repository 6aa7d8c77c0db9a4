import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * Tenge on the wire: a JSON number with at most two decimals. Inside, money is whole tiyn; the
 * exact conversion (refusing a third decimal) happens in the services, so that a bad amount
 * comes back as a BAD_INPUT user error naming the field, like every other input check.
 */
export const TengeScalar = new GraphQLScalarType<number, number>({
  name: 'Tenge',
  description:
    'An amount in Kazakhstani tenge (KZT) with at most two decimal places, sent and returned as a JSON number (1500, 99.99). Stored exactly, as whole tiyn (1 tenge = 100 tiyn).',
  serialize(value) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new GraphQLError('Tenge must be a finite number');
    return value;
  },
  parseValue(value) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new GraphQLError('Tenge must be a JSON number, e.g. 1500 or 99.99');
    }
    return value;
  },
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.INT && ast.kind !== Kind.FLOAT) {
      throw new GraphQLError('Tenge must be a number, e.g. 1500 or 99.99');
    }
    const value = Number(ast.value);
    if (!Number.isFinite(value)) throw new GraphQLError('Tenge must be a finite number');
    return value;
  },
});

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 timestamp in UTC.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue(value) {
    return parseDate(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

function parseDate(value: unknown): Date {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new GraphQLError('DateTime must be an ISO-8601 timestamp with a time zone, e.g. 2025-10-22T10:00:00Z');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime is not a valid date');
  return date;
}
