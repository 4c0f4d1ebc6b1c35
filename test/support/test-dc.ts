/**
 * Where this run's test DC is: test/support/global-setup.ts chooses a fresh folder and a free
 * loopback address for every run and hands them to the test files with vitest's provide/inject,
 * so that two runs on one machine (two clones) each have their own DC.
 *
 * inject() works only inside a vitest worker: global-setup.ts must not import this module (nor
 * fixtures.ts, which re-exports it). Tests import these constants through fixtures.ts.
 */
import { join } from 'node:path';
import { inject } from 'vitest';

export interface TestDcLocation {
  /** Loopback address 127.X.Y.Z, claimed for this run (test/support/global-setup.ts). */
  ip: string;
  /** The DC's folder, made for this run and removed when it ends. */
  dir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDc: TestDcLocation;
  }
}

const location = inject('testDc');
if (!location?.ip || !location.dir) {
  throw new Error('No test DC was provided: run the tests with vitest, whose globalSetup (test/support/global-setup.ts) starts it');
}

export const DC_IP = location.ip;
export const DC_DIR = location.dir;
export const DC_CA_FILE = join(DC_DIR, 'private', 'tls', 'ca.pem');
export const LDAPS_URL = `ldaps://${DC_IP}:636`;
export const LDAP_URL = `ldap://${DC_IP}:389`;
