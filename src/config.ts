import path from 'node:path';
import { z } from 'zod';
import { parseEncryptionKeys, type EncryptionKey } from './crypto/key-ring';
import { DEFAULT_CLOUDPAYMENTS_API_URL } from './providers/cloudpayments/cloudpayments.provider';

export type KaspiMode = 'sandbox' | 'proxy' | 'direct';
export type ApiRole = 'admin' | 'service' | 'viewer';
export const API_ROLES: readonly ApiRole[] = ['admin', 'service', 'viewer'];

export interface StaticApiKey {
  role: ApiRole;
  secret: string;
  /** The shops the key is limited to; null for every shop. */
  shopIds: number[] | null;
}

/** A list of shop ids as `8,9` (command line) or `8|9` (inside `API_KEYS`): positive 32-bit integers, no repeats. */
export function parseShopIds(raw: string, separator: ',' | '|'): number[] | null {
  const parts = raw.split(separator).map((part) => part.trim());
  const ids = parts.map(Number);
  if (parts.length === 0 || parts.some((part) => !/^\d{1,10}$/.test(part)) || ids.some((id) => id < 1 || id > 2_147_483_647)) return null;
  return [...new Set(ids)];
}

const milliseconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const count = (fallback: number, max = 1_000_000) => z.coerce.number().int().min(0).max(max).default(fallback);
const positiveCount = (fallback: number, max = 1_000_000) => z.coerce.number().int().min(1).max(max).default(fallback);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));

/** The Standard Webhooks example: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (about three days). */
const STANDARD_WEBHOOKS_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000];

/** Delays before each attempt, in milliseconds, comma-separated; the first is the first attempt. */
function retrySchedule(fallback: number[]) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): number[] => {
      if (!raw?.trim()) return fallback;
      const delays = raw.split(',').map((part) => Number(part.trim()));
      if (delays.length > 50 || delays.some((delay) => !Number.isInteger(delay) || delay < 0 || delay > 7 * 24 * 60 * 60_000)) {
        ctx.addIssue({ code: 'custom', message: 'must be up to 50 comma-separated delays in milliseconds, each at most 7 days' });
        return z.NEVER;
      }
      return delays;
    });
}

