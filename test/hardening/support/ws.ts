import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { recordExchange } from '../../support/gateway';

export interface WsOutcome {
  data?: unknown;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Runs one operation over graphql-ws and resolves with its first result or its errors. */
export function runOverWebSocket(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer over the WebSocket to ${query.slice(0, 60)}`)), 10_000);
    const settle = (outcome: WsOutcome) => {
      clearTimeout(timer);
      recordExchange({ query, variables }, outcome);
      unsubscribe();
      resolve(outcome);
    };
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (value) => settle({ data: value.data, errors: (value.errors ?? []) as WsOutcome['errors'] }),
        error: (error) => settle({ errors: Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error) }] }),
        complete: () => undefined,
      },
    );
  });
}

/** Opens a bare WebSocket to the gateway, as a browser on `origin` would; resolves with the HTTP status that refused it, or 101. */
export function upgradeStatus(wsUrl: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', origin ? { headers: { Origin: origin } } : {});
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', (error) => {
      if (!(error as Error).message.includes('Unexpected server response')) reject(error);
    });
  });
}

/** Opens a graphql-ws connection with `key`; resolves with null once acknowledged, or with the code it was closed with. */
export function connectionCloseCode(wsUrl: string, key: string): Promise<{ socket: WebSocket; closeCode: number | null }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    let acknowledged = false;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } })));
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        acknowledged = true;
        resolve({ socket, closeCode: null });
      }
    });
    socket.on('close', (code) => {
      if (!acknowledged) resolve({ socket, closeCode: code });
    });
  });
}
