/**
 * Throwaway certificates for tests: a CA and a server certificate it signed, made with the
 * `openssl` CLI into a directory the caller owns (and removes). EC P-256 keys: fast to make.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface TestCertificates {
  caPem: string;
  certPem: string;
  keyPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface TestCertificateOptions {
  /** Names and IP addresses the server certificate is valid for. Default: 127.0.0.1, ::1, localhost. */
  hosts?: readonly string[];
  /** Common name of the CA, to tell several CAs apart. Default: "Test CA <random>". */
  caName?: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestCertificates(dir: string, options: TestCertificateOptions = {}): TestCertificates {
  const hosts = options.hosts ?? ['127.0.0.1', '::1', 'localhost'];
  const caName = options.caName ?? `Test CA ${randomBytes(4).toString('hex')}`;
  mkdirSync(dir, { recursive: true });

  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '7', '-subj', `/CN=${caName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const firstHost = hosts[0] ?? 'localhost';
  openssl(['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${firstHost}`], dir);
  const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(
    join(dir, 'server.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${san}`,
      '',
    ].join('\n'),
  );
  openssl(
    [
      'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-out', 'server.pem',
      '-days', '7', '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-extfile', 'server.ext',
    ],
    dir,
  );

  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  return {
    caPem: readFileSync(caFile, 'utf8'),
    certPem: readFileSync(certFile, 'utf8'),
    keyPem: readFileSync(keyFile, 'utf8'),
    caFile,
    certFile,
    keyFile,
  };
}
