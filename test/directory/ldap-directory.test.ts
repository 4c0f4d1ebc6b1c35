import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot } from '../../src/bot/bot.js';
import { LdapDirectory, ldapDirectoryOptions } from '../../src/directory/ldap-directory.js';
import type { Person } from '../../src/directory/directory.js';
import { dnEquals } from '../../src/directory/dn.js';
import { ConfigError, loadConfig, type Tenant } from '../../src/config/config.js';
import type { ListPage, ListPageRequest } from '../../src/employees/people-list.js';
import { createLogger } from '../../src/log/logger.js';
import { resetPassword } from '../../src/reset/reset-password.js';
import { caught } from '../support/errors.js';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { lockOut } from '../support/accounts.js';
import {
  ACME,
  BASE_DN,
  bulkPerson,
  DC_IP,
  FABRIKAM,
  FABRIKAM_TWIN_COUNT,
  fabrikamTwin,
  HOSTING,
  HOSTING_BULK_COUNT,
  LDAP_URL,
  SEED_PASSWORD,
  SERVICE_ACCOUNT,
} from '../support/fixtures.js';
import { adminOf, startHarness, tenantsFileContent, type Harness } from '../support/harness.js';
import { makeTestCertificates } from '../support/tls.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});


/** A page of the environment's list in memory, as `list` and Next show it (loaded from the test DC). */
async function listPeople(tenant: Tenant, request: ListPageRequest): Promise<ListPage> {
  return (await h.core.people.list(tenant)).page(request);
}

/** A directory built from the harness settings with some replaced, as an operator would configure it. */
function directoryWith(overrides: Record<string, string | undefined>): LdapDirectory {
  const env: Record<string, string | undefined> = { ...h.env, ...overrides };
  const config = loadConfig(env);
  return new LdapDirectory(ldapDirectoryOptions(config), config.tenants, { protectedGroupDns: config.protectedGroupDns });
}

/** The harness's tenants file changed as `change` says, written to the harness folder; its path. */
function tenantsFileWith(name: string, change: (file: { protectedGroupDns: string[]; tenants: Record<string, unknown>[] }) => void): string {
  const file = JSON.parse(tenantsFileContent()) as { protectedGroupDns: string[]; tenants: Record<string, unknown>[] };
  change(file);
  const path = join(h.dir, name);
  writeFileSync(path, JSON.stringify(file));
  return path;
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
    let page = await listPeople(h.hosting, { pageSize: 20 });
    const pages = [page];
    while (page.hasMore) {
      const last = page.people[page.people.length - 1]!;
      page = await listPeople(h.hosting, { pageSize: 20, after: { displayName: last.displayName, guid: last.guid } });
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
      lockedSince: null,
      passwordLastSet: expect.any(Date),
      accountExpires: null,
      accountExpired: false,
    });
  });

  it('goes back a page', async () => {
    const first = await listPeople(h.hosting, { pageSize: 20 });
    const lastOfFirst = first.people[19]!;
    const second = await listPeople(h.hosting, { pageSize: 20, after: { displayName: lastOfFirst.displayName, guid: lastOfFirst.guid } });
    const firstOfSecond = second.people[0]!;
    const back = await listPeople(h.hosting, { pageSize: 20, before: { displayName: firstOfSecond.displayName, guid: firstOfSecond.guid } });
    expect(back.people.map((p) => p.guid)).toEqual(first.people.map((p) => p.guid));
    expect(back.hasMore).toBe(false);
  });

  it('filters by a search text', async () => {
    const page = await listPeople(h.hosting, { pageSize: 20, search: 'mus' });
    expect(page.people.map((p) => p.sam)).toEqual(['sbf_jmus']);
    expect(page.hasMore).toBe(false);
    const none = await listPeople(h.hosting, { pageSize: 20, search: '*)(objectClass=*' });
    expect(none.people).toEqual([]);
  });

  it('stops a name search at 26 people (25 and "more"), though Samba ignores the size limit', async () => {
    const people = await h.core.directory.resolvePeople(h.hosting, 'Werknemer');
    expect(people).toHaveLength(26);
    expect(people.map((p) => p.sam)).toEqual(Array.from({ length: 26 }, (_, i) => bulkPerson(i + 1).sam));
  });

  it('shows Acme only its own people', async () => {
    const page = await listPeople(h.acme, { pageSize: 20 });
    expect(page.people.map((p) => p.sam).sort()).toEqual(['acme_admin', 'acme_jdoe', 'acme_jmus']);
  });
});

