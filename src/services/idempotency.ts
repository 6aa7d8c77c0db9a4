import { createHash } from 'node:crypto';

/**
 * Waits for a request that holds the same idempotency key to finish, by re-reading its row, so
 * that a duplicate never reaches the provider while the first is in flight.
 */
export async function waitWhilePending<T>(
  load: () => Promise<T>,
  settled: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  for (;;) {
    const value = await load();
    if (settled(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 250);
  }
}

/** A digest of a request, to tell a retry from a different request sent under the same key. */
export function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
