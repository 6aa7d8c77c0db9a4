import type { MikroORM } from '@mikro-orm/postgresql';
import type express from 'express';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ConfigError, type AppConfig } from './config';
import { bindKeyRing } from './crypto/encrypted-text.type';
import { keyRingFor, type KeyRing } from './crypto/key-ring';
import { missingKeyIds } from './crypto/rotate-sealed-columns';
import { lockDataDir } from './db/data-dir-lock';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded-database';
import { migrate, openOrm } from './db/orm';
import { createLogger, type Logger } from './logger';
import { instrumentProvider } from './metrics/instrumented-provider';
import { GatewayMetrics } from './metrics/metrics';
import { createKaspiProvider, type KaspiProviderSettings } from './providers/kaspi/kaspi.provider';
import { createNotificationRouter } from './notifications/notification.router';
import { createCloudPaymentsProvider } from './providers/cloudpayments/cloudpayments.provider';
import { ProviderRegistry } from './providers/registry';
import { createCloudPaymentsSandbox, type CloudPaymentsSandbox } from './sandbox/cloudpayments/cloudpayments-sandbox';
import { createKaspiSandbox, type KaspiSandbox } from './sandbox/kaspi-sandbox';
import { ADMIN_PATH, adminConsoleRouter } from './console/admin-console.router';
import { buildGatewaySchema } from './schema';
import { OperationRateLimiter } from './security/rate-limiter';
import { WebSocketGuard } from './security/websocket-guard';
import { createServer } from './server';
import { createServices, type Services } from './services';

export const SANDBOX_PATH = '/sandbox/kaspi';
export const CLOUDPAYMENTS_SANDBOX_PATH = '/sandbox/cloudpayments';
/** Where CloudPayments' notifications come in: `{NOTIFICATIONS_PATH}/cloudpayments/{type}`. */
export const NOTIFICATIONS_PATH = '/notifications';

export interface Gateway {
  url: string;
  graphqlUrl: string;
  port: number;
  config: AppConfig;
  orm: MikroORM;
  services: Services;
  registry: ProviderRegistry;
  logger: Logger;
  metrics: GatewayMetrics;
  /** The embedded Kaspi sandbox, in sandbox mode. */
  sandbox: KaspiSandbox | null;
  /** The embedded CloudPayments sandbox, when `CLOUDPAYMENTS_API_URL` is not set in sandbox mode. */
  cloudPaymentsSandbox: CloudPaymentsSandbox | null;
  /** The admin key created for a newcomer on a first start outside production. */
  devAdminKey: { key: string; created: boolean } | null;
  stop(): Promise<void>;
}

/**
 * Starts the whole gateway: database (embedded unless DATABASE_URL is set), migrations, provider,
 * HTTP and WebSocket server, outbox and reconciler.
 *
 * `stop()` takes it down in an order that loses no work: first the front stops taking new work and
 * answers what is in flight while the reconciler finishes its batch, both still able to reach the
 * provider and the database; then the outbox delivers what was committed; only then are the
 * provider, the rate limiter's Redis and the database closed.
 */
