/**
 * Membership through the primary group (primaryGroupID), which the LDAP chain rule for nested
 * groups does not see: a protected group that is an employee's primary group still protects them.
 */
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetPassword } from '../../src/reset/reset-password.js';
import { caught } from '../support/errors.js';
import { asDomainAdmin, bindResult, restoreSeedPassword } from '../support/directory.js';
import { bulkPerson, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { adminOf, startHarness, type Harness } from '../support/harness.js';

const employee = bulkPerson(45);
let h: Harness;

async function rid(dn: string): Promise<number> {
  return asDomainAdmin(async (c) => {
    const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] });
    const sid = searchEntries[0]?.['objectSid'] as Buffer;
    return sid.readUInt32LE(sid.length - 4);
  });
}

const modify = (dn: string, operation: 'add' | 'delete' | 'replace', type: string, value: string) =>
  asDomainAdmin((c) => c.modify(dn, new Change({ operation, modification: new Attribute({ type, values: [value] }) })));

beforeAll(async () => {
  h = await startHarness();
  // The board group (protected in Hosting) becomes this employee's primary group.
  await modify(HOSTING.boardGroupDn, 'add', 'member', employee.dn);
  await modify(employee.dn, 'replace', 'primaryGroupID', String(await rid(HOSTING.boardGroupDn)));
});

afterAll(async () => {
  await modify(employee.dn, 'replace', 'primaryGroupID', '513');
  await modify(HOSTING.boardGroupDn, 'delete', 'member', employee.dn).catch(() => undefined);
  await restoreSeedPassword(employee.dn);
  await h.close();
});

describe('protection through the primary group', () => {
  it('refuses an employee whose primary group is a protected group, which the chain rule does not see', async () => {
    // AD lists no primary group in `member`: only tokenGroups shows it.
    const members = await asDomainAdmin(async (c) => (await c.search(HOSTING.boardGroupDn, { scope: 'base', attributes: ['member'] })).searchEntries[0]?.['member']);
    expect(JSON.stringify(members ?? [])).not.toContain(employee.dn);
    const error = await caught(resetPassword(await adminOf(h, HOSTING.admin), h.hosting, { reference: employee.sam }, h.core));
    expect(error.code).toBe('TARGET_PROTECTED');
    expect(error.detail).toBe('protected group');
    expect(await bindResult(employee.upn, SEED_PASSWORD)).toBe('ok');
  });
});
