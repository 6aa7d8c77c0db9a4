import { startCloudPaymentsSandbox } from './cloudpayments/cloudpayments-sandbox.server';
import { startKaspiSandbox } from './kaspi-sandbox.server';

function integerFromEnv(name: string, fallback: number | undefined): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number of 0 or more, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<void> {
  const host = process.env.SANDBOX_HOST?.trim() || '127.0.0.1';
  const port = integerFromEnv('SANDBOX_PORT', 8016);
  const autoAdvanceMs = integerFromEnv('SANDBOX_AUTO_ADVANCE_MS', undefined);
  const proxyAccessToken = process.env.SANDBOX_PROXY_ACCESS_TOKEN?.trim() || undefined;
  const controlToken = process.env.SANDBOX_CONTROL_TOKEN?.trim() || undefined;

  const running = await startKaspiSandbox({ host, port, autoAdvanceMs, proxyAccessToken, controlToken });
  const { options } = running.sandbox;
  const cloudPayments = await startCloudPaymentsSandbox({
    host,
    port: integerFromEnv('SANDBOX_CLOUDPAYMENTS_PORT', 8017),
    notificationUrl: process.env.SANDBOX_CLOUDPAYMENTS_NOTIFICATION_URL?.trim() || 'http://127.0.0.1:8015/notifications/cloudpayments',
    controlToken: running.sandbox.controlToken,
  });

  console.log(`Kaspi sandbox listening on ${running.url}`);
  console.log(`  direct (r3) base URL:  ${running.url}`);
  console.log(`  proxy base URL:        ${running.url}/proxy  (access_token=${options.proxyAccessToken})`);
  console.log(`  control:               ${running.url}/_control/state  (phones and device tokens whole with Authorization: Bearer ${running.sandbox.controlToken})`);
  console.log(`  auto-advance:          ${options.autoAdvanceMs > 0 ? `${options.autoAdvanceMs} ms` : 'off'}`);
  console.log(`CloudPayments sandbox listening on ${cloudPayments.url}  (CLOUDPAYMENTS_API_URL)`);
  console.log(`  notifications to:      ${cloudPayments.sandbox.options.notificationUrl}/{type}`);
  console.log(`  control:               ${cloudPayments.url}/_control/state  (Authorization: Bearer ${cloudPayments.sandbox.controlToken})`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`sandboxes stopping (${signal})`);
    Promise.all([running.close(), cloudPayments.close()]).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('Kaspi sandbox failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
