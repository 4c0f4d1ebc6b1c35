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
  BASE_DN,
  bulkPerson,
  DC_CA_FILE,
  DOMAIN_ADMIN,
  HOSTING,
  HOSTING_BULK_COUNT,
  HOSTING_OU,
  LDAPS_URL,
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
  ...Array.from({ length: HOSTING_BULK_COUNT }, (_, i) => bulkPerson(i + 1)),
];
const acmePeople: SeedPerson[] = [ACME.admin, ACME.jdoe, ACME.jmus];

describe('the test Samba DC', () => {
  it('lets the service account bind over LDAPS', async () => {
    expect(await bindError(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password)).toBeUndefined();
  });

  it('holds exactly the people of fixtures.ts', async () => {
    const c = await boundAs(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    for (const [ou, expected] of [
      [HOSTING_OU, hostingPeople],
      [ACME_OU, acmePeople],
    ] as const) {
      const { searchEntries } = await c.search(ou, {
        filter: new AndFilter({
          filters: [new EqualityFilter({ attribute: 'objectCategory', value: 'person' }), new EqualityFilter({ attribute: 'objectClass', value: 'user' })],
        }),
        attributes: ['sAMAccountName', 'userPrincipalName', 'mail', 'displayName', 'userAccountControl'],
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
      }
    }

    const { searchEntries: computers } = await c.search(HOSTING_OU, {
      filter: new EqualityFilter({ attribute: 'objectCategory', value: 'computer' }),
      attributes: ['sAMAccountName'],
    });
    expect(computers.map((e) => [e.dn, one(e['sAMAccountName'])])).toEqual([[HOSTING.computer.dn, HOSTING.computer.sam]]);

    const members = async (dn: string) => {
      const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['member', 'groupType'] });
      const entry = searchEntries[0];
      expect(one(entry?.['groupType']), dn).toBe('-2147483646');
      return [entry?.['member'] ?? []].flat().map(String);
    };
    expect(await members(HOSTING.adminGroupDn)).toEqual([HOSTING.helpdeskGroupDn]);
    expect(await members(HOSTING.helpdeskGroupDn)).toEqual([HOSTING.admin.dn]);
    expect(await members(ACME.adminGroupDn)).toEqual([ACME.admin.dn]);
    const { searchEntries: admins } = await c.search(`CN=Domain Admins,CN=Users,${BASE_DN}`, { scope: 'base', attributes: ['member'] });
    expect([admins[0]?.['member'] ?? []].flat().map(String)).toContain(HOSTING.domainAdmin.dn);
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