const apiKeysSchema = z
  .string()
  .optional()
  .transform((raw, ctx): StaticApiKey[] => {
    if (!raw?.trim()) return [];
    const keys: StaticApiKey[] = [];
    for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
      const separator = entry.indexOf(':');
      // role or role@8|9 (limited to shops 8 and 9), then the secret.
      const [role, shops] = entry.slice(0, Math.max(separator, 0)).split('@') as [ApiRole, string | undefined];
      const secret = entry.slice(separator + 1);
      const shopIds = shops === undefined ? null : parseShopIds(shops, '|');
      if (separator < 1 || !API_ROLES.includes(role) || secret.length < 16 || (shops !== undefined && !shopIds)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'each entry must be role:secret or role@shop|shop:secret, with role admin, service or viewer, shops as positive integers and a secret of at least 16 characters',
        });
        return z.NEVER;
      }
      keys.push({ role, secret, shopIds });
    }
    return keys;
  });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8015),
  HOST: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalText.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().default('./data'),
  KASPI_MODE: z.enum(['sandbox', 'proxy', 'direct']).optional(),
  PRODUCTION_API_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  KASPI_ACCESS_TOKEN: optionalText,
  KASPI_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  KASPI_CLIENT_CERT: optionalText,
  KASPI_CLIENT_KEY: optionalText,
  KASPI_CLIENT_PFX: optionalText,
  KASPI_CLIENT_PASSPHRASE: optionalText,
  KASPI_CA_CERT: optionalText,
  KASPI_CREATE_TIMEOUT_MS: milliseconds(15_000),
  KASPI_STATUS_TIMEOUT_MS: milliseconds(10_000),
  KASPI_REFUND_TIMEOUT_MS: milliseconds(15_000),
  SANDBOX_AUTO_ADVANCE_MS: milliseconds(6_000),
  CLOUDPAYMENTS_API_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  CLOUDPAYMENTS_TIMEOUT_MS: milliseconds(15_000),
  API_KEYS: apiKeysSchema,
  API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(10_000).default(5_000),
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((raw) => (raw ?? '').split(',').map((origin) => origin.trim()).filter(Boolean)),
  MAX_PAYMENT_AMOUNT: z.coerce.number().positive().default(10_000_000),
  LOGS_MAX_LIMIT: z.coerce.number().int().min(1).max(10_000).default(500),
  RECONCILE_TICK_MS: milliseconds(1_000),
  RECONCILE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(200),
  RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  POLL_FAST_INTERVAL_MS: z.coerce.number().int().min(0).optional(),
  POLL_FAST_WINDOW_MS: milliseconds(10 * 60_000),
  POLL_SLOW_INTERVAL_MS: milliseconds(3 * 60_000),
  POLL_MIN_INTERVAL_MS: milliseconds(5_000),
  PAYMENT_LIFETIME_MS: milliseconds(24 * 60 * 60_000),
  PENDING_RECOVERY_MS: milliseconds(60_000),
  IDEMPOTENCY_WAIT_MS: milliseconds(20_000),
  EVENT_POLL_MS: milliseconds(250),
  EVENT_REPLAY_WINDOW_MS: milliseconds(7 * 24 * 60 * 60_000),
  EVENT_REPLAY_MAX_EVENTS: positiveCount(10_000, 1_000_000),
  EMBEDDED_DATABASE: z.enum(['file', 'memory']).default('file'),
  QUERY_MAX_DEPTH: positiveCount(8, 100),
  QUERY_MAX_ALIASES: count(15, 1_000),
  QUERY_MAX_TOKENS: positiveCount(1_000, 100_000),
  QUERY_MAX_DIRECTIVES: count(10, 1_000),
  QUERY_MAX_COST: positiveCount(5_000),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveCount(20, 10_000),
  WS_MAX_CONNECTIONS_PER_KEY: positiveCount(50, 100_000),
  RATE_LIMIT_WINDOW_SECONDS: positiveCount(60, 86_400),
  RATE_LIMIT_PAYMENTS: count(300),
  RATE_LIMIT_ADMIN: count(60),
  RATE_LIMIT_READS: count(1_200),
  REDIS_URL: optionalText.pipe(z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional()),
  RATE_LIMIT_REDIS_PREFIX: z.string().trim().min(1).max(100).default('kaspi-gw:rl'),
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  METRICS_CACHE_MS: milliseconds(5_000),
  ENCRYPTION_KEYS: optionalText,
  SHUTDOWN_TIMEOUT_MS: milliseconds(25_000),
  READINESS_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(2_000),
  WEBHOOK_RETRY_SCHEDULE_MS: retrySchedule(STANDARD_WEBHOOKS_SCHEDULE_MS),
  WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.2),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1).max(120_000).default(15_000),
  WEBHOOK_DISABLE_AFTER_MS: milliseconds(5 * 24 * 60 * 60_000),
  WEBHOOK_SECRET_OVERLAP_MS: milliseconds(24 * 60 * 60_000),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(1).default(1_000),
  WEBHOOK_CONCURRENCY: positiveCount(32, 1_000),
  WEBHOOK_CONCURRENCY_PER_ENDPOINT: positiveCount(4, 100),
});

export type Env = z.infer<typeof envSchema>;

export interface PollingCadence {
  fastIntervalMs: number;
  fastWindowMs: number;
  slowIntervalMs: number;
  minIntervalMs: number;
  lifetimeMs: number;
}

export type KaspiConnection =
  | { mode: 'sandbox'; autoAdvanceMs: number }
  | { mode: 'proxy'; baseUrl: string; accessToken: string }
  | {
      mode: 'direct';
      baseUrl: string;
      tls: { certFile?: string; keyFile?: string; pfxFile?: string; caFile?: string; passphrase?: string };
    };

export interface AppConfig {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  database: { url: string | null; poolMax: number; embedded: 'file' | 'memory' };
  dataDir: string;
  kaspi: KaspiConnection;
  kaspiTimeouts: { createMs: number; statusMs: number; refundMs: number };
  /**
   * CloudPayments' API; null: the gateway's own CloudPayments sandbox, which serves whenever Kaspi
   * runs in sandbox mode and `CLOUDPAYMENTS_API_URL` is not set.
   */
  cloudPayments: { apiUrl: string | null; timeoutMs: number };
  apiKeys: StaticApiKey[];
  /** How long a key looked up in the database is trusted before it is looked up again (and how often open WebSockets are re-checked). */
  apiKeyCacheMs: number;
  corsOrigins: string[];
  maxPaymentAmountTenge: number;
  logsMaxLimit: number;
  reconciler: {
    tickMs: number;
    batchSize: number;
    concurrency: number;
    cadence: PollingCadence;
    pendingRecoveryMs: number;
  };
  idempotencyWaitMs: number;
  eventPollMs: number;
  /** How far back a subscription's `since` may reach, and how many changes one replay sends at most. */
  eventReplay: { windowMs: number; maxEvents: number };
  /** Checked on every operation, over HTTP and WebSocket alike. */
  queryLimits: QueryLimits;
  websocket: { maxSubscriptionsPerConnection: number; maxConnectionsPerKey: number };
  rateLimits: RateLimitSettings;
  /** Redis shared by the instances (rate-limit budgets, outbox wake-ups); null for one instance on its own. */
  redisUrl: string | null;
  metrics: { token: string | null; cacheMs: number };
  /** The device-token key ring, active key first; null outside production means "keep one in DATA_DIR". */
  encryptionKeys: EncryptionKey[] | null;
  shutdownTimeoutMs: number;
  readinessTimeoutMs: number;
  webhooks: WebhookSettings;
}