describe('setting a password', () => {
  it('refuses an account outside the environment even when handed one directly, without asking the directory', async () => {
    const [jdoe] = await h.core.directory.resolvePeople(h.acme, 'acme_jdoe');
    const error = await caught(h.core.directory.setTemporaryPassword(h.hosting, jdoe!, 'Outside-Scope-2026!'));
    expect(error.code).toBe('TARGET_OUTSIDE_ENVIRONMENT');
    expect(await bindResult(ACME.jdoe.upn, SEED_PASSWORD)).toBe('ok');
  });
});

describe('unlocking', () => {
  it('refuses an account outside the environment even when handed one directly: it stays locked', async () => {
    const undo = await lockOut(ACME.jdoe.dn);
    try {
      const [jdoe] = await h.core.directory.resolvePeople(h.acme, 'acme_jdoe');
      const error = await caught(h.core.directory.unlockAccount(h.hosting, jdoe!));
      expect(error.code).toBe('TARGET_OUTSIDE_ENVIRONMENT');
      expect(await bindResult(ACME.jdoe.dn, SEED_PASSWORD)).toBe('775');
    } finally {
      await undo();
    }
  });

  it('marks a page with one search: the admin groups, protected and privileged groups, nesting included', async () => {
    const people = await Promise.all([HOSTING.jmus, HOSTING.board, HOSTING.lateAdmin, HOSTING.staff, HOSTING.admin2].map(async (p) => (await h.core.directory.resolvePeople(h.hosting, p.sam))[0]!));
    const marked = await h.core.directory.inProtectedGroups(h.hosting, people.map((p) => p.guid));
    expect(people.filter((p) => marked.has(p.guid)).map((p) => p.sam).sort()).toEqual([HOSTING.admin2.sam, HOSTING.board.sam, HOSTING.lateAdmin.sam, HOSTING.staff.sam].sort());
  });
});

describe('the connection to the directory', () => {
  it('works over StartTLS', async () => {
    const directory = directoryWith({ LDAP_URL, LDAP_STARTTLS: 'true' });
    expect((await directory.resolvePeople(h.hosting, 'mus')).map((p) => p.sam)).toEqual(['sbf_jmus']);
    const { people } = await directory.readPeople(h.hosting);
    expect(people.map((p) => p.person.sam)).toContain('sbf_jmus');
  });

  it('never talks to a directory whose certificate is not trusted', async () => {
    const otherCa = makeTestCertificates(join(h.dir, 'other-ca'), { hosts: [DC_IP] });
    for (const overrides of [{ LDAP_CA_FILE: undefined }, { LDAP_CA_FILE: otherCa.caFile }, { LDAP_URL, LDAP_STARTTLS: 'true', LDAP_CA_FILE: otherCa.caFile }]) {
      const directory = directoryWith(overrides);
      expect((await caught(directory.readPeople(h.hosting))).code).toBe('DIRECTORY_TLS_FAILED');
      const error = await caught(
        resetPassword(await adminOf(h, HOSTING.admin), h.hosting, { reference: 'jmus' }, { ...h.core, directory }),
      );
      expect(error.code).toBe('DIRECTORY_TLS_FAILED');
    }
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
  });
});

