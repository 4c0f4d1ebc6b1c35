import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapDirectory, ldapDirectoryOptions } from '../../src/directory/ldap-directory.js';
import type { Person } from '../../src/directory/directory.js';
import { loadConfig } from '../../src/config/config.js';
import { resetPassword } from '../../src/reset/reset-password.js';
import { caught } from '../support/errors.js';
import { bindResult } from '../support/directory.js';
import { ACME, bulkPerson, DC_IP, HOSTING, HOSTING_BULK_COUNT, LDAP_URL, SEED_PASSWORD, SERVICE_ACCOUNT } from '../support/fixtures.js';
import { adminOf, startHarness, type Harness } from '../support/harness.js';
import { makeTestCertificates } from '../support/tls.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});


/** A directory built from the harness settings with some replaced, as an operator would configure it. */
function directoryWith(overrides: Record<string, string | undefined>): LdapDirectory {
  const env: Record<string, string | undefined> = { ...h.env, ...overrides };
  const config = loadConfig(env);
  return new LdapDirectory(ldapDirectoryOptions(config), config.tenants);
}

describe('finding an admin to sign in', () => {
  it('finds the admin by UPN, DOMAIN\\name and pre-Windows name, with the objectGUID and pwdLastSet', async () => {
    for (const login of [HOSTING.admin.upn, `CORP\\${HOSTING.admin.sam}`, HOSTING.admin.sam]) {
      const identity = await h.core.directory.findAdmin(login, h.config.tenants);
      expect(identity).toMatchObject({ dn: HOSTING.admin.dn, sam: HOSTING.admin.sam, upn: HOSTING.admin.upn });
      expect(identity?.guid).toMatch(/^[0-9a-f]{8}-/);
      expect(identity?.pwdLastSet).toMatch(/^\d+$/);
    }
  });

  it('finds nobody who is not a member of the given environments\' admin groups', async () => {
    for (const login of [HOSTING.jmus.upn, 'Administrator', SERVICE_ACCOUNT.sam, 'nobody@nowhere.test']) {
      expect(await h.core.directory.findAdmin(login, h.config.tenants)).toBeNull();
    }
    // The Hosting admin is not an admin of Acme.
    expect(await h.core.directory.findAdmin(HOSTING.admin.upn, [h.acme])).toBeNull();
    expect(await h.core.directory.findAdmin(HOSTING.admin.upn, [])).toBeNull();
  });

  it('verifies a password by a bind, and refuses an empty one without any connection', async () => {
    await h.core.directory.verifyPassword(HOSTING.admin.dn, SEED_PASSWORD);
    expect((await caught(h.core.directory.verifyPassword(HOSTING.admin.dn, 'wrong-Password-1'))).code).toBe('AUTH_INVALID_CREDENTIALS');
    const unreachable = directoryWith({ LDAP_URL: 'ldaps://127.0.0.1:1' });
    expect((await caught(unreachable.verifyPassword(HOSTING.admin.dn, ''))).code).toBe('AUTH_EMPTY_PASSWORD');
    // The same directory does fail for a real attempt: the refusal above came before any connection.
    expect((await caught(unreachable.verifyPassword(HOSTING.admin.dn, 'x'))).code).toBe('DIRECTORY_UNREACHABLE');
  });

  it('tells which environments an admin administers, through nested groups', async () => {
    const tenants = h.config.tenants;
    const guidOf = async (upn: string, reachable = tenants) => (await h.core.directory.findAdmin(upn, reachable))!.guid;
    expect((await h.core.directory.administeredTenants(await guidOf(HOSTING.admin.upn), tenants)).map((t) => t.key)).toEqual(['hosting']);
    expect((await h.core.directory.administeredTenants(await guidOf(ACME.admin.upn), tenants)).map((t) => t.key)).toEqual(['acme']);
    const [jmus] = await h.core.directory.resolvePeople(h.hosting, 'sbf_jmus');
    expect(await h.core.directory.administeredTenants(jmus!.guid, tenants)).toEqual([]);
  });
});

