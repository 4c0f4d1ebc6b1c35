/**
 * The environments' lists in memory (src/employees/people-index.ts) against the test DC: loaded
 * once, kept fresh by reading changes, never holding anyone outside the environment, and never
 * trusted by an action, which reads its target again.
 */
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/config/config.js';
import type { Directory, PeopleRead, Person } from '../../src/directory/directory.js';
import { LdapDirectory, ldapDirectoryOptions } from '../../src/directory/ldap-directory.js';
import { PeopleIndex } from '../../src/employees/people-index.js';
import type { PeopleList } from '../../src/employees/people-list.js';
import { resetPassword } from '../../src/reset/reset-password.js';
import { bindResult, asDomainAdmin } from '../support/directory.js';
import { caught } from '../support/errors.js';
import { HOSTING, SEED_PASSWORD, TENANTS_OU } from '../support/fixtures.js';
import { adminOf, startHarness, type Harness } from '../support/harness.js';

const OU = `OU=Index Test,${TENANTS_OU}`;
/** A second environment beside it, with the same names: nobody of it may show up in the first. */
const OTHER_OU = `OU=Index Other,${TENANTS_OU}`;
const UF_NORMAL_ACCOUNT = 0x200;
const UF_DONT_EXPIRE_PASSWD = 0x10000;

let h: Harness;
let tenant: Tenant;
const indexes: PeopleIndex[] = [];

const dnOf = (cn: string, ou = OU) => `CN=${cn},${ou}`;

