import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitSettings } from '../config';
import type { Logger } from '../logger';
import { OPERATION_CLASSES, type ClassCounts, type OperationClass } from './operation-classes';

export interface RateLimitRefusal {
  operationClass: OperationClass;
  retryAfterSeconds: number;
}

const REDIS_READY_WAIT_MS = 3_000;

/**
 * Budgets of operations per caller and class, over a fixed window. In memory by default; with
 * `REDIS_URL` every instance draws on one budget in Redis, and while Redis cannot be reached each
 * instance falls back to its own memory budget rather than refusing payments or letting floods
 * through.
 */
export class OperationRateLimiter {
  private constructor(
    private readonly limiters: Partial<Record<OperationClass, RateLimiterAbstract>>,
    private readonly redis: Redis | null,
    private readonly logger: Logger,
  ) {}

  /** With `redisUrl`, the budgets live in Redis and are shared by every instance using it. */
  static async create(settings: RateLimitSettings, redisUrl: string | null, logger: Logger): Promise<OperationRateLimiter> {
    const redis = redisUrl ? await connectRedis(redisUrl, logger) : null;
    const limiters: Partial<Record<OperationClass, RateLimiterAbstract>> = {};
    for (const operationClass of OPERATION_CLASSES) {
      const points = settings[operationClass];
      if (points === 0) continue;
      const options = { points, duration: settings.windowSeconds, keyPrefix: `${settings.redisPrefix}:${operationClass}` };
      const memory = new RateLimiterMemory(options);
      limiters[operationClass] = redis
        ? new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: memory })
        : memory;
    }
    return new OperationRateLimiter(limiters, redis, logger);
  }

  /**
   * Draws `counts` from `caller`'s budgets. Returns the first class whose budget is spent, with
   * when to come back, or null when the operation may go ahead.
   */
  async consume(caller: string, counts: ClassCounts): Promise<RateLimitRefusal | null> {
    for (const operationClass of OPERATION_CLASSES) {
      const limiter = this.limiters[operationClass];
      const points = counts[operationClass];
      if (!limiter || points === 0) continue;
      try {
        await limiter.consume(caller, points);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          return { operationClass, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        }
        this.logger.warn({ err: rejection, operationClass }, 'rate limiter unavailable; operation let through');
      }
    }
    return null;
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    await this.redis.quit().catch(() => this.redis!.disconnect());
  }
}

async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  // No offline queue: while Redis is away a command fails at once and the memory budget takes over,
  // instead of requests queueing behind a reconnect.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: REDIS_READY_WAIT_MS });
  let reportedDown = false;
  redis.on('error', (error) => {
    if (reportedDown) return;
    reportedDown = true;
    logger.warn({ err: error }, 'Redis for rate limits is unreachable; each instance limits on its own meanwhile');
  });
  redis.on('ready', () => {
    if (reportedDown) logger.info('Redis for rate limits is back');
    reportedDown = false;
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, REDIS_READY_WAIT_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}

/** The error a refused operation gets: code RATE_LIMITED, when to retry, and over HTTP a 429 with Retry-After. */
export function rateLimitedError(refusal: RateLimitRefusal, transport: 'http' | 'websocket'): GraphQLError {
  const seconds = refusal.retryAfterSeconds;
  return new GraphQLError(`Too many ${refusal.operationClass} operations for this API key; retry in ${seconds} s`, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfter: seconds,
      operationClass: refusal.operationClass,
      ...(transport === 'http' ? { http: { status: 429, headers: new HeaderMap([['retry-after', String(seconds)]]) } } : {}),
    },
  });
}