export interface WebhookSettings {
  /** Delays before each attempt of a delivery; its length is the number of attempts. */
  retryScheduleMs: number[];
  /** Up to this share of each delay is added at random. */
  retryJitter: number;
  timeoutMs: number;
  /** An endpoint that has only failed for this long is turned off. */
  disableAfterMs: number;
  /** How long a rotated-out secret keeps signing beside the new one. */
  secretOverlapMs: number;
  pollMs: number;
  /** Attempts in flight on this instance, in all and per endpoint. */
  concurrency: number;
  concurrencyPerEndpoint: number;
}

export interface QueryLimits {
  depth: number;
  aliases: number;
  tokens: number;
  directives: number;
  cost: number;
}

/** Operations allowed per API key in each window, by class; 0 turns a class's limit off. */
export interface RateLimitSettings {
  windowSeconds: number;
  payments: number;
  admin: number;
  reads: number;
  /** Prefix of the budgets' keys in Redis. */
  redisPrefix: string;
}

export class ConfigError extends Error {}

/**
 * Parses and checks the environment once, at start. A bad value stops the start with a message
 * that names the variable; secrets are never echoed back.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const isProduction = env.NODE_ENV === 'production';
  const kaspi = resolveKaspiConnection(env);

  if (isProduction && kaspi.mode === 'sandbox') {
    throw new ConfigError(
      'KASPI_MODE: the Kaspi sandbox cannot be used with NODE_ENV=production; set PRODUCTION_API_URL and KASPI_ACCESS_TOKEN (proxy) or KASPI_BASE_URL and the client certificate (direct)',
    );
  }
  if (isProduction && env.API_KEYS.length === 0) {
    throw new ConfigError('API_KEYS: at least one API key is required with NODE_ENV=production');
  }
  let encryptionKeys: EncryptionKey[] | null = null;
  if (env.ENCRYPTION_KEYS) {
    try {
      encryptionKeys = parseEncryptionKeys(env.ENCRYPTION_KEYS);
    } catch (error) {
      throw new ConfigError(`ENCRYPTION_KEYS: ${(error as Error).message}`);
    }
  } else if (isProduction) {
    throw new ConfigError(
      'ENCRYPTION_KEYS: required with NODE_ENV=production, e.g. ENCRYPTION_KEYS=k1:<32 random bytes in base64> (openssl rand -base64 32)',
    );
  }

  return {
    env: env.NODE_ENV,
    isProduction,
    port: env.PORT,
    host: env.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    logLevel: env.LOG_LEVEL,
    database: { url: env.DATABASE_URL ?? null, poolMax: env.DATABASE_POOL_MAX, embedded: env.EMBEDDED_DATABASE },
    dataDir: path.resolve(env.DATA_DIR),
    kaspi,
    kaspiTimeouts: {
      createMs: env.KASPI_CREATE_TIMEOUT_MS,
      statusMs: env.KASPI_STATUS_TIMEOUT_MS,
      refundMs: env.KASPI_REFUND_TIMEOUT_MS,
    },
    cloudPayments: {
      apiUrl: env.CLOUDPAYMENTS_API_URL ?? (kaspi.mode === 'sandbox' ? null : DEFAULT_CLOUDPAYMENTS_API_URL),
      timeoutMs: env.CLOUDPAYMENTS_TIMEOUT_MS,
    },
    apiKeys: env.API_KEYS,
    apiKeyCacheMs: env.API_KEY_CACHE_MS,
    corsOrigins: env.CORS_ORIGINS,
    maxPaymentAmountTenge: env.MAX_PAYMENT_AMOUNT,
    logsMaxLimit: env.LOGS_MAX_LIMIT,
    reconciler: {
      tickMs: env.RECONCILE_TICK_MS,
      batchSize: env.RECONCILE_BATCH_SIZE,
      concurrency: env.RECONCILE_CONCURRENCY,
      cadence: {
        // Against the sandbox a newcomer should see a payment change within seconds, not 15 s.
        fastIntervalMs: env.POLL_FAST_INTERVAL_MS ?? (kaspi.mode === 'sandbox' ? 5_000 : 15_000),
        fastWindowMs: env.POLL_FAST_WINDOW_MS,
        slowIntervalMs: env.POLL_SLOW_INTERVAL_MS,
        minIntervalMs: env.POLL_MIN_INTERVAL_MS,
        lifetimeMs: env.PAYMENT_LIFETIME_MS,
      },
      pendingRecoveryMs: env.PENDING_RECOVERY_MS,
    },
    idempotencyWaitMs: env.IDEMPOTENCY_WAIT_MS,
    eventPollMs: env.EVENT_POLL_MS,
    eventReplay: { windowMs: env.EVENT_REPLAY_WINDOW_MS, maxEvents: env.EVENT_REPLAY_MAX_EVENTS },
    queryLimits: {
      depth: env.QUERY_MAX_DEPTH,
      aliases: env.QUERY_MAX_ALIASES,
      tokens: env.QUERY_MAX_TOKENS,
      directives: env.QUERY_MAX_DIRECTIVES,
      cost: env.QUERY_MAX_COST,
    },
    websocket: {
      maxSubscriptionsPerConnection: env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxConnectionsPerKey: env.WS_MAX_CONNECTIONS_PER_KEY,
    },
    rateLimits: {
      windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      payments: env.RATE_LIMIT_PAYMENTS,
      admin: env.RATE_LIMIT_ADMIN,
      reads: env.RATE_LIMIT_READS,
      redisPrefix: env.RATE_LIMIT_REDIS_PREFIX,
    },
    redisUrl: env.REDIS_URL ?? null,
    metrics: { token: env.METRICS_TOKEN ?? null, cacheMs: env.METRICS_CACHE_MS },
    encryptionKeys,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    readinessTimeoutMs: env.READINESS_TIMEOUT_MS,
    webhooks: {
      retryScheduleMs: env.WEBHOOK_RETRY_SCHEDULE_MS,
      retryJitter: env.WEBHOOK_RETRY_JITTER,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      disableAfterMs: env.WEBHOOK_DISABLE_AFTER_MS,
      secretOverlapMs: env.WEBHOOK_SECRET_OVERLAP_MS,
      pollMs: env.WEBHOOK_POLL_MS,
      concurrency: env.WEBHOOK_CONCURRENCY,
      concurrencyPerEndpoint: env.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
    },
  };
}

function resolveKaspiConnection(env: Env): KaspiConnection {
  const mode: KaspiMode =
    env.KASPI_MODE ??
    (env.PRODUCTION_API_URL ? 'proxy' : env.KASPI_CLIENT_CERT || env.KASPI_CLIENT_PFX ? 'direct' : 'sandbox');

  switch (mode) {
    case 'sandbox':
      return { mode, autoAdvanceMs: env.SANDBOX_AUTO_ADVANCE_MS };
    case 'proxy':
      if (!env.PRODUCTION_API_URL) throw new ConfigError('PRODUCTION_API_URL: required when KASPI_MODE=proxy');
      if (!env.KASPI_ACCESS_TOKEN) throw new ConfigError('KASPI_ACCESS_TOKEN: required when KASPI_MODE=proxy');
      return { mode, baseUrl: env.PRODUCTION_API_URL, accessToken: env.KASPI_ACCESS_TOKEN };
    case 'direct':
      if (env.KASPI_CLIENT_CERT && !env.KASPI_CLIENT_KEY) {
        throw new ConfigError('KASPI_CLIENT_KEY: required with KASPI_CLIENT_CERT');
      }
      return {
        mode,
        baseUrl: env.KASPI_BASE_URL ?? 'https://qrapi-cert-ip.kaspi.kz',
        tls: {
          certFile: env.KASPI_CLIENT_CERT,
          keyFile: env.KASPI_CLIENT_KEY,
          pfxFile: env.KASPI_CLIENT_PFX,
          caFile: env.KASPI_CA_CERT,
          passphrase: env.KASPI_CLIENT_PASSPHRASE,
        },
      };
  }
}
