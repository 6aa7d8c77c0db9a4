import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { describeTransportFailure } from '../provider-call';
import { noUsableAnswer, type CloudPaymentsCallFacts, type CloudPaymentsOperation } from './cloudpayments.errors';

/** The site's credentials: HTTP Basic with the Public ID as login and the API secret as password. */
export interface CloudPaymentsCredentials {
  publicId: string;
  apiSecret: string;
}

export interface CloudPaymentsHttpRequest {
  operation: CloudPaymentsOperation;
  /** Our request id, for the facts of a failure. */
  requestId: string;
  /** Sent as `X-Request-ID`: our operation's id, so that a repeat is answered from CloudPayments' memory. */
  operationId: string;
  url: URL;
  body: Record<string, unknown>;
  credentials: CloudPaymentsCredentials;
  timeoutMs: number;
}

export interface CloudPaymentsHttpAnswer {
  httpStatus: number;
  bodyText: string;
  facts: CloudPaymentsCallFacts;
}

/** Nothing left this process when a call fails with one of these. */
const NOTHING_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const MAX_ANSWER_BYTES = 1_000_000;
/** Below a Node server's 5 s keep-alive, so a request is rarely written onto a socket being closed. */
const IDLE_SOCKET_MS = 4_000;

/**
 * The wire under the CloudPayments client: keep-alive agents, a deadline on every call, and a
 * failure that says whether the request could have reached CloudPayments (a connected socket) or
 * certainly did not, which decides between "unavailable" and "unknown outcome".
 */
export class CloudPaymentsHttp {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxFreeSockets: 32, timeout: IDLE_SOCKET_MS }),
    'https:': new https.Agent({ keepAlive: true, maxFreeSockets: 32, timeout: IDLE_SOCKET_MS }),
  };

  /**
   * Sends one POST with a JSON body and returns whatever HTTP answer came back.
   * @throws ProviderUnavailableError or ProviderOutcomeUnknownError when no answer came back.
   */
  send(request: CloudPaymentsHttpRequest): Promise<CloudPaymentsHttpAnswer> {
    const started = performance.now();
    const body = JSON.stringify(request.body);
    const base = {
      operation: request.operation,
      path: request.url.pathname,
      upstreamRequestId: request.operationId,
      requestId: request.requestId,
      upstreamMessage: null,
    };
    const authorization = `Basic ${Buffer.from(`${request.credentials.publicId}:${request.credentials.apiSecret}`).toString('base64')}`;
    const transport = request.url.protocol === 'https:' ? https : http;
    const agent = this.agents[request.url.protocol as 'http:' | 'https:'];

    return new Promise<CloudPaymentsHttpAnswer>((resolve, reject) => {
      let connected = false;
      let timedOut = false;
      const fail = (code: string | null, reason: string) => {
        const facts: CloudPaymentsCallFacts = {
          ...base,
          httpStatus: null,
          transportCode: timedOut ? 'TIMEOUT' : code,
          reachedUpstream: connected && !(code !== null && NOTHING_SENT_CODES.has(code)),
          elapsedMs: Math.round(performance.now() - started),
        };
        reject(noUsableAnswer(facts, reason));
      };
      const req = transport.request(
        request.url,
        {
          method: 'POST',
          agent,
          headers: {
            Accept: 'application/json',
            Authorization: authorization,
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': Buffer.byteLength(body),
            'X-Request-ID': request.operationId,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              req.destroy(Object.assign(new Error('answer too large'), { code: 'ERR_ANSWER_TOO_LARGE' }));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            clearTimeout(timer);
            const httpStatus = res.statusCode ?? 0;
            resolve({
              httpStatus,
              bodyText: Buffer.concat(chunks).toString('utf8'),
              facts: { ...base, httpStatus, transportCode: null, reachedUpstream: true, elapsedMs: Math.round(performance.now() - started) },
            });
          });
          res.on('error', () => undefined);
        },
      );
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
      }, request.timeoutMs);
      req.on('socket', (socket: Socket) => {
        // A pooled socket is connected already; a new one counts once its connection is up.
        if (!socket.connecting && !socket.destroyed) connected = true;
        else socket.once(request.url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const code = typeof error.code === 'string' ? error.code : null;
        fail(code, timedOut ? `timed out after ${request.timeoutMs} ms` : describeTransportFailure(code, cloudPaymentsTransportWords));
      });
      req.end(body);
    });
  }

  /** Closes pooled connections; for shutdown and tests. */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}

/** CloudPayments' own wording: a reset and a broken pipe both mean the connection was dropped. */
function cloudPaymentsTransportWords(code: string): string | undefined {
  return code === 'ECONNRESET' || code === 'EPIPE' ? `the connection was dropped (${code})` : undefined;
}