describe('listing Fabrikam: 25 people with one name, and DNs that need escapes', () => {
  /** Fabrikam's admin, Aaron, Zora, the four odd-DN people and the 25 twins. */
  const everyone = 7 + FABRIKAM_TWIN_COUNT;
  const odd = [FABRIKAM.trailingSpace, FABRIKAM.comma, FABRIKAM.hash, FABRIKAM.plus];
  const inOrder = (a: Person, b: Person) =>
    a.displayName.localeCompare(b.displayName, 'en', { sensitivity: 'base' }) || (a.guid < b.guid ? -1 : a.guid > b.guid ? 1 : 0);

  async function forward(pageSize: number): Promise<{ pages: Person[][]; people: Person[] }> {
    const pages: Person[][] = [];
    let page = await listPeople(h.fabrikam, { pageSize });
    pages.push([...page.people]);
    while (page.hasMore) {
      expect(pages.length).toBeLessThan(everyone);
      const last = page.people[page.people.length - 1]!;
      page = await listPeople(h.fabrikam, { pageSize, after: { displayName: last.displayName, guid: last.guid } });
      pages.push([...page.people]);
    }
    return { pages, people: pages.flat() };
  }

  /** From the last page back to the first with `before` cursors; pages in display order, last page first. */
  async function backward(pageSize: number, lastPage: Person[]): Promise<{ pages: Person[][]; people: Person[] }> {
    const pages: Person[][] = [lastPage];
    let first = lastPage[0]!;
    for (;;) {
      expect(pages.length).toBeLessThan(everyone);
      const page = await listPeople(h.fabrikam, { pageSize, before: { displayName: first.displayName, guid: first.guid } });
      pages.push([...page.people]);
      if (!page.hasMore) break;
      first = page.people[0]!;
    }
    return { pages, people: [...pages].reverse().flat() };
  }

  for (const pageSize of [20, 7]) {
    it(`pages forward and back ${pageSize} at a time: everyone exactly once each way, in (display name, GUID) order`, async () => {
      const ahead = await forward(pageSize);
      expect(ahead.people).toHaveLength(everyone);
      expect(new Set(ahead.people.map((p) => p.guid)).size).toBe(everyone);
      expect(ahead.people.map((p) => p.guid)).toEqual([...ahead.people].sort(inOrder).map((p) => p.guid));
      expect(ahead.pages.slice(0, -1).every((p) => p.length === pageSize)).toBe(true);
      if (pageSize === 20) expect(ahead.pages.map((p) => p.length)).toEqual([20, everyone - 20]);

      const back = await backward(pageSize, ahead.pages[ahead.pages.length - 1]!);
      expect(back.people).toHaveLength(everyone);
      expect(new Set(back.people.map((p) => p.guid)).size).toBe(everyone);
      // Each page back is the page that was shown going forward.
      expect(back.pages.map((p) => p.map((x) => x.guid))).toEqual([...ahead.pages].reverse().map((p) => p.map((x) => x.guid)));

      const twins = ahead.people.filter((p) => p.displayName === 'Jan de Vries');
      expect(twins.map((p) => p.sam).sort()).toEqual(Array.from({ length: FABRIKAM_TWIN_COUNT }, (_, i) => fabrikamTwin(i + 1).sam));
      const sams = ahead.people.map((p) => p.sam);
      expect(sams[0]).toBe(FABRIKAM.aaron.sam);
      expect(sams.slice(-2)).toEqual([FABRIKAM.zora.sam, FABRIKAM.trailingSpace.sam]);
      for (const person of [FABRIKAM.admin, ...odd]) expect(sams).toContain(person.sam);
    });
  }

  it('the tie of 25 does not fit a page of 20: the first page ends inside it and the second picks up after the cursor', async () => {
    const first = await listPeople(h.fabrikam, { pageSize: 20 });
    expect(first.hasMore).toBe(true);
    const last = first.people[19]!;
    expect(last.displayName).toBe('Jan de Vries');
    const second = await listPeople(h.fabrikam, { pageSize: 20, after: { displayName: last.displayName, guid: last.guid } });
    expect(second.hasMore).toBe(false);
    const twinsOnFirst = first.people.filter((p) => p.displayName === 'Jan de Vries').length;
    const twinsOnSecond = second.people.filter((p) => p.displayName === 'Jan de Vries');
    expect(twinsOnFirst + twinsOnSecond.length).toBe(FABRIKAM_TWIN_COUNT);
    expect(twinsOnSecond.every((p) => p.guid > last.guid)).toBe(true);
  });

  it('lists the odd-DN people with their DNs as the directory returned them', async () => {
    const { people } = await forward(20);
    for (const person of odd) {
      const found = people.find((p) => p.sam === person.sam);
      expect(found, person.sam).toMatchObject({ displayName: person.displayName, upn: person.upn, mail: person.mail });
      expect(dnEquals(found!.dn, person.dn), `${found!.dn} is ${person.dn}`).toBe(true);
    }
  });

  it('finds the odd-DN people by search text and by what an admin types', async () => {
    const searches: [string, string][] = [
      ['Trailing', FABRIKAM.trailingSpace.sam],
      ['komma', FABRIKAM.comma.sam],
      ['Hash Persoon', FABRIKAM.hash.sam],
      ['Plus+Min', FABRIKAM.plus.sam],
    ];
    for (const [search, sam] of searches) {
      const page = await listPeople(h.fabrikam, { pageSize: 20, search });
      expect(page.people.map((p) => p.sam), search).toEqual([sam]);
    }
    const typed: [string, string][] = [
      ['trailing', FABRIKAM.trailingSpace.sam],
      [FABRIKAM.trailingSpace.upn, FABRIKAM.trailingSpace.sam],
      ['Zz Trailing', FABRIKAM.trailingSpace.sam],
      ['Vries, Piet', FABRIKAM.comma.sam],
      ['pdvries', FABRIKAM.comma.sam],
      ['#Hash', FABRIKAM.hash.sam],
      ['Plus+', FABRIKAM.plus.sam],
      ['fab_plusmin', FABRIKAM.plus.sam],
    ];
    for (const [reference, sam] of typed) {
      expect((await h.core.directory.resolvePeople(h.fabrikam, reference)).map((p) => p.sam), reference).toEqual([sam]);
    }
    // "Jan de Vries" names 25 people: a picker, not an action.
    expect(await h.core.directory.resolvePeople(h.fabrikam, 'Jan de Vries')).toHaveLength(FABRIKAM_TWIN_COUNT);
  });

  it('resets each odd-DN person by GUID through resetPassword', async () => {
    const admin = await adminOf(h, FABRIKAM.admin);
    const { people } = await forward(20);
    for (const person of [...odd, fabrikamTwin(13)]) {
      const listed = people.find((p) => p.sam === person.sam)!;
      try {
        const result = await resetPassword(admin, h.fabrikam, { guid: listed.guid }, h.core);
        expect(result.person.guid).toBe(listed.guid);
        expect(dnEquals(result.person.dn, person.dn)).toBe(true);
        expect(await bindResult(person.upn, result.password), person.sam).toBe('773');
      } finally {
        await restoreSeedPassword(listed.dn);
      }
      expect(await bindResult(person.upn, SEED_PASSWORD), person.sam).toBe('ok');
    }
  });
});

