import type { MikroORM } from '@mikro-orm/postgresql';
import type express from 'express';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from './config';
import { lockDataDir } from './db/data-dir-lock';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded-database';
import { migrate, openOrm } from './db/orm';
import { createLogger, type Logger } from './logger';
import { createKaspiProvider, type KaspiProviderSettings } from './providers/kaspi/kaspi.provider';
import { ProviderRegistry } from './providers/registry';
import { createKaspiSandbox, type KaspiSandbox } from './sandbox/kaspi-sandbox';
import { buildGatewaySchema } from './schema';
import { createServer } from './server';
import { createServices, type Services } from './services';

export const SANDBOX_PATH = '/sandbox/kaspi';

export interface Gateway {
  url: string;
  graphqlUrl: string;
  port: number;
  config: AppConfig;
  orm: MikroORM;
  services: Services;
  registry: ProviderRegistry;
  logger: Logger;
  /** The embedded Kaspi sandbox, in sandbox mode. */
  sandbox: KaspiSandbox | null;
  /** The admin key created for a newcomer on a first start outside production. */
  devAdminKey: { key: string; created: boolean } | null;
  stop(): Promise<void>;
}

/**
 * Starts the whole gateway: database (embedded unless DATABASE_URL is set), migrations, provider,
 * HTTP and WebSocket server, outbox and reconciler. `stop()` takes it down in the reverse order,
 * letting work in flight finish.
 */
export async function startGateway(config: AppConfig, options: { logger?: Logger } = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const cleanups: Array<() => Promise<void> | void> = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    let embedded: EmbeddedDatabase | null = null;
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const persistent = config.database.embedded === 'file';
      if (persistent) cleanups.push(lockDataDir(config.dataDir));
      embedded = await startEmbeddedDatabase({ dataDir: persistent ? config.dataDir : null });
      cleanups.push(() => embedded!.stop());
      databaseUrl = embedded.url;
    }
    const orm = await openOrm({ url: databaseUrl, poolMax: embedded ? 1 : config.database.poolMax });
    cleanups.push(() => orm.close());
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

    const registry = new ProviderRegistry();
    const services = createServices(orm.em, config, registry, logger);
    const schema = await buildGatewaySchema();

    let sandbox: KaspiSandbox | null = null;
    const mounts: Array<{ path: string; router: express.Router }> = [];
    if (config.kaspi.mode === 'sandbox') {
      sandbox = createKaspiSandbox({ autoAdvanceMs: config.kaspi.autoAdvanceMs });
      mounts.push({ path: SANDBOX_PATH, router: sandbox.router });
    }

    const server = await createServer({ config, orm, schema, services, registry, logger, mounts });
    await new Promise<void>((resolve, reject) => {
      server.httpServer.once('error', reject);
      server.httpServer.listen(config.port, config.host, () => resolve());
    });
    cleanups.push(() => server.close());
    const port = (server.httpServer.address() as AddressInfo).port;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

    const kaspi = createKaspiProvider(kaspiSettings(config, url));
    registry.register(kaspi);
    cleanups.push(() => kaspi.close());

    await services.events.start();
    cleanups.push(() => services.events.stop());
    services.reconciler.start();
    cleanups.push(() => services.reconciler.stop());

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
      sandbox,
      devAdminKey,
      stop: runCleanups,
    };
  } catch (error) {
    await runCleanups().catch(() => undefined);
    throw error;
  }
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
