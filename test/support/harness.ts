/**
 * The product's core wired for a test exactly as in production (loadConfig → createCore), against
 * the test DC and a real SMTP server over STARTTLS, with a temp DATA_DIR and the log captured.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type Config, type Tenant } from '../../src/config/config.js';
import { createCore, type Core } from '../../src/core.js';
import { createState } from '../../src/state/create-state.js';
import type { StateStore } from '../../src/state/state.js';
import { createLogger } from '../../src/log/logger.js';
import type { Admin } from '../../src/reset/reset-password.js';
import { ACME, DC_CA_FILE, FABRIKAM, FABRIKAM_TEAMS_TENANT, HOSTING, LDAPS_URL, PROVIDER_STAFF_GROUP_DN, SERVICE_ACCOUNT } from './fixtures.js';
import { startTestSmtpServer, type TestSmtpServer } from './smtp-server.js';
import { makeTestCertificates } from './tls.js';

export const HOSTING_TEAMS_TENANT = '11111111-1111-4111-8111-111111111111';
export const ACME_TEAMS_TENANT = '22222222-2222-4222-8222-222222222222';

/**
 * The harness's tenants file: Hosting, Acme and Fabrikam. The provider's own staff (Provider Staff,
 * nesting included) are protected everywhere; Hosting's board (Hosting Directie) in Hosting.
 */
export function tenantsFileContent(): string {
  return JSON.stringify({
    protectedGroupDns: [PROVIDER_STAFF_GROUP_DN],
    tenants: [
      {
        key: HOSTING.key,
        name: HOSTING.name,
        baseDn: HOSTING.baseDn,
        adminGroupDn: HOSTING.adminGroupDn,
        samPrefix: HOSTING.samPrefix,
        netbiosDomain: 'CORP',
        language: 'nl',
        changePortalUrl: 'https://wachtwoord.mijnsynergy.nl/',
        teamsTenantIds: [HOSTING_TEAMS_TENANT],
        protectedGroupDns: [HOSTING.boardGroupDn],
      },
      {
        key: ACME.key,
        name: ACME.name,
        baseDn: ACME.baseDn,
        adminGroupDn: ACME.adminGroupDn,
        samPrefix: ACME.samPrefix,
        language: 'en',
        changePortalUrl: 'https://password.acme.test/',
        teamsTenantIds: [ACME_TEAMS_TENANT],
      },
      {
        key: FABRIKAM.key,
        name: FABRIKAM.name,
        baseDn: FABRIKAM.baseDn,
        adminGroupDn: FABRIKAM.adminGroupDn,
        samPrefix: FABRIKAM.samPrefix,
        language: 'en',
        changePortalUrl: 'https://password.fabrikam.test/',
        teamsTenantIds: [FABRIKAM_TEAMS_TENANT],
      },
    ],
  });
}

export interface Harness {
  readonly dir: string;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly core: Core;
  /** The state store the core and a bot started on this harness share. */
  readonly state: StateStore;
  readonly smtp: TestSmtpServer;
  /** Every log line written so far. */
  readonly logs: string[];
  readonly hosting: Tenant;
  readonly acme: Tenant;
  readonly fabrikam: Tenant;
  close(): Promise<void>;
}

/** The settings a test run uses; `overrides` replace or (with undefined) remove one. */
export async function startHarness(overrides: Record<string, string | undefined> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'pwreset-test-'));
  const certs = makeTestCertificates(join(dir, 'smtp-tls'));
  const smtp = await startTestSmtpServer({ tls: { key: certs.keyPem, cert: certs.certPem } });
  const tenantsFile = join(dir, 'tenants.json');
  writeFileSync(tenantsFile, tenantsFileContent());
  const dataDir = join(dir, 'data');
  const env: Record<string, string> = {
    LDAP_URL: LDAPS_URL,
    LDAP_CA_FILE: DC_CA_FILE,
    LDAP_BIND_DN: SERVICE_ACCOUNT.dn,
    LDAP_BIND_PASSWORD: SERVICE_ACCOUNT.password,
    SMTP_URL: smtp.url(),
    SMTP_CA_FILE: certs.caFile,
    MAIL_FROM: 'Helpdesk <helpdesk@provider.test>',
    DATA_DIR: dataDir,
    TENANTS_FILE: tenantsFile,
    LOG_LEVEL: 'debug',
    DANGEROUSLY_ALLOW_UNAUTHENTICATED: 'true',
    // The follow-up of temporary passwords speaks in the chat on its own: only the tests of it
    // (test/bot/follow-up.test.ts) let it run, so that it does not talk into other conversations.
    OUTCOME_POLL_SECONDS: '86400',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig(env);
  const state = await createState(config);
  const core = createCore(config, createLogger('debug', sink), state);
  const [hosting, acme, fabrikam] = config.tenants as [Tenant, Tenant, Tenant];
  return {
    dir,
    dataDir,
    env,
    config,
    core,
    state,
    smtp,
    logs,
    hosting,
    acme,
    fabrikam,
    async close() {
      core.close();
      await state.close();
      await smtp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An admin as a sign-in leaves them: their account read from the test DC (objectGUID, pwdLastSet). */
export async function adminOf(h: Harness, person: { upn: string }): Promise<Admin> {
  const identity = await h.core.directory.findAdmin(person.upn, h.config.tenants);
  if (!identity) throw new Error(`${person.upn} is not an admin of any environment`);
  return { identity, teamsId: null };
}

/** Every byte the product wrote under a folder, as text, to search for secrets. */
export function everythingUnder(dir: string): string {
  const parts: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else parts.push(readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return parts.join('\n');
}
