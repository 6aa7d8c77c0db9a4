import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  path: string;
  webhookId: string;
  timestamp: string;
  signature: string;
  body: any;
  /** Whether the standardwebhooks library accepted it with each of the receiver's secrets, in order. */
  verifiedWith: boolean[];
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Secrets the receiver verifies with; a request is valid when any of them accepts it. */
  secrets: string[];
  /** How to answer, by path; 200 by default. */
  answer: (path: string, index: number) => { status: number; headers?: Record<string, string>; after?: Promise<void> };
  /** Requests being answered right now, and the most there ever were at once, by path. */
  open: Map<string, number>;
  mostOpen: Map<string, number>;
  /** The most requests ever open at once, on every path together. */
  mostOpenInAll: number;
  waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/**
 * A merchant's receiver on loopback, as a merchant would write it: every request is verified with
 * the standardwebhooks library before its body is believed.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const waiters: Array<() => void> = [];
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    secrets: [],
    answer: () => ({ status: 200 }),
    open: new Map(),
    mostOpen: new Map(),
    mostOpenInAll: 0,
    async waitFor(predicate, timeoutMs = 15_000, what = 'webhooks') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.received)) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(receiver.received.map((r) => [r.path, r.webhookId, r.body?.type, r.body?.data?.status]))}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return receiver.received;
    },
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      const verifiedWith = receiver.secrets.map((secret) => {
        try {
          new Webhook(secret).verify(raw, headers);
          return true;
        } catch {
          return false;
        }
      });
      const path = req.url ?? '/';
      const index = receiver.received.length;
      const open = (receiver.open.get(path) ?? 0) + 1;
      receiver.open.set(path, open);
      receiver.mostOpen.set(path, Math.max(open, receiver.mostOpen.get(path) ?? 0));
      const openInAll = [...receiver.open.values()].reduce((sum, count) => sum + count, 0);
      receiver.mostOpenInAll = Math.max(openInAll, receiver.mostOpenInAll);
      receiver.received.push({
        path,
        webhookId: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        body: JSON.parse(raw),
        verifiedWith,
      });
      const { status, headers: answerHeaders, after } = receiver.answer(path, index);
      waiters.splice(0).forEach((wake) => wake());
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        receiver.open.set(path, (receiver.open.get(path) ?? 1) - 1);
      };
      // A sender that gave up (its timeout) no longer holds the request open.
      res.once('close', close);
      void (after ?? Promise.resolve()).then(() => {
        close();
        if (res.destroyed) return;
        res.writeHead(status, answerHeaders ?? {});
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}