describe('listing employees', () => {
  const everyone = 13 + HOSTING_BULK_COUNT; // the named Hosting people plus the bulk ones

  it('pages through Hosting by display name, 20 at a time, without gaps or repeats', async () => {
    const seen: Person[] = [];
    let page = await h.core.directory.listPeople(h.hosting, { pageSize: 20 });
    const pages = [page];
    while (page.hasMore) {
      const last = page.people[page.people.length - 1]!;
      page = await h.core.directory.listPeople(h.hosting, { pageSize: 20, after: { displayName: last.displayName, guid: last.guid } });
      pages.push(page);
    }
    for (const p of pages) seen.push(...p.people);
    expect(pages.map((p) => p.people.length)).toEqual([20, 20, everyone - 40]);
    expect(new Set(seen.map((p) => p.guid)).size).toBe(everyone);
    const names = seen.map((p) => p.displayName);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
    expect(seen.every((p) => p.dn.endsWith(HOSTING.baseDn))).toBe(true);
    expect(seen.map((p) => p.sam)).not.toContain(HOSTING.computer.sam);
    expect(seen.find((p) => p.sam === 'sbf_jmus')).toMatchObject({ displayName: 'Joman Mus', upn: HOSTING.jmus.upn, mail: HOSTING.jmus.mail });
    expect(seen.find((p) => p.sam === 'sbf_noexp')?.status.passwordNeverExpires).toBe(true);
    expect(seen.find((p) => p.sam === bulkPerson(1).sam)?.status).toEqual({
      disabled: false,
      lockedOut: false,
      mustChange: false,
      passwordNeverExpires: false,
      passwordExpired: false,
    });
  });

  it('goes back a page', async () => {
    const first = await h.core.directory.listPeople(h.hosting, { pageSize: 20 });
    const lastOfFirst = first.people[19]!;
    const second = await h.core.directory.listPeople(h.hosting, { pageSize: 20, after: { displayName: lastOfFirst.displayName, guid: lastOfFirst.guid } });
    const firstOfSecond = second.people[0]!;
    const back = await h.core.directory.listPeople(h.hosting, { pageSize: 20, before: { displayName: firstOfSecond.displayName, guid: firstOfSecond.guid } });
    expect(back.people.map((p) => p.guid)).toEqual(first.people.map((p) => p.guid));
    expect(back.hasMore).toBe(false);
  });

  it('filters by a search text', async () => {
    const page = await h.core.directory.listPeople(h.hosting, { pageSize: 20, search: 'mus' });
    expect(page.people.map((p) => p.sam)).toEqual(['sbf_jmus']);
    expect(page.hasMore).toBe(false);
    const none = await h.core.directory.listPeople(h.hosting, { pageSize: 20, search: '*)(objectClass=*' });
    expect(none.people).toEqual([]);
  });

  it('shows Acme only its own people', async () => {
    const page = await h.core.directory.listPeople(h.acme, { pageSize: 20 });
    expect(page.people.map((p) => p.sam).sort()).toEqual(['acme_admin', 'acme_jdoe', 'acme_jmus']);
  });
});

describe('the connection to the directory', () => {
  it('works over StartTLS', async () => {
    const directory = directoryWith({ LDAP_URL, LDAP_STARTTLS: 'true' });
    const page = await directory.listPeople(h.hosting, { pageSize: 5, search: 'mus' });
    expect(page.people.map((p) => p.sam)).toEqual(['sbf_jmus']);
  });

  it('never talks to a directory whose certificate is not trusted', async () => {
    const otherCa = makeTestCertificates(join(h.dir, 'other-ca'), { hosts: [DC_IP] });
    for (const overrides of [{ LDAP_CA_FILE: undefined }, { LDAP_CA_FILE: otherCa.caFile }, { LDAP_URL, LDAP_STARTTLS: 'true', LDAP_CA_FILE: otherCa.caFile }]) {
      const directory = directoryWith(overrides);
      expect((await caught(directory.listPeople(h.hosting, { pageSize: 5 }))).code).toBe('DIRECTORY_TLS_FAILED');
      const error = await caught(
        resetPassword(await adminOf(h, HOSTING.admin), h.hosting, { reference: 'jmus' }, { ...h.core, directory }),
      );
      expect(error.code).toBe('DIRECTORY_TLS_FAILED');
    }
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
  });
});