export async function startGateway(config: AppConfig, options: { logger?: Logger } = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  /** Resources, closed last and in reverse order of opening. */
  const resources: Array<() => Promise<void> | void> = [];
  const closeResources = async () => {
    for (const close of resources.reverse()) await close();
  };
  /** Work that must wind down while the resources are still open: the front, the reconciler, the outbox. */
  const stopWork: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | null = null;

  try {
    let embedded: EmbeddedDatabase | null = null;
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const persistent = config.database.embedded === 'file';
      if (persistent) resources.push(lockDataDir(config.dataDir));
      embedded = await startEmbeddedDatabase({ dataDir: persistent ? config.dataDir : null });
      resources.push(() => embedded!.stop());
      databaseUrl = embedded.url;
    }
    const orm = await openOrm({ url: databaseUrl, poolMax: embedded ? 1 : config.database.poolMax });
    resources.push(() => orm.close());
    const ring = keyRingFor(config);
    bindKeyRing(orm, ring);
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    await refuseMissingEncryptionKeys(orm, ring, config);
    if (!config.encryptionKeys && config.database.url) {
      logger.warn('ENCRYPTION_KEYS is not set: device tokens are sealed with a key kept in DATA_DIR; every other instance on this DATABASE_URL needs ENCRYPTION_KEYS set to it');
    }

    const registry = new ProviderRegistry();
    const services = createServices(orm.em, config, registry, logger);
    const schema = await buildGatewaySchema();
    const webSockets = new WebSocketGuard({
      corsOrigins: config.corsOrigins,
      isProduction: config.isProduction,
      maxConnectionsPerKey: config.websocket.maxConnectionsPerKey,
      maxSubscriptionsPerConnection: config.websocket.maxSubscriptionsPerConnection,
    });
    const metrics = new GatewayMetrics(
      {
        em: orm.em,
        pool: () => knexPool(orm),
        reconcilerLastTickAt: () => services.reconciler.lastTickAt,
        webSockets: () => webSockets.counts(),
        outbox: services.events,
        paymentReads: () => services.paymentReads.cacheFigures(),
      },
      { cacheMs: config.metrics.cacheMs, timeoutMs: config.readinessTimeoutMs },
      logger.child({ component: 'metrics' }),
    );
    services.webhooks.observe(metrics);
    const rateLimiter = await OperationRateLimiter.create(config.rateLimits, config.redisUrl, logger.child({ component: 'rate-limits' }));
    resources.push(() => rateLimiter.close());

    let sandbox: KaspiSandbox | null = null;
    const mounts: Array<{ path: string; router: express.Router }> = [{ path: ADMIN_PATH, router: adminConsoleRouter() }];
    if (config.kaspi.mode === 'sandbox') {
      sandbox = createKaspiSandbox({ autoAdvanceMs: config.kaspi.autoAdvanceMs });
      mounts.push({ path: SANDBOX_PATH, router: sandbox.router });
    }
    mounts.push({ path: NOTIFICATIONS_PATH, router: createNotificationRouter(orm, services.notifications, logger.child({ component: 'notifications' })) });
    let cloudPaymentsSandbox: CloudPaymentsSandbox | null = null;
    if (config.cloudPayments.apiUrl === null) {
      cloudPaymentsSandbox = createCloudPaymentsSandbox();
      mounts.push({ path: CLOUDPAYMENTS_SANDBOX_PATH, router: cloudPaymentsSandbox.router });
    }

    const server = await createServer({ config, orm, schema, services, registry, logger, metrics, rateLimiter, webSockets, mounts });
    let outboxStarted = false;
    stopWork.push(async () => {
      await Promise.all([server.close(), services.reconciler.stop(), services.webhooks.stop()]);
      if (outboxStarted) await services.events.stop();
    });
    await new Promise<void>((resolve, reject) => {
      server.httpServer.once('error', reject);
      server.httpServer.listen(config.port, config.host, () => resolve());
    });
    const port = (server.httpServer.address() as AddressInfo).port;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

    const kaspi = createKaspiProvider(kaspiSettings(config, url));
    resources.push(() => kaspi.close());
    registry.register(instrumentProvider(kaspi, metrics, logger.child({ component: 'provider' })));
    cloudPaymentsSandbox?.configure({ notificationUrl: `${url}${NOTIFICATIONS_PATH}/cloudpayments` });
    const cloudPayments = createCloudPaymentsProvider({
      baseUrl: config.cloudPayments.apiUrl ?? `${url}${CLOUDPAYMENTS_SANDBOX_PATH}`,
      timeouts: { createMs: config.cloudPayments.timeoutMs, statusMs: config.cloudPayments.timeoutMs, refundMs: config.cloudPayments.timeoutMs },
    });
    resources.push(() => cloudPayments.close());
    registry.register(instrumentProvider(cloudPayments, metrics, logger.child({ component: 'provider' })));

    await services.events.start();
    outboxStarted = true;
    services.reconciler.start();
    services.webhooks.start();

    const devAdminKey = config.isProduction ? null : await services.apiKeys.ensureDevAdminKey(config.dataDir);

    return {
      url,
      graphqlUrl: `${url}/graphql`,
      port,
      config,
      orm,
      services,
      registry,
      logger,
      metrics,
      sandbox,
      cloudPaymentsSandbox,
      devAdminKey,
      stop() {
        stopping ??= (async () => {
          try {
            for (const stop of stopWork.splice(0)) await stop();
          } finally {
            await closeResources();
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    for (const stop of stopWork.splice(0)) await stop().catch(() => undefined);
    await closeResources().catch(() => undefined);
    throw error;
  }
}

/**
 * An instance without a key that sealed stored device tokens would start, then fail the first
 * payment that needs one: it must not start at all.
 */
async function refuseMissingEncryptionKeys(orm: MikroORM, ring: KeyRing, config: AppConfig): Promise<void> {
  const missing = await missingKeyIds(orm, ring);
  if (missing.length === 0) return;
  const names = missing.map((id) => `"${id}"`).join(', ');
  const lines = [
    `ENCRYPTION_KEYS: the database holds device tokens sealed with ${missing.length === 1 ? 'key' : 'keys'} ${names}, which this instance does not have (it has ${ring.keyIds.map((id) => `"${id}"`).join(', ')}).`,
    'Every instance on one database must run with the same ENCRYPTION_KEYS, including every key that sealed a stored value.',
  ];
  if (!config.encryptionKeys && config.database.url) {
    lines.push(
      `Without ENCRYPTION_KEYS, an instance keeps a key of its own in its DATA_DIR (${config.dataDir}/encryption-keys), which no other instance finds: set the same ENCRYPTION_KEYS on every instance that shares this DATABASE_URL (copy the line from the encryption-keys file of the instance that made it).`,
    );
  }
  throw new ConfigError(lines.join('\n'));
}

/** The knex (tarn) pool behind the ORM, once it exists. */
function knexPool(orm: MikroORM) {
  const pool = (orm.em.getConnection().getKnex().client as { pool?: TarnPool }).pool;
  if (!pool) return null;
  return {
    used: pool.numUsed(),
    free: pool.numFree(),
    pendingAcquires: pool.numPendingAcquires(),
    pendingCreates: pool.numPendingCreates(),
    max: pool.max,
  };
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
}

function kaspiSettings(config: AppConfig, ownUrl: string): KaspiProviderSettings {
  const timeouts = {
    createMs: config.kaspiTimeouts.createMs,
    statusMs: config.kaspiTimeouts.statusMs,
    refundMs: config.kaspiTimeouts.refundMs,
  };
  switch (config.kaspi.mode) {
    case 'sandbox':
      return { mode: 'direct', baseUrl: `${ownUrl}${SANDBOX_PATH}`, timeouts };
    case 'proxy':
      return { mode: 'proxy', baseUrl: config.kaspi.baseUrl, accessToken: config.kaspi.accessToken, timeouts };
    case 'direct': {
      const read = (file?: string) => (file ? fs.readFileSync(file) : undefined);
      const { tls } = config.kaspi;
      return {
        mode: 'direct',
        baseUrl: config.kaspi.baseUrl,
        tls: {
          cert: read(tls.certFile),
          key: read(tls.keyFile),
          pfx: read(tls.pfxFile),
          ca: read(tls.caFile),
          passphrase: tls.passphrase,
        },
        timeouts,
      };
    }
  }
}
