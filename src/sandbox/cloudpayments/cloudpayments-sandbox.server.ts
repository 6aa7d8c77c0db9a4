import express from 'express';
import http from 'node:http';
import { listenSandbox } from '../sandbox-listen';
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
  const { url, close } = await listenSandbox(server, port, host, 'http');
  return { url, sandbox, close };
}
