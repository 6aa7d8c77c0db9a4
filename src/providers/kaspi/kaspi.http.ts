import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import axios, { isAxiosError, type AxiosInstance } from 'axios';
import { describeTransportFailure } from '../provider-call';
import {
  KaspiConfigurationError,
  noUsableAnswer,
  redact,
  type KaspiCallFacts,
  type KaspiTransport,
  type KaspiOperation,
} from './kaspi.errors';

/** Client certificate material for mutual TLS with Kaspi (PEM text or buffers, or a PKCS#12 bundle). */
export interface KaspiTlsSettings {
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  pfx?: string | Buffer;
  /** Extra trusted CAs for Kaspi's server certificate (Kaspi's test host, a sandbox). */
  ca?: string | Buffer | (string | Buffer)[];
}

export interface KaspiHttpOptions {
  mode: KaspiTransport;
  tls?: KaspiTlsSettings;
  connectMs: number;
  /** Values that must never appear in an error: the access token, the passphrase. */
  secrets: readonly string[];
}

export interface KaspiHttpRequest {
  operation: KaspiOperation;
  requestId: string;
  method: 'GET' | 'POST';
  url: URL;
  /** JSON text, already serialised. */
  body?: string;
  timeoutMs: number;
  /** This call's own secrets (device token, phone), masked in anything kept from the answer. */
  secrets: readonly (string | null | undefined)[];
}

export interface KaspiHttpAnswer {
  httpStatus: number;
  bodyText: string;
  facts: KaspiCallFacts;
}

/** Nothing left this process when a call fails with one of these. */
const NOTHING_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'ERR_INVALID_URL',
]);

/**
 * The TLS layer turned the connection away (certificate checks, handshake alerts): no HTTP request
 * was processed on the other side.
 */
const TLS_FAILURE_CODE = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

const CONNECT_TIMEOUT_CODE = 'KASPI_CONNECT_TIMEOUT';
const CONNECTED = Symbol('kaspi.connected');
type TrackedSocket = Duplex & { [CONNECTED]?: boolean };

/**
 * Marks a new socket once it is connected (TLS: once the handshake is done), and gives up on it if
 * that takes longer than `connectMs`. The mark is how a failed call tells "never sent" from "sent
 * and then lost", which decides between unavailable and unknown outcome.
 */
function trackConnection(socket: Duplex | null | undefined, readyEvent: string, connectMs: number): void {
  if (!socket) return;
  const timer = setTimeout(() => {
    const error: NodeJS.ErrnoException = new Error(`no connection within ${connectMs} ms`);
    error.code = CONNECT_TIMEOUT_CODE;
    socket.destroy(error);
  }, connectMs);
  timer.unref();
  socket.once(readyEvent, () => {
    clearTimeout(timer);
    (socket as TrackedSocket)[CONNECTED] = true;
  });
  socket.once('close', () => clearTimeout(timer));
}

/** Has every socket the agent opens tracked by {@link trackConnection}; plain and TLS agents alike. */
function trackingConnections<A extends http.Agent>(agent: A, readyEvent: 'connect' | 'secureConnect', connectMs: number): A {
  const open = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = open(options, callback);
    trackConnection(socket, readyEvent, connectMs);
    return socket;
  };
  return agent;
}

/**
 * Idle pooled sockets are dropped after this long: below the 5 s keep-alive of a Node server and far
 * below nginx's 75 s, so that a request is rarely written onto a socket the server is closing (which
 * would turn a create into an unknown outcome).
 */
const IDLE_SOCKET_MS = 4_000;
const MAX_ANSWER_BYTES = 1_000_000;

/**
 * The wire under both Kaspi clients: keep-alive agents (mutual TLS when configured), an explicit
 * deadline on every call, a fresh `X-Request-ID`, and transport failures turned into provider errors.
 * Answers come back as raw text: the clients parse and validate them.
 */
export class KaspiHttp {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly axios: AxiosInstance;

  constructor(private readonly options: KaspiHttpOptions) {
    const pool = { keepAlive: true, keepAliveMsecs: 1_000, maxFreeSockets: 32, timeout: IDLE_SOCKET_MS };
    this.httpAgent = trackingConnections(new http.Agent(pool), 'connect', options.connectMs);
    this.httpsAgent = trackingConnections(
      new https.Agent({ ...pool, secureContext: buildSecureContext(options.tls, options.secrets) }),
      'secureConnect',
      options.connectMs,
    );
    this.axios = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // An environment proxy would see (plain HTTP) or break (mutual TLS) these calls.
      proxy: false,
      // A redirect would replay the proxy's query string, access token included, to another URL.
      maxRedirects: 0,
      maxContentLength: MAX_ANSWER_BYTES,
      responseType: 'text',
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
  }

