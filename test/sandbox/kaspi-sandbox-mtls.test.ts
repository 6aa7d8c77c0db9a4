import axios, { type AxiosInstance } from 'axios';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxControlClient } from '../../src/sandbox/sandbox-control.client';
import { startKaspiSandbox } from '../../src/sandbox/kaspi-sandbox.server';
import { BIN, createBody, requestHeaders } from './sandbox-test.helpers';

interface Pki {
  ca: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  clientKey: Buffer;
  clientCert: Buffer;
  strangerKey: Buffer;
  strangerCert: Buffer;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA, a server certificate for 127.0.0.1 and two client certificates: one from the CA, one not. */
function makePki(dir: string): Pki {
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(dir, 'req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=Sandbox test CA');
  openssl(dir, 'req', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext');
  openssl(dir, 'req', ...EC_KEY, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=merchant');
  openssl(dir, 'x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'client.crt', '-days', '1', '-extfile', 'client.ext');
  openssl(dir, 'req', '-x509', ...EC_KEY, '-keyout', 'stranger.key', '-out', 'stranger.crt', '-days', '1', '-subj', '/CN=stranger');
  const read = (name: string) => readFileSync(path.join(dir, name));
  return {
    ca: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    clientKey: read('client.key'),
    clientCert: read('client.crt'),
    strangerKey: read('stranger.key'),
    strangerCert: read('stranger.crt'),
  };
}

let dir: string;
let pki: Pki;
let running: Awaited<ReturnType<typeof startKaspiSandbox>>;

function client(agentOptions: https.AgentOptions): AxiosInstance {
  return axios.create({
    baseURL: running.url,
    timeout: 5000,
    validateStatus: () => true,
    httpsAgent: new https.Agent({ ca: pki.ca, ...agentOptions }),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kaspi-sandbox-mtls-'));
  pki = makePki(dir);
  running = await startKaspiSandbox({
    port: 0,
    autoAdvanceMs: 0,
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.ca },
  });
});

afterAll(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mutual TLS', () => {
  it('serves HTTPS and accepts an r3 call from a client with a certificate from its CA', async () => {
    const merchant = client({ cert: pki.clientCert, key: pki.clientKey });

    const response = await merchant.post('/r3/v01/remote/create', createBody(randomUUID()), { headers: requestHeaders() });

    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(response.data).toMatchObject({ StatusCode: 0, Data: { QrPaymentId: expect.any(Number) } });
  });

  it('answers -10000 with HTTP 200 to an r3 call without a client certificate', async () => {
    const anonymous = client({});

    const response = await anonymous.post('/r3/v01/remote/create', createBody(randomUUID()), { headers: requestHeaders() });

    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ StatusCode: -10000, Data: null });
  });

  it('answers -10000 to a client whose certificate the CA did not sign', async () => {
    const stranger = client({ cert: pki.strangerCert, key: pki.strangerKey });

    const response = await stranger.get(`/r3/v01/partner/tradepoints/${BIN}`, { headers: requestHeaders() });

    expect(response.data.StatusCode).toBe(-10000);
  });

  it('leaves the proxy and the control API to their own authentication', async () => {
    const control = new SandboxControlClient(running.url, { httpsAgent: new https.Agent({ ca: pki.ca }), controlToken: running.sandbox.controlToken });
    const anonymous = client({});

    const proxy = await anonymous.get('/proxy/status/', { params: { access_token: 'sandbox-access-token', externalId: '1' } });
    const state = await control.state();

    expect(proxy.data.data.errors).toHaveProperty('-1601');
    expect(state.options.requireClientCertificate).toBe(true);
  });
});
