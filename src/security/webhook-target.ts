import dns from 'node:dns';
import net from 'node:net';

/**
 * Where the gateway may send a webhook. In production: https only, and never to an address inside
 * our own networks (loopback, private, link-local, cloud metadata, ...), or a webhook could be
 * aimed at the gateway's neighbours (SSRF). Outside production, plain http to loopback is allowed
 * as well, so that a newcomer can try webhooks with a receiver on their own machine.
 */
export type WebhookTargetPolicy = 'production' | 'development';

export class UnsafeWebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeWebhookTargetError';
  }
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Addresses no webhook may reach, loopback included (allowed separately outside production). */
const INTERNAL = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT; also Alibaba Cloud's metadata service
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local; also the AWS, GCP and Azure metadata service
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64: can carry any IPv4 address, internal ones included
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local; also AWS's IPv6 metadata service fd00:ec2::254
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(prefix, bits, 'ipv6');
}

/** An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1], family: 'ipv4' };
  return { address, family: net.isIPv6(address) ? 'ipv6' : 'ipv4' };
}

export function isLoopbackAddress(address: string): boolean {
  const ip = unmapped(address);
  return LOOPBACK.check(ip.address, ip.family);
}

export function isInternalAddress(address: string): boolean {
  const ip = unmapped(address);
  return INTERNAL.check(ip.address, ip.family);
}

/**
 * Refuses an address the policy does not allow for a URL of this scheme.
 * @throws UnsafeWebhookTargetError
 */
export function checkTargetAddress(address: string, protocol: string, policy: WebhookTargetPolicy): void {
  const loopback = isLoopbackAddress(address);
  if (policy === 'development' && loopback) return;
  if (protocol === 'http:') throw new UnsafeWebhookTargetError('plain http is only allowed to loopback, outside production');
  if (isInternalAddress(address)) {
    throw new UnsafeWebhookTargetError(`the URL leads to an internal address (${address}): loopback, private, link-local and metadata addresses are refused`);
  }
}

/**
 * Checks what can be checked without the network: an absolute http(s) URL without credentials,
 * https in production, and, when the host is an IP address, that address.
 * @throws UnsafeWebhookTargetError
 */
export function parseWebhookUrl(text: string, policy: WebhookTargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UnsafeWebhookTargetError('url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnsafeWebhookTargetError('url must be an https URL');
  if (policy === 'production' && url.protocol !== 'https:') throw new UnsafeWebhookTargetError('url must be an https URL in production');
  if (url.username || url.password) throw new UnsafeWebhookTargetError('url must not carry credentials');
  const host = hostOf(url);
  if (net.isIP(host)) checkTargetAddress(host, url.protocol, policy);
  return url;
}

/** The URL's host as an address or a name, without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export type AddressLookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemLookup: AddressLookup = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * The whole check, names resolved: every address the name resolves to must be allowed (an
 * attacker's name may resolve to one public and one internal address).
 * @throws UnsafeWebhookTargetError
 */
export async function checkWebhookUrl(text: string, policy: WebhookTargetPolicy, lookup: AddressLookup = systemLookup): Promise<URL> {
  const url = parseWebhookUrl(text, policy);
  const host = hostOf(url);
  if (net.isIP(host)) return url;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(host);
  } catch {
    throw new UnsafeWebhookTargetError(`the host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new UnsafeWebhookTargetError(`the host ${host} does not resolve`);
  for (const { address } of addresses) checkTargetAddress(address, url.protocol, policy);
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that checks the addresses it hands to the socket: the check happens
 * on the very addresses connected to, so a name whose DNS changed since registration (or changes
 * between a check and the connection) cannot lead inside.
 */
export function guardedLookup(protocol: string, policy: WebhookTargetPolicy, lookup: AddressLookup = systemLookup) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    lookup(hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw new UnsafeWebhookTargetError(`the host ${hostname} does not resolve`);
        for (const { address } of addresses) checkTargetAddress(address, protocol, policy);
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((entry) => entry.family === options.family) : addresses;
        if (wanted.length === 0) throw new UnsafeWebhookTargetError(`the host ${hostname} has no IPv${options.family} address`);
        if (options.all) callback(null, wanted.map((entry) => ({ address: entry.address, family: entry.family })));
        else callback(null, wanted[0].address, wanted[0].family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, '', 0));
  };
}
