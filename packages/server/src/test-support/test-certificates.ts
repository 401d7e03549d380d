import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A test certificate authority, a server certificate it signed, and a client certificate, as PEM files and text. */
export interface TestCertificates {
  readonly dir: string;
  readonly caPem: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  /** A second, unrelated CA (its certificate): trusting it instead must fail the handshake. */
  readonly otherCaPem: string;
}

/** Whether the `openssl` command is on this machine (Debian: package openssl, installed by `.ci/run`). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/**
 * Makes a fresh CA (P-256) and, signed by it, a server certificate for `localhost` and 127.0.0.1 and a client
 * certificate, in `dir`, with the `openssl` command. Valid for two days.
 */
export function makeTestCertificates(dir: string): TestCertificates {
  const key = (name: string) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name], dir);
  const ca = (name: string, cn: string) => {
    key(`${name}.key`);
    openssl(['req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`], dir);
  };
  ca('ca', 'Tamga Test CA');
  ca('other-ca', 'Unrelated Test CA');
  const issue = (name: string, cn: string, extensions: string) => {
    key(`${name}.key`);
    openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
  };
  issue('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  issue('client', 'tamga-forwarder', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    caPem: read('ca.pem'),
    caFile: join(dir, 'ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertPem: read('client.pem'),
    clientKeyPem: read('client.key'),
    otherCaPem: read('other-ca.pem'),
  };
}
