import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import { ErrorCode, userError, type UserError } from '../errors';
import type { UseCaseContext } from './use-case-context';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from './input-check';

/** What a use case that takes an idempotency key tells {@link IdempotentRequests} about its rows. */
export interface IdempotencyRules<Row extends { id: string; requestHash: string }, Result> {
  /** The row written earlier under `key` for the shop, by whichever API key, or null. */
  find(em: EntityManager, shopId: number, key: string): Promise<Row | null>;
  /** `row` as it stands now, with whatever the answer needs loaded. */
  reload(em: EntityManager, row: Row): Promise<Row | null>;
  /** Whether the request that wrote `row` is still waiting for the provider. */
  isPending(row: Row): boolean;
  /** The answer a settled row gives, the same for the first request and every retry. */
  errorsOf(row: Row): UserError[];
  answer(row: Row | null, errors: UserError[]): Result;
  /** "request" or "refund", as the in-progress message names it. */
  noun: string;
  waitMs: number;
}

/**
 * Idempotent replay for a use case whose rows carry `(shopId, idempotencyKey)` under a unique
 * constraint: a retry gets the first request's answer, a different request under the same key a
 * conflict, and a duplicate that arrives while the first is in flight waits for it instead of
 * reaching the provider a second time.
 *
 * Keys belong to the shop, as a card acquirer scopes them to the merchant's account, not to the API
 * key: a backend that rotated its key, or a second backend of the same shop, still finds the first
 * request. Callers check that the actor sees the shop before asking.
 */
export class IdempotentRequests<Row extends { id: string; requestHash: string }, Result> {
  constructor(private readonly rules: IdempotencyRules<Row, Result>) {}

  /** The answer to an earlier request under this key, or null when the key is new. */
  async replayEarlier(ctx: UseCaseContext, shopId: number, key: string | null, requestHash: string): Promise<Result | null> {
    if (!key) return null;
    const earlier = await this.findEarlier(ctx, shopId, key);
    return earlier ? this.replay(ctx.em, earlier, requestHash) : null;
  }

  /**
   * Runs `insert`, which writes the row under `key`. When another request with the same key won
   * the insert, answers as a retry of it.
   */
  async insertOnce<T>(
    ctx: UseCaseContext,
    shopId: number,
    key: string | null,
    requestHash: string,
    insert: () => Promise<T>,
  ): Promise<{ inserted: T } | { replayed: Result }> {
    try {
      return { inserted: await insert() };
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException && key) {
        const earlier = await this.findEarlier(ctx, shopId, key);
        if (earlier) return { replayed: await this.replay(ctx.em, earlier, requestHash) };
      }
      throw error;
    }
  }

  private findEarlier(ctx: UseCaseContext, shopId: number, key: string): Promise<Row | null> {
    if (key.length > IDEMPOTENCY_KEY_MAX_LENGTH) return Promise.resolve(null);
    return this.rules.find(ctx.em.fork(), shopId, key);
  }

  private async replay(em: EntityManager, earlier: Row, requestHash: string): Promise<Result> {
    const { rules } = this;
    if (earlier.requestHash !== requestHash) {
      return rules.answer(null, [
        userError(ErrorCode.IDEMPOTENCY_CONFLICT, 'this idempotency key was already used with a different request', ['input', 'idempotencyKey']),
      ]);
    }
    const settled = await waitWhilePending(
      () => rules.reload(em.fork(), earlier),
      (row) => row === null || !rules.isPending(row),
      rules.waitMs,
    );
    if (!settled || rules.isPending(settled)) {
      return rules.answer(settled, [
        userError(ErrorCode.IDEMPOTENCY_CONFLICT, `a ${rules.noun} with this idempotency key is still in progress; retry later`, [
          'input',
          'idempotencyKey',
        ], { retryable: true }),
      ]);
    }
    return rules.answer(settled, rules.errorsOf(settled));
  }
}

/**
 * Waits for a request that holds the same idempotency key to finish, by re-reading its row, so
 * that a duplicate never reaches the provider while the first is in flight.
 */
async function waitWhilePending<T>(
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
