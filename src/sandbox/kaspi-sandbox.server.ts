import express from 'express';
import http from 'node:http';
import https from 'node:https';
import { listenSandbox } from './sandbox-listen';
import { createKaspiSandbox, type KaspiSandbox } from './kaspi-sandbox';
import type { KaspiSandboxOptions } from './kaspi-sandbox.types';

export interface SandboxTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** The CA that signs the client certificates the r3 API accepts. */
  ca: string | Buffer;
}

export interface StartKaspiSandboxOptions extends KaspiSandboxOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Serve HTTPS and ask for a client certificate; r3 calls without one get StatusCode −10000. */
  tls?: SandboxTlsOptions;
  /** Shows phone numbers and device tokens whole over the control API; a random one by default. */
  controlToken?: string;
}

export interface RunningKaspiSandbox {
  /** The base URL, e.g. `http://127.0.0.1:41234`; r3 lives under `/r3`, the proxy under `/proxy`. */
  url: string;
  sandbox: KaspiSandbox;
  /** Stops listening and closes every open connection, keep-alive ones included. */
  close(): Promise<void>;
}

/**
 * Serves a Kaspi sandbox on its own port, over HTTP or, with `tls`, over HTTPS with client
 * certificates requested but checked by the r3 emulation itself, as Kaspi answers −10000 rather
 * than failing the handshake.
 *
 * @example
 * const { url, sandbox, close } = await startKaspiSandbox({ autoAdvanceMs: 300 });
 */
export async function startKaspiSandbox(options: StartKaspiSandboxOptions = {}): Promise<RunningKaspiSandbox> {
  const { port = 0, host = '127.0.0.1', tls, controlToken, ...sandboxOptions } = options;
  const sandbox = createKaspiSandbox(
    { ...sandboxOptions, requireClientCertificate: sandboxOptions.requireClientCertificate ?? tls !== undefined },
    controlToken,
  );

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(sandbox.router);

  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false }, app)
    : http.createServer(app);

  const { url, close } = await listenSandbox(server, port, host, tls ? 'https' : 'http');

  return {
    url,
    sandbox,
    close,
  };
}
