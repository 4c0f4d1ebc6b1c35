/**
 * Direct looks at the test DC for the tests of the target checks: objects read as the domain admin
 * (bypassing the product), and what the service account could do if the product did not refuse.
 */
import { readFileSync } from 'node:fs';
import { Attribute, Change, Client } from 'ldapts';
import type { Person } from '../../src/directory/directory.js';
import { guidToString } from '../../src/directory/sid.js';
import { asDomainAdmin } from './directory.js';
import { DC_CA_FILE, LDAPS_URL, SERVICE_ACCOUNT } from './fixtures.js';

/**
 * Any directory object (a computer, krbtgt, the service account, a foreign security principal)
 * as a card could carry it: a Person-shaped object with its real objectGUID, read as the domain admin.
 */
export async function personShaped(dn: string): Promise<Person> {
  const entry = await asDomainAdmin(async (c) => {
    const { searchEntries } = await c.search(dn, {
      scope: 'base',
      attributes: ['objectGUID', 'sAMAccountName', 'displayName', 'cn'],
      explicitBufferAttributes: ['objectGUID'],
    });
    return searchEntries[0];
  });
  const guid = entry?.['objectGUID'];
  if (!entry || !Buffer.isBuffer(guid)) throw new Error(`no object with a GUID at ${dn}`);
  const sam = String(entry['sAMAccountName'] ?? entry['cn'] ?? '');
  return {
    dn: entry.dn,
    guid: guidToString(guid),
    sam,
    upn: null,
    displayName: String(entry['displayName'] ?? sam),
    mail: null,
    status: { disabled: false, lockedOut: false, mustChange: false, passwordNeverExpires: false, passwordExpired: false, lockedSince: null, passwordLastSet: null, accountExpires: null, accountExpired: false },
    facts: { userAccountControl: 512, computedAccountControl: 0, lockoutTime: null, pwdLastSet: null, accountExpires: null, adminCount: false, primaryGroupId: null },
  };
}

/**
 * Sets a password and "must change" the way the product does (one modify, bound as the service
 * account), without asking the product: proves that only the product's own check stands between
 * an admin and this account. The caller restores the seed password.
 */
export async function resetAsServiceAccount(dn: string, temporary: string): Promise<void> {
  const c = new Client({ url: LDAPS_URL, tlsOptions: { ca: [readFileSync(DC_CA_FILE)] }, timeout: 10_000 });
  try {
    await c.bind(SERVICE_ACCOUNT.dn, SERVICE_ACCOUNT.password);
    await c.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${temporary}"`, 'utf16le')] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) }),
    ]);
  } finally {
    await c.unbind().catch(() => undefined);
  }
}
