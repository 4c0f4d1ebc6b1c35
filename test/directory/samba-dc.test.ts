/**
 * The test DC itself: what test/support/global-setup.ts starts holds exactly what fixtures.ts
 * says, and behaves like the Active Directory the bot is written for.
 */
import { readFileSync } from 'node:fs';
import {
  AndFilter,
  Attribute,
  Change,
  Client,
  EqualityFilter,
  InsufficientAccessError,
  InvalidCredentialsError,
  type Entry,
} from 'ldapts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACME,
  ACME_OU,
  bulkPerson,
  DC_CA_FILE,
  DOMAIN_ADMIN,
  DOMAIN_ADMINS_GROUP_DN,
  FABRIKAM,
  FABRIKAM_OU,
  FABRIKAM_TWIN_COUNT,
  fabrikamTwin,
  HOSTING,
  HOSTING_BULK_COUNT,
  HOSTING_OU,
  LDAPS_URL,
  PROVIDER_STAFF_GROUP_DN,
  PROVIDER_SUPPORT_GROUP_DN,
  SEED_PASSWORD,
  SERVICE_ACCOUNT,
  type SeedPerson,
} from '../support/fixtures.js';

const clients: Client[] = [];

function client(): Client {
  const c = new Client({ url: LDAPS_URL, tlsOptions: { ca: [readFileSync(DC_CA_FILE)] }, timeout: 10_000, connectTimeout: 5_000 });
  clients.push(c);
  return c;
}

async function boundAs(dn: string, password: string): Promise<Client> {
  const c = client();
  await c.bind(dn, password);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.unbind().catch(() => undefined)));
});

/** The error a bind throws, or undefined when it succeeds. */
async function bindError(dn: string, password: string): Promise<unknown> {
  const c = client();
  try {
    await c.bind(dn, password);
    return undefined;
  } catch (error) {
    return error;
  }
}

function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

function replace(type: string, value: string | Buffer): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] as string[] | Buffer[] }) });
}

/** S-1-5-21-… from the binary form (revision, count, 48-bit big-endian authority, LE sub-authorities). */
function sidToString(sid: Buffer): string {
  const count = sid.readUInt8(1);
  const authority = sid.readUIntBE(2, 6);
  const subs = Array.from({ length: count }, (_, i) => sid.readUInt32LE(8 + 4 * i));
  return ['S', sid.readUInt8(0), authority, ...subs].join('-');
}

function one(value: Entry[string] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

async function sidOf(c: Client, dn: string): Promise<string> {
  const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] });
  return sidToString(searchEntries[0]?.['objectSid'] as Buffer);
}

const hostingPeople: SeedPerson[] = [
  HOSTING.admin,
  HOSTING.info,
  HOSTING.jmus,
  HOSTING.avries,
  HOSTING.bjansen,
  HOSTING.nomail,
  HOSTING.domainAdmin,
  HOSTING.neverExpires,
  HOSTING.formerAdmin,
  HOSTING.lateAdmin,
  HOSTING.staff,
  HOSTING.board,
  HOSTING.admin2,
  ...Array.from({ length: HOSTING_BULK_COUNT }, (_, i) => bulkPerson(i + 1)),
];
const acmePeople: SeedPerson[] = [ACME.admin, ACME.jdoe, ACME.jmus];
const fabrikamPeople: SeedPerson[] = [
  FABRIKAM.admin,
  FABRIKAM.aaron,
  FABRIKAM.zora,
  FABRIKAM.trailingSpace,
  FABRIKAM.comma,
  FABRIKAM.hash,
  FABRIKAM.plus,
  ...Array.from({ length: FABRIKAM_TWIN_COUNT }, (_, i) => fabrikamTwin(i + 1)),
];
/** The only tenant people with adminCount=1: the protected Domain Admin and the orphaned one. */
const withAdminCount = new Set<string>([HOSTING.domainAdmin.dn, HOSTING.formerAdmin.dn]);