async function addPerson(cn: string, options: { displayName?: string; ou?: string } = {}): Promise<string> {
  const dn = dnOf(cn, options.ou);
  const sam = `ix_${cn.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 20);
  const values: [string, string | Buffer][] = [
    ['objectClass', 'user'],
    ['cn', cn],
    ['displayName', options.displayName ?? cn],
    ['givenName', cn.split(' ')[0] ?? cn],
    ['sAMAccountName', sam],
    ['userPrincipalName', `${sam}@index.test`],
    ['unicodePwd', Buffer.from(`"${SEED_PASSWORD}"`, 'utf16le')],
    ['userAccountControl', String(UF_NORMAL_ACCOUNT)],
  ];
  await asDomainAdmin((c) => c.add(dn, values.map(([type, value]) => new Attribute({ type, values: [value] as string[] | Buffer[] }))));
  return dn;
}

const replace = (dn: string, type: string, value: string) =>
  asDomainAdmin((c) => c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) })));

/** The whole list, page by page as Next walks it: display names (and sams) in order. */
function everyone(list: PeopleList, pageSize = 3): Person[] {
  const seen: Person[] = [];
  let page = list.page({ pageSize });
  seen.push(...page.people);
  while (page.hasMore) {
    const last = page.people[page.people.length - 1]!;
    page = list.page({ pageSize, after: { displayName: last.displayName, guid: last.guid } });
    seen.push(...page.people);
  }
  return seen;
}

const sams = (list: PeopleList) => everyone(list).map((p) => p.sam);

/** Waits until `check` holds (the list is refreshed by a timer), failing after a while. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('the list did not change in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A directory that counts how often the whole environment is read. */
function counting(directory: Directory): { directory: Directory; reads: () => number } {
  let reads = 0;
  const wrapped = Object.create(directory) as Directory;
  wrapped.readPeople = (t: Tenant): Promise<PeopleRead> => {
    reads += 1;
    return directory.readPeople(t);
  };
  return { directory: wrapped, reads: () => reads };
}

function newIndex(directory: Directory, options: { pollMs?: number; reloadMs?: number } = {}): PeopleIndex {
  const index = new PeopleIndex(directory, { pollMs: options.pollMs ?? 200, reloadMs: options.reloadMs ?? 60 * 60_000 });
  indexes.push(index);
  return index;
}

beforeAll(async () => {
  h = await startHarness();
  // Index Test borrows Hosting's admin group: resetPassword re-checks the admin against it.
  tenant = { ...h.hosting, key: 'index-test', name: 'Index Test', baseDn: OU };
  for (const ou of [OU, OTHER_OU]) {
    await asDomainAdmin((c) => c.add(ou, { objectClass: 'organizationalUnit', ou: /^OU=([^,]+)/.exec(ou)![1]! }));
  }
  // Seven people, four of whom share one display name, and their namesakes next door.
  for (const cn of ['Anna Aal', 'Bram Bos', 'Sam Smit 1', 'Sam Smit 2', 'Sam Smit 3', 'Sam Smit 4', 'Zeno Zee']) {
    await addPerson(cn, { displayName: cn.replace(/ \d$/, '') });
    await addPerson(`${cn} X`, { displayName: cn.replace(/ \d$/, ''), ou: OTHER_OU });
  }
});

afterAll(async () => {
  for (const index of indexes) index.close();
  await asDomainAdmin(async (c) => {
    for (const ou of [OU, OTHER_OU]) {
      const { searchEntries } = await c.search(ou, { scope: 'one', attributes: ['1.1'] });
      for (const entry of searchEntries) await c.del(entry.dn);
      await c.del(ou);
    }
  });
  await h.close();
});

describe("an environment's list in memory", () => {
  it('pages forward through the whole environment: each person exactly once, namesakes across page boundaries, nobody from outside', async () => {
    const list = await newIndex(h.core.directory).list(tenant);
    for (const pageSize of [1, 2, 3, 5, 20]) {
      const shown = everyone(list, pageSize);
      expect(shown.map((p) => p.displayName), `pages of ${pageSize}`).toEqual(['Anna Aal', 'Bram Bos', 'Sam Smit', 'Sam Smit', 'Sam Smit', 'Sam Smit', 'Zeno Zee']);
      expect(new Set(shown.map((p) => p.guid)).size).toBe(7);
      // The four namesakes in GUID order: one exact position for every cursor.
      const twins = shown.filter((p) => p.displayName === 'Sam Smit').map((p) => p.guid);
      expect(twins).toEqual([...twins].sort());
      expect(shown.every((p) => p.dn.endsWith(`,${OU}`))).toBe(true);
    }
  });

  it('reads the environment with a paged search over several pages and keeps everyone exactly once', async () => {
    // Three entries per page of the paged search: the environment comes in five pages.
    const directory = new LdapDirectory({ ...ldapDirectoryOptions(h.config), readPageSize: 3 }, h.config.tenants);
    const { people } = await directory.readPeople(tenant);
    expect(people.map((p) => p.person.dn).sort()).toEqual(
      ['Anna Aal', 'Bram Bos', 'Sam Smit 1', 'Sam Smit 2', 'Sam Smit 3', 'Sam Smit 4', 'Zeno Zee'].map((cn) => dnOf(cn)).sort(),
    );
  });

  it('is loaded once when 50 admins ask at the same moment', async () => {
    const { directory, reads } = counting(h.core.directory);
    const index = newIndex(directory);
    const lists = await Promise.all(Array.from({ length: 50 }, () => index.list(tenant)));
    expect(reads()).toBe(1);
    expect(new Set(lists).size).toBe(1);
    await index.list(tenant);
    expect(reads()).toBe(1);
  });

  it('loads ahead (at sign-in) every environment it can, and a failed one is loaded on the next ask', async () => {
    const { directory, reads } = counting(h.core.directory);
    const missing = { ...tenant, key: 'index-missing', baseDn: `OU=Nowhere,${TENANTS_OU}` };
    const index = newIndex(directory);
    await index.preload([missing, tenant]);
    expect(reads()).toBe(2);
    expect(sams(await index.list(tenant))).toHaveLength(7);
    expect(reads()).toBe(2);
    expect((await caught(index.list(missing))).code).toBe('DIRECTORY_USER_NOT_FOUND');
    expect(reads()).toBe(3);
  });

  it('keeps nothing from a failed load, and loads whole on the next ask', async () => {
    const { directory, reads } = counting(h.core.directory);
    let fail = true;
    const flaky = Object.create(directory) as Directory;
    flaky.readPeople = async (t: Tenant) => {
      const read = await directory.readPeople(t);
      if (fail) throw new Error('connection lost halfway');
      return read;
    };
    const index = newIndex(flaky);
    const failed = await Promise.allSettled(Array.from({ length: 5 }, () => index.list(tenant)));
    expect(failed.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    fail = false;
    const list = await index.list(tenant);
    expect(sams(list)).toHaveLength(7);
    expect(reads()).toBe(2);
  });

  it('shows an added, renamed, moved-out and moved-in employee after the next read of changes', async () => {
    const list = await newIndex(h.core.directory, { pollMs: 200 }).list(tenant);
    const other = await newIndex(h.core.directory, { pollMs: 200 }).list({ ...tenant, key: 'index-other', baseDn: OTHER_OU });

    const added = await addPerson('Nina Nieuw');
    await eventually(() => sams(list).includes('ix_ninanieuw'));
    expect(everyone(list).map((p) => p.displayName)).toContain('Nina Nieuw');

    await replace(added, 'displayName', 'Aaf Nieuw');
    await eventually(() => everyone(list)[0]?.displayName === 'Aaf Nieuw');
    expect(everyone(list).filter((p) => p.sam === 'ix_ninanieuw')).toHaveLength(1);

    // Moved to the environment next door: it leaves this list and joins that one.
    await asDomainAdmin((c) => c.modifyDN(added, dnOf('Nina Nieuw', OTHER_OU)));
    await eventually(() => !sams(list).includes('ix_ninanieuw') && sams(other).includes('ix_ninanieuw'));

    // Moved out of every environment (to CN=Users): gone from both.
    await asDomainAdmin((c) => c.modifyDN(dnOf('Nina Nieuw', OTHER_OU), `CN=Nina Nieuw,CN=Users,DC=corp,DC=test`));
    await eventually(() => !sams(other).includes('ix_ninanieuw'));
    expect(sams(list)).not.toContain('ix_ninanieuw');

    // And back in.
    await asDomainAdmin((c) => c.modifyDN(`CN=Nina Nieuw,CN=Users,DC=corp,DC=test`, added));
    await eventually(() => sams(list).includes('ix_ninanieuw'));
    await asDomainAdmin((c) => c.del(added));
  });

  it('drops a deleted employee at the next whole read', async () => {
    const index = newIndex(h.core.directory, { pollMs: 200, reloadMs: 1000 });
    const list = await index.list(tenant);
    const dn = await addPerson('Dirk Weg');
    await eventually(() => sams(list).includes('ix_dirkweg'));
    await asDomainAdmin((c) => c.del(dn));
    // A whole read replaces the list: ask the index for the current one.
    await eventually(async () => !sams(await index.list(tenant)).includes('ix_dirkweg'));
    expect(sams(await index.list(tenant))).toHaveLength(7);
  });

  it('reads everything again when the changes come from another domain controller, whose update numbers are not ours', async () => {
    const { mark } = await h.core.directory.readPeople(tenant);
    expect(await h.core.directory.peopleChangedSince({ ...mark, server: `CN=NTDS Settings,CN=DC9,${mark.server}` })).toBeNull();
    expect(await h.core.directory.peopleChangedSince(mark)).not.toBeNull();

    const { directory, reads } = counting(h.core.directory);
    let otherDc = false;
    const switching = Object.create(directory) as Directory;
    switching.peopleChangedSince = async (since) => (otherDc ? null : directory.peopleChangedSince(since));
    const index = newIndex(switching, { pollMs: 200 });
    await index.list(tenant);
    expect(reads()).toBe(1);
    otherDc = true;
    await eventually(() => reads() > 1);
  });

  it('never takes in a change outside the environment', async () => {
    const list = await newIndex(h.core.directory, { pollMs: 200 }).list(tenant);
    const before = sams(list);
    const outside = dnOf('Zeno Zee X', OTHER_OU);
    await replace(outside, 'displayName', 'Anna Aal');
    await replace(HOSTING.jmus.dn, 'description', `touched ${Date.now()}`);
    // A marker inside, changed after those: once it shows, the changes outside have been read too.
    const marker = await addPerson('Mark Eerst');
    await eventually(() => sams(list).includes('ix_markeerst'));
    expect(sams(list).filter((s) => s !== 'ix_markeerst')).toEqual(before);
    expect(everyone(list).every((p) => p.dn.endsWith(`,${OU}`))).toBe(true);
    await asDomainAdmin((c) => c.del(marker));
    await replace(outside, 'displayName', 'Zeno Zee');
  });
});

describe("the marks on a list's rows", () => {
  it('finds who is in a protected group with one search, asks nothing more while the marks are fresh, and reads them again after', async () => {
    const groupDn = `CN=Ix Board,${OU}`;
    await asDomainAdmin((c) => c.add(groupDn, { objectClass: 'group', cn: 'Ix Board', sAMAccountName: 'ix_board' }));
    const bram = dnOf('Bram Bos');
    const member = (operation: 'add' | 'delete') =>
      asDomainAdmin((c) => c.modify(groupDn, new Change({ operation, modification: new Attribute({ type: 'member', values: [bram] }) })));
    await member('add');
    const guarded: Tenant = { ...tenant, protectedGroupDns: [groupDn] };

    let searches = 0;
    const directory = Object.create(h.core.directory) as Directory;
    directory.inProtectedGroups = (t, guids) => {
      searches += 1;
      return h.core.directory.inProtectedGroups(t, guids);
    };
    const index = new PeopleIndex(directory, { pollMs: 60_000, reloadMs: 60 * 60_000, protectionMarksMs: 1500 });
    indexes.push(index);
    const people = everyone(await index.list(guarded));
    const names = async () => {
      const marked = await index.inProtectedGroups(guarded, people.map((p) => p.guid));
      return people.filter((p) => marked.has(p.guid)).map((p) => p.displayName);
    };

    expect(await names()).toEqual(['Bram Bos']);
    expect(searches).toBe(1);
    // Paging back and forth, or the list shown again after an action: no search.
    expect(await names()).toEqual(['Bram Bos']);
    expect(searches).toBe(1);

    // Taken out of the group: the mark lasts as long as it is fresh, then the directory is asked again.
    await member('delete');
    expect(await names()).toEqual(['Bram Bos']);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(await names()).toEqual([]);
    expect(searches).toBe(2);
  });
});

describe('an action on someone the list shows', () => {
  it('reads the target again: made protected or "password never expires" after the list was loaded, it is refused', async () => {
    const list = await newIndex(h.core.directory).list(tenant);
    const admin = await adminOf(h, HOSTING.admin);
    const bram = everyone(list).find((p) => p.sam === 'ix_brambos')!;
    expect(bram).toMatchObject({ facts: { adminCount: false } });

    await replace(bram.dn, 'adminCount', '1');
    expect((await caught(resetPassword(admin, tenant, { guid: bram.guid }, h.core))).code).toBe('TARGET_PROTECTED');
    await asDomainAdmin((c) => c.modify(bram.dn, new Change({ operation: 'delete', modification: new Attribute({ type: 'adminCount', values: [] }) })));

    await replace(bram.dn, 'userAccountControl', String(UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD));
    expect((await caught(resetPassword(admin, tenant, { guid: bram.guid }, h.core))).code).toBe('TARGET_PASSWORD_NEVER_EXPIRES');
    await replace(bram.dn, 'userAccountControl', String(UF_NORMAL_ACCOUNT));

    expect(await bindResult(bram.dn, SEED_PASSWORD)).toBe('ok');
    // Deleted after the list was loaded: refused too, whatever the list still shows.
    const gone = await addPerson('Gert Gone');
    const stale = await newIndex(h.core.directory).list(tenant);
    const gert = everyone(stale).find((p) => p.sam === 'ix_gertgone')!;
    await asDomainAdmin((c) => c.del(gone));
    expect((await caught(resetPassword(admin, tenant, { guid: gert.guid }, h.core))).code).toBe('TARGET_OUTSIDE_ENVIRONMENT');
  });
});
