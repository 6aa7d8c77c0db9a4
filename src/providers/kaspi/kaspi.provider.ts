import { parseProviderBaseUrl } from '../provider-values';
import { KaspiDirectProvider } from './kaspi-direct.provider';
import { KaspiProxyProvider } from './kaspi-proxy.provider';
import { KaspiConfigurationError } from './kaspi.errors';
import type { KaspiTlsSettings } from './kaspi.http';

export type { KaspiTlsSettings } from './kaspi.http';
export { KaspiDirectProvider } from './kaspi-direct.provider';
export { KaspiProxyProvider } from './kaspi-proxy.provider';

/** Deadlines for the upstream calls, in milliseconds. Every call has one. */
export interface KaspiTimeouts {
  /** `remote/create` (proxy `create/`); also used for `remote/cancel`. */
  createMs: number;
  /** `payment/status` (proxy `status/`); also used for `payment/details`. */
  statusMs: number;
  /** `payment/return` (proxy `refund/`). */
  refundMs: number;
  /** How long to wait for a new connection (TLS handshake included); a call that never connected sent nothing. */
  connectMs?: number;
}

export const DEFAULT_KASPI_TIMEOUTS: Readonly<Required<KaspiTimeouts>> = Object.freeze({
  createMs: 15_000,
  statusMs: 10_000,
  refundMs: 15_000,
  connectMs: 5_000,
});

/** Through the merchant's proxy (`PRODUCTION_API_URL` + `KASPI_ACCESS_TOKEN`): create, status and refund only. */
export interface KaspiProxySettings {
  mode: 'proxy';
  /** `PRODUCTION_API_URL`; calls go to `{baseUrl}/create/`, `/status/`, `/refund/`. */
  baseUrl: string;
  accessToken: string;
  timeouts?: Partial<KaspiTimeouts>;
}

/** Straight to Kaspi's r3 API over mutual TLS, e.g. `https://qrapi-cert-ip.kaspi.kz`. */
export interface KaspiDirectSettings {
  mode: 'direct';
  baseUrl: string;
  /** Optional so that plain HTTP to a sandbox works; Kaspi itself answers −10000 without a certificate. */
  tls?: KaspiTlsSettings;
  timeouts?: Partial<KaspiTimeouts>;
}

export type KaspiProviderSettings = KaspiProxySettings | KaspiDirectSettings;

export type ResolvedKaspiTimeouts = Required<KaspiTimeouts>;

/**
 * Kaspi Pay, reached either directly over mutual TLS or through the merchant's proxy: one provider
 * per way. Neither retries on its own. Both throw only the provider errors of `../provider`: a
 * rejection carries Kaspi's code as `providerCode` ("-1501", "HTTP_401"), −999 is unavailable with
 * code "-999", and a create or refund that broke off after it was sent is an unknown outcome. Each
 * error's `cause` is a {@link KaspiCallFailure} with the call's facts (path, X-Request-ID, HTTP
 * status, Kaspi's message) and no secret.
 */
export type KaspiProvider = KaspiDirectProvider | KaspiProxyProvider;

/**
 * Builds the Kaspi provider for its mode, once, at start-up.
 * @throws KaspiConfigurationError when the settings cannot work (bad URL, empty token, unreadable certificate).
 *
 * @example
 * const kaspi = createKaspiProvider({ mode: 'proxy', baseUrl: env.PRODUCTION_API_URL, accessToken: env.KASPI_ACCESS_TOKEN });
 * const state = await kaspi.createPayment({ requestId, routing, amount: 10_050, phone: '77015211545' });
 */
export function createKaspiProvider(settings: KaspiDirectSettings): KaspiDirectProvider;
export function createKaspiProvider(settings: KaspiProxySettings): KaspiProxyProvider;
export function createKaspiProvider(settings: KaspiProviderSettings): KaspiProvider;
export function createKaspiProvider(settings: KaspiProviderSettings): KaspiProvider {
  const baseUrl = parseBaseUrl(settings.baseUrl);
  const timeouts = resolveTimeouts(settings.timeouts);
  if (settings.mode === 'direct') return new KaspiDirectProvider({ baseUrl, tls: settings.tls, timeouts });
  return new KaspiProxyProvider({ baseUrl, accessToken: settings.accessToken, timeouts });
}

function parseBaseUrl(baseUrl: string): URL {
  return parseProviderBaseUrl(baseUrl, 'the Kaspi base URL', (message) => new KaspiConfigurationError(message));
}

function resolveTimeouts(timeouts: Partial<KaspiTimeouts> | undefined): ResolvedKaspiTimeouts {
  const resolved = { ...DEFAULT_KASPI_TIMEOUTS };
  for (const key of Object.keys(DEFAULT_KASPI_TIMEOUTS) as (keyof KaspiTimeouts)[]) {
    const value = timeouts?.[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0 || value > 2_147_483_647) {
      throw new KaspiConfigurationError(`the Kaspi timeout ${key} must be a positive whole number of milliseconds`);
    }
    resolved[key] = value;
  }
  return resolved;
}
