import { seesShop, type Actor } from './use-case-context';
import type { StatusChange } from './payment-events.service';

/**
 * The status changes of `changes` that `actor` may see: a key limited to some shops hears nothing
 * of the others, as if their payments did not exist. Ending the stream ends the source at once,
 * even while it waits for its next change.
 */
export function visibleStatusChanges(actor: Actor, changes: AsyncIterable<StatusChange>): AsyncIterable<StatusChange> {
  if (actor.shopIds === null) return changes;
  return {
    [Symbol.asyncIterator](): AsyncIterator<StatusChange> {
      const source = changes[Symbol.asyncIterator]();
      return {
        async next() {
          for (;;) {
            const result = await source.next();
            if (result.done || seesShop(actor, result.value.payment.shopId)) return result;
          }
        },
        return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
        throw: (error?: unknown) => source.throw?.(error) ?? Promise.reject(error),
      };
    },
  };
}
