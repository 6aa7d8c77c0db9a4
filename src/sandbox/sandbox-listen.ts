import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ListeningSandbox {
  /** The base URL, e.g. `http://127.0.0.1:41234`; an IPv6 host stands in brackets. */
  url: string;
  /** Stops listening and drops kept-alive connections, so that a teardown never waits on an idle socket. */
  close(): Promise<void>;
}

/** Starts a sandbox's server on the port and host (port 0: any free one) and says where it listens. */
export async function listenSandbox(
  server: http.Server | https.Server,
  port: number,
  host: string,
  scheme: 'http' | 'https',
): Promise<ListeningSandbox> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${scheme}://${hostInUrl}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