  /**
   * Sends one request and returns whatever HTTP answer came back.
   * @throws ProviderUnavailableError or ProviderOutcomeUnknownError when no answer came back.
   */
  async send(request: KaspiHttpRequest): Promise<KaspiHttpAnswer> {
    const upstreamRequestId = randomUUID();
    const base = {
      mode: this.options.mode,
      operation: request.operation,
      method: request.method,
      path: request.url.pathname,
      upstreamRequestId,
      requestId: request.requestId,
    };
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, request.timeoutMs);
    const started = performance.now();
    try {
      const response = await this.axios.request<unknown>({
        method: request.method,
        url: request.url.toString(),
        data: request.body,
        headers: {
          Accept: 'application/json',
          'X-Request-ID': upstreamRequestId,
          ...(request.body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
        },
        signal: deadline.signal,
      });
      return {
        httpStatus: response.status,
        bodyText: typeof response.data === 'string' ? response.data : '',
        facts: {
          ...base,
          httpStatus: response.status,
          transportCode: null,
          upstreamMessage: null,
          reachedUpstream: true,
          timedOut: false,
          elapsedMs: Math.round(performance.now() - started),
        },
      };
    } catch (error) {
      const transportCode = errorCode(error);
      const facts: KaspiCallFacts = {
        ...base,
        httpStatus: null,
        transportCode: timedOut ? 'TIMEOUT' : transportCode,
        upstreamMessage: null,
        reachedUpstream: reachedUpstream(error, transportCode),
        timedOut,
        elapsedMs: Math.round(performance.now() - started),
      };
      const reason = timedOut
        ? `timed out after ${request.timeoutMs} ms`
        : redact(describeTransportFailure(transportCode, kaspiTransportWords), [...this.options.secrets, ...request.secrets]);
      throw noUsableAnswer(facts, reason);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes pooled connections; for shutdown and tests. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function errorCode(error: unknown): string | null {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return null;
}

/** Whether the request may have reached the server: only a connected socket could have carried it. */
function reachedUpstream(error: unknown, code: string | null): boolean {
  if (code !== null && (NOTHING_SENT_CODES.has(code) || code === CONNECT_TIMEOUT_CODE || TLS_FAILURE_CODE.test(code))) {
    return false;
  }
  if (!isAxiosError(error)) return false;
  const request: unknown = error.request;
  if (!(request instanceof http.ClientRequest)) return false;
  const socket = request.socket as TrackedSocket | null;
  return socket?.[CONNECTED] === true;
}

/** Kaspi's own wording, for the codes its transport tells apart (connect timeout, TLS, unreadable answer). */
function kaspiTransportWords(code: string): string | undefined {
  switch (code) {
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return `the host name could not be resolved (${code})`;
    case CONNECT_TIMEOUT_CODE:
      return 'no connection could be made in time';
    case 'ECONNRESET':
      return 'the connection was reset (ECONNRESET)';
    case 'ERR_BAD_RESPONSE':
      return 'the answer could not be read (ERR_BAD_RESPONSE)';
    default:
      return TLS_FAILURE_CODE.test(code) ? `the TLS connection failed (${code})` : undefined;
  }
}

/**
 * Builds the TLS context once, at start-up: a wrong passphrase or a broken certificate should stop the
 * gateway from starting, not fail the first payment.
 */
function buildSecureContext(settings: KaspiTlsSettings | undefined, secrets: readonly string[]): tls.SecureContext {
  try {
    return tls.createSecureContext({
      cert: settings?.cert,
      key: settings?.key,
      passphrase: settings?.passphrase,
      pfx: settings?.pfx,
      ca: settings?.ca,
    });
  } catch (error) {
    const code = errorCode(error);
    const detail = error instanceof Error ? redact(error.message, secrets) : 'unknown error';
    throw new KaspiConfigurationError(
      `the Kaspi client certificate could not be loaded${code ? ` (${code})` : ''}: ${detail}`,
    );
  }
}

/** Appends a path to the base URL, which may itself end in a path, without doubling slashes. */
export function joinUrl(base: URL, path: string): URL {
  const url = new URL(base.toString());
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return url;
}

/** The phone as sent and without its country digit, in case an answer echoes either. */
export function phoneForms(phone: string): string[] {
  return phone.length > 10 ? [phone, phone.slice(1)] : [phone];
}
