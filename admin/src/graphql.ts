import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

/** Typed documents: result and variable types come from the gateway's schema.graphql. */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; Tenge: number; ID: string };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';
