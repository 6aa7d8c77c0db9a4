import 'reflect-metadata';
import { startGateway } from './app';
import { ConfigError, loadConfig } from './config';
import { DataDirLockedError } from './db/data-dir-lock';

const SHUTDOWN_MARGIN_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const gateway = await startGateway(config);
  const { logger } = gateway;
  logger.info(
    { url: gateway.graphqlUrl, kaspiMode: config.kaspi.mode, database: config.database.url ? 'postgresql' : 'embedded' },
    'gateway started',
  );
  if (gateway.devAdminKey) {
    const { key, created } = gateway.devAdminKey;
    process.stdout.write(
      [
        '',
        `  Kaspi payment gateway on ${gateway.graphqlUrl} (Kaspi: ${config.kaspi.mode}${config.kaspi.mode === 'sandbox' ? ` at ${gateway.url}/sandbox/kaspi` : ''})`,
        `  CloudPayments: ${gateway.cloudPaymentsSandbox ? `sandbox at ${gateway.url}/sandbox/cloudpayments` : config.cloudPayments.apiUrl}; notifications at ${gateway.url}/notifications/cloudpayments/{type}`,
        `  Dev admin API key${created ? ' (new, kept in DATA_DIR)' : ''}: ${key}`,
        `  Try: curl -s ${gateway.graphqlUrl} -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -d '{"query":"{ configs { shopId organizationBin isActive } }"}'`,
        '',
      ].join('\n') + '\n',
    );
  }

  let stopping = false;
  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down: finishing the work in flight');
    // Requests get SHUTDOWN_TIMEOUT_MS; past that and a margin for the rest, leave anyway.
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + SHUTDOWN_MARGIN_MS);
    deadline.unref();
    try {
      await gateway.stop();
      logger.info('stopped');
      process.exit(exitCode);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  // A promise nobody awaited failed: a bug. Stop taking work and leave cleanly rather than run on unsure.
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    void shutdown('unhandledRejection', 1);
  });
}

main().catch((error) => {
  if (error instanceof DataDirLockedError) {
    console.error(error.message);
  } else {
    console.error('gateway failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
