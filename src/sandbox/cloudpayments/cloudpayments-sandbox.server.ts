import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCloudPaymentsSandbox, type CloudPaymentsSandbox } from './cloudpayments-sandbox';
import type { CloudPaymentsSandboxOptions } from './cloudpayments-sandbox.types';

export interface RunningCloudPaymentsSandbox {
  /** The API base URL, e.g. `http://127.0.0.1:41234`: what `CLOUDPAYMENTS_API_URL` would be. */
  url: string;
  sandbox: CloudPaymentsSandbox;
  close(): Promise<void>;
}

/**
 * Serves a CloudPayments sandbox on its own loopback port.
 *
 * @example
 * const { url, sandbox, close } = await startCloudPaymentsSandbox({ notificationUrl: null });
 */
export async function startCloudPaymentsSandbox(
  options: CloudPaymentsSandboxOptions & { port?: number; host?: string; controlToken?: string } = {},
): Promise<RunningCloudPaymentsSandbox> {
  const { port = 0, host = '127.0.0.1', controlToken, ...sandboxOptions } = options;
  const sandbox = createCloudPaymentsSandbox(sandboxOptions, controlToken);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(sandbox.router);
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    sandbox,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