const GLOBAL_SECURITY_GROUP = '-2147483646';
const GLOBAL_DISTRIBUTION_GROUP = '2';

/** Resets a password as the service account (forcing a change), then puts the seed password back as the Domain Admin. */
async function resetAsServiceAccountAndRestore(person: SeedPerson, temporary: string): Promise<void> {
  const svc = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
  try {
    await svc.modify(person.dn, [replace('unicodePwd', unicodePwd(temporary)), replace('pwdLastSet', '0')]);
    const withTemporary = await bindError(person.upn, temporary);
    expect(withTemporary).toBeInstanceOf(InvalidCredentialsError);
    expect((withTemporary as Error).message).toContain('data 773');
  } finally {
    const admin = await boundAs(DOMAIN_ADMIN.dn, DOMAIN_ADMIN.password);
    await admin.modify(person.dn, [replace('unicodePwd', unicodePwd(SEED_PASSWORD)), replace('pwdLastSet', '-1')]);
  }
  expect(await bindError(person.upn, SEED_PASSWORD)).toBeUndefined();
}

async function tokenGroupsOf(c: Client, dn: string): Promise<string[]> {
  const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['tokenGroups'], explicitBufferAttributes: ['tokenGroups'] });
  return [searchEntries[0]?.['tokenGroups'] ?? []].flat().map((sid) => sidToString(sid as Buffer));
}