describe('checking the directory side of the configuration', () => {
  it('finds nothing wrong with the harness configuration', async () => {
    expect(await h.core.directory.checkSetup()).toEqual([]);
  });

  it('names an admin group that is a distribution group, without echoing its DN', async () => {
    const file = tenantsFileWith('tenants-mailing.json', (f) => {
      f.tenants[2]!['adminGroupDn'] = FABRIKAM.mailingGroupDn;
    });
    const problems = await directoryWith({ TENANTS_FILE: file }).checkSetup();
    expect(problems).toEqual([expect.stringMatching(/^TENANTS_FILE: tenants\.2\.adminGroupDn \(fabrikam\): .*distribution group/)]);
    expect(problems.join('\n')).not.toContain('Mailing');
  });

  it('names admin and protected groups that do not exist, or are not groups', async () => {
    const file = tenantsFileWith('tenants-missing.json', (f) => {
      f.protectedGroupDns.push(`CN=No Such Group,CN=Users,${BASE_DN}`);
      f.tenants[0]!['protectedGroupDns'] = [HOSTING.boardGroupDn, HOSTING.jmus.dn];
      f.tenants[1]!['adminGroupDn'] = `CN=Acme Admins,OU=Nowhere,${BASE_DN}`;
    });
    const problems = await directoryWith({ TENANTS_FILE: file }).checkSetup();
    expect([...problems].sort()).toEqual(
      [
        'TENANTS_FILE: protectedGroupDns.1: no such group in the directory',
        'TENANTS_FILE: tenants.0.protectedGroupDns.1 (hosting): no such group in the directory',
        'TENANTS_FILE: tenants.1.adminGroupDn (acme): no such group in the directory',
      ].sort(),
    );
  });

  it('keeps the bot from starting with a distribution group as admin group, naming the setting', async () => {
    const file = tenantsFileWith('tenants-bot-mailing.json', (f) => {
      f.tenants[2]!['adminGroupDn'] = FABRIKAM.mailingGroupDn;
    });
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    // A DATA_DIR of its own: the harness holds its folder.
    const config = loadConfig({ ...h.env, TENANTS_FILE: file, DATA_DIR: join(h.dir, 'refused-bot-data') });
    const outcome = await startBot(config, createLogger('silent', quiet), { port: 0 }).then(
      async (bot) => {
        await bot.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ConfigError);
    const error = outcome as ConfigError;
    expect(error.problems).toEqual([expect.stringMatching(/^TENANTS_FILE: tenants\.2\.adminGroupDn \(fabrikam\): .*distribution group/)]);
    expect(error.message).toContain('tenants.2.adminGroupDn');
    expect(error.message).not.toContain(FABRIKAM.mailingGroupDn);
  });
});
