import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  ca: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  /** Encrypted with `passphrase`. */
  clientKey: Buffer;
  clientCert: Buffer;
  /** The client key and certificate as a PKCS#12 bundle, under the same passphrase. */
  clientPfx: Buffer;
  passphrase: string;
  /** Removes the temporary directory. */
  dispose(): void;
}

/**
 * A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made with the
 * openssl CLI as an operator would make them, in a temporary directory.
 */
export function makeTestCertificates(passphrase = 'correct horse battery staple'): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'kaspi-mtls-'));
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

  openssl('req', '-x509', ...ecKey, '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Test Kaspi CA');

  openssl('req', ...ecKey, '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');

  openssl('req', ...ecKey, '-keyout', 'client.key', '-passout', `pass:${passphrase}`, '-out', 'client.csr', '-subj', '/CN=merchant-210440028324');
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2', '-extfile', 'client.ext');
  openssl('pkcs12', '-export', '-in', 'client.crt', '-inkey', 'client.key', '-passin', `pass:${passphrase}`, '-out', 'client.p12', '-passout', `pass:${passphrase}`);

  return {
    ca: readFileSync(file('ca.crt')),
    serverKey: readFileSync(file('server.key')),
    serverCert: readFileSync(file('server.crt')),
    clientKey: readFileSync(file('client.key')),
    clientCert: readFileSync(file('client.crt')),
    clientPfx: readFileSync(file('client.p12')),
    passphrase,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