describe('the test Samba DC', () => {
  it('lets the service account bind over LDAPS', async () => {
    expect(await bindError(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password)).toBeUndefined();
  });

  it('holds exactly the people of fixtures.ts', async () => {
    const c = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    for (const [ou, expected] of [
      [HOSTING_OU, hostingPeople],
      [ACME_OU, acmePeople],
      [FABRIKAM_OU, fabrikamPeople],
    ] as const) {
      const { searchEntries } = await c.search(ou, {
        filter: new AndFilter({
          filters: [new EqualityFilter({ attribute: 'objectCategory', value: 'person' }), new EqualityFilter({ attribute: 'objectClass', value: 'user' })],
        }),
        attributes: ['sAMAccountName', 'userPrincipalName', 'mail', 'displayName', 'userAccountControl', 'adminCount'],
      });
      const found = searchEntries
        .map((e) => ({
          dn: e.dn,
          sam: one(e['sAMAccountName']),
          upn: one(e['userPrincipalName']),
          ...(e['mail'] ? { mail: one(e['mail']) } : {}),
          displayName: one(e['displayName']),
        }))
        .sort((a, b) => a.dn.localeCompare(b.dn));
      expect(found).toEqual([...expected].sort((a, b) => a.dn.localeCompare(b.dn)));
      for (const e of searchEntries) {
        expect(one(e['userAccountControl']), e.dn).toBe(e.dn === HOSTING.neverExpires.dn ? String(0x10200) : '512');
        expect(one(e['adminCount']), e.dn).toBe(withAdminCount.has(e.dn) ? '1' : undefined);
      }
    }

    const { searchEntries: computers } = await c.search(HOSTING_OU, {
      filter: new EqualityFilter({ attribute: 'objectCategory', value: 'computer' }),
      attributes: ['sAMAccountName'],
    });
    expect(computers.map((e) => [e.dn, one(e['sAMAccountName'])])).toEqual([[HOSTING.computer.dn, HOSTING.computer.sam]]);

    const members = async (dn: string, groupType = GLOBAL_SECURITY_GROUP) => {
      const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['member', 'groupType'] });
      const entry = searchEntries[0];
      expect(one(entry?.['groupType']), dn).toBe(groupType);
      return [entry?.['member'] ?? []].flat().map(String).sort();
    };
    expect(await members(HOSTING.adminGroupDn)).toEqual([HOSTING.helpdeskGroupDn]);
    expect(await members(HOSTING.helpdeskGroupDn)).toEqual([HOSTING.admin.dn, HOSTING.admin2.dn].sort());
    expect(await members(HOSTING.boardGroupDn)).toEqual([HOSTING.board.dn]);
    expect(await members(HOSTING.escalationGroupDn)).toEqual([HOSTING.lateAdmin.dn]);
    expect(await members(PROVIDER_SUPPORT_GROUP_DN)).toEqual([HOSTING.staff.dn]);
    expect(await members(PROVIDER_STAFF_GROUP_DN)).toEqual([PROVIDER_SUPPORT_GROUP_DN]);
    expect(await members(ACME.adminGroupDn)).toEqual([ACME.admin.dn]);
    expect(await members(FABRIKAM.adminGroupDn)).toEqual([FABRIKAM.admin.dn]);
    expect(await members(FABRIKAM.mailingGroupDn, GLOBAL_DISTRIBUTION_GROUP)).toEqual([FABRIKAM.admin.dn]);
    const domainAdmins = await members(DOMAIN_ADMINS_GROUP_DN);
    expect(domainAdmins).toContain(HOSTING.domainAdmin.dn);
    expect(domainAdmins).toContain(HOSTING.escalationGroupDn);
  });

  it('returns the DNs that need RFC 4514 escapes exactly as fixtures.ts spells them, and finds them by those DNs', async () => {
    const c = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    expect(FABRIKAM.trailingSpace.dn).toBe(`CN=Zz Trailing\\ ,${FABRIKAM_OU}`);
    expect(FABRIKAM.comma.dn).toBe(`CN=Vries\\, Piet de,${FABRIKAM_OU}`);
    expect(FABRIKAM.hash.dn).toBe(`CN=\\#Hash Persoon,${FABRIKAM_OU}`);
    expect(FABRIKAM.plus.dn).toBe(`CN=Plus\\+Min,${FABRIKAM_OU}`);
    for (const [person, cn] of [
      [FABRIKAM.trailingSpace, 'Zz Trailing '],
      [FABRIKAM.comma, 'Vries, Piet de'],
      [FABRIKAM.hash, '#Hash Persoon'],
      [FABRIKAM.plus, 'Plus+Min'],
    ] as const) {
      const bySam = await c.search(FABRIKAM_OU, {
        filter: new EqualityFilter({ attribute: 'sAMAccountName', value: person.sam }),
        attributes: ['cn'],
      });
      expect(bySam.searchEntries.map((e) => [e.dn, one(e['cn'])])).toEqual([[person.dn, cn]]);
      const byDn = await c.search(person.dn, { scope: 'base', attributes: ['sAMAccountName'] });
      expect(byDn.searchEntries.map((e) => one(e['sAMAccountName']))).toEqual([person.sam]);
    }
  });

  it('lets a person bind by UPN with the seed password', async () => {
    expect(await bindError(HOSTING.jmus.upn, SEED_PASSWORD)).toBeUndefined();
  });

  it("finds a person in Hosting's OU by sAMAccountName", async () => {
    const c = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    const { searchEntries } = await c.search(HOSTING_OU, {
      filter: new EqualityFilter({ attribute: 'sAMAccountName', value: HOSTING.jmus.sam }),
      attributes: ['userPrincipalName'],
    });
    expect(searchEntries.map((e) => [e.dn, one(e['userPrincipalName'])])).toEqual([[HOSTING.jmus.dn, HOSTING.jmus.upn]]);
  });

  it('lets the service account reset a person in one modify, forcing a change at next logon', async () => {
    const temporary = 'Tijdelijk-Wachtwoord-42!';
    const svc = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    try {
      await svc.modify(HOSTING.jmus.dn, [replace('unicodePwd', unicodePwd(temporary)), replace('pwdLastSet', '0')]);

      const withTemporary = await bindError(HOSTING.jmus.upn, temporary);
      expect(withTemporary).toBeInstanceOf(InvalidCredentialsError);
      expect((withTemporary as Error).message).toContain('data 773');

      const withOld = await bindError(HOSTING.jmus.upn, SEED_PASSWORD);
      expect(withOld).toBeInstanceOf(InvalidCredentialsError);
      expect((withOld as Error).message).toContain('data 52e');
    } finally {
      // Later tests start from the seed password.
      const admin = await boundAs(DOMAIN_ADMIN.dn, DOMAIN_ADMIN.password);
      await admin.modify(HOSTING.jmus.dn, [replace('unicodePwd', unicodePwd(SEED_PASSWORD)), replace('pwdLastSet', '-1')]);
    }
    expect(await bindError(HOSTING.jmus.upn, SEED_PASSWORD)).toBeUndefined();
  });

  it('refuses the service account a reset of a Domain Admin inside the tenant OU', async () => {
    const svc = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    await expect(
      svc.modify(HOSTING.domainAdmin.dn, [replace('unicodePwd', unicodePwd('Tijdelijk-Wachtwoord-43!')), replace('pwdLastSet', '0')]),
    ).rejects.toBeInstanceOf(InsufficientAccessError);
    expect(await bindError(HOSTING.domainAdmin.upn, SEED_PASSWORD)).toBeUndefined();
  });

  it('lets the service account reset the account with an orphaned adminCount (its DACL is inherited)', async () => {
    await resetAsServiceAccountAndRestore(HOSTING.formerAdmin, 'Tijdelijk-Wachtwoord-44!');
  });

  it('lets the service account reset a Domain Admin that the protection step has not reached: only tokenGroups tell', async () => {
    const svc = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    const { searchEntries } = await svc.search(HOSTING.lateAdmin.dn, { scope: 'base', attributes: ['adminCount'] });
    expect(one(searchEntries[0]?.['adminCount'])).toBeUndefined();
    const tokenGroups = await tokenGroupsOf(svc, HOSTING.lateAdmin.dn);
    expect(tokenGroups).toContain(await sidOf(svc, HOSTING.escalationGroupDn));
    expect(tokenGroups).toContain(await sidOf(svc, DOMAIN_ADMINS_GROUP_DN));
    await resetAsServiceAccountAndRestore(HOSTING.lateAdmin, 'Tijdelijk-Wachtwoord-45!');
  });

  it("shows nested provider and board groups in a person's tokenGroups", async () => {
    const svc = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    const staff = await tokenGroupsOf(svc, HOSTING.staff.dn);
    expect(staff).toContain(await sidOf(svc, PROVIDER_SUPPORT_GROUP_DN));
    expect(staff).toContain(await sidOf(svc, PROVIDER_STAFF_GROUP_DN));
    expect(await tokenGroupsOf(svc, HOSTING.board.dn)).toContain(await sidOf(svc, HOSTING.boardGroupDn));
    const admin2 = await tokenGroupsOf(svc, HOSTING.admin2.dn);
    expect(admin2).toContain(await sidOf(svc, HOSTING.adminGroupDn));
    // A distribution group is no security principal: it never appears in tokenGroups.
    expect(await tokenGroupsOf(svc, FABRIKAM.admin.dn)).toEqual(
      expect.arrayContaining([await sidOf(svc, FABRIKAM.adminGroupDn)]),
    );
    expect(await tokenGroupsOf(svc, FABRIKAM.admin.dn)).not.toContain(await sidOf(svc, FABRIKAM.mailingGroupDn));
  });

  it("lets the service account read a person's tokenGroups, nested groups included", async () => {
    const svc = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    const { searchEntries } = await svc.search(HOSTING.admin.dn, {
      scope: 'base',
      attributes: ['tokenGroups'],
      explicitBufferAttributes: ['tokenGroups'],
    });
    const tokenGroups = [searchEntries[0]?.['tokenGroups'] ?? []].flat().map((sid) => sidToString(sid as Buffer));
    expect(tokenGroups).toContain(await sidOf(svc, HOSTING.adminGroupDn));
    expect(tokenGroups).toContain(await sidOf(svc, HOSTING.helpdeskGroupDn));
    expect(tokenGroups).not.toContain(await sidOf(svc, ACME.adminGroupDn));
  });
});
