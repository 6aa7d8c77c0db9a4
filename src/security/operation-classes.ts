import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Rate-limit classes: moving money, changing the gateway's set-up, and reading. Each has its own
 * budget per API key, so a flood of status polls cannot starve payments.
 */
export type OperationClass = 'payments' | 'admin' | 'reads';
export const OPERATION_CLASSES: readonly OperationClass[] = ['payments', 'admin', 'reads'];

const PAYMENT_MUTATIONS: ReadonlySet<string> = new Set(['createKaspiPayment', 'refund']);

export type ClassCounts = Record<OperationClass, number>;

/** Outbox events a replay may read for one operation of the reads budget. */
export const REPLAY_EVENTS_PER_READ = 100;

/** What replaying `events` status changes costs: one read per {@link REPLAY_EVENTS_PER_READ}, begun or not. */
export function replayCost(events: number): ClassCounts {
  return { payments: 0, admin: 0, reads: Math.ceil(events / REPLAY_EVENTS_PER_READ) };
}

/**
 * How many root fields of each class one operation calls. Every root field counts, aliased ones
 * one by one, including those reached through fragments; `@skip` and `@include` are ignored, so
 * a caller cannot hide calls behind a variable.
 */
export function countRootFields(document: DocumentNode, operation: OperationDefinitionNode): ClassCounts {
  const counts: ClassCounts = { payments: 0, admin: 0, reads: 0 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const visited = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        counts[classOf(operation.operation, selection.name.value)] += 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visited.has(name)) continue;
        visited.add(name);
        walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return counts;
}

function classOf(operationType: OperationDefinitionNode['operation'], field: string): OperationClass {
  if (operationType !== 'mutation') return 'reads';
  return PAYMENT_MUTATIONS.has(field) ? 'payments' : 'admin';
}

/** The root fields an operation calls, for metrics and logs: `createKaspiPayment`, `configs+logs`. */
export function rootFieldNames(operation: OperationDefinitionNode): string[] {
  const names = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.add(selection.name.value);
  }
  return [...names].sort();
}
