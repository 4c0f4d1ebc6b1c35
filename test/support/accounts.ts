/**
 * What a directory operator does to an account while the bot runs: disable, lock out, expire,
 * change its password, take it out of a group, and read its bad-password count. All through the
 * test DC as its domain admin, as `ldapmodify` would.
 */
import { Attribute, Change } from 'ldapts';
import { as, asDomainAdmin, bindResult, setDomainAttribute } from './directory.js';
import { SERVICE_ACCOUNT } from './fixtures.js';

async function read(dn: string, attribute: string): Promise<string | undefined> {
  return asDomainAdmin(async (c) => {
    const { searchEntries } = await c.search(dn, { scope: 'base', attributes: [attribute] });
    const value = searchEntries[0]?.[attribute];
    return value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);
  });
}

async function replace(dn: string, attribute: string, value: string): Promise<void> {
  await asDomainAdmin((c) => c.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: attribute, values: [value] }) })));
}

/**
 * badPwdCount as the DC keeps it (Samba counts only while the domain has a lock-out threshold).
 * Read as the service account, so that Administrator's own count is not reset by the reading bind.
 */
export async function badPwdCount(dn: string): Promise<number> {
  return as(SERVICE_ACCOUNT, async (c) => {
    const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['badPwdCount'] });
    return Number(searchEntries[0]?.['badPwdCount'] ?? '0');
  });
}

/** Runs `work` with a lock-out threshold on the test domain, and takes it away afterwards. */
export async function withLockoutThreshold<T>(threshold: number, work: () => Promise<T>): Promise<T> {
  const previous = await setDomainAttribute('lockoutThreshold', String(threshold));
  try {
    return await work();
  } finally {
    await setDomainAttribute('lockoutThreshold', previous || '0');
  }
}

/** Sets a flag of userAccountControl on or off; returns a function that puts the old value back. */
export async function setAccountFlag(dn: string, flag: number, on: boolean): Promise<() => Promise<void>> {
  const before = Number(await read(dn, 'userAccountControl'));
  await replace(dn, 'userAccountControl', String(on ? before | flag : before & ~flag));
  return () => replace(dn, 'userAccountControl', String(before));
}

export const UF_ACCOUNTDISABLE = 0x2;

/** accountExpires in the past (FILETIME 1: the first tick of 1601); returns the undo. */
export async function expireAccount(dn: string): Promise<() => Promise<void>> {
  const before = (await read(dn, 'accountExpires')) ?? '9223372036854775807';
  await replace(dn, 'accountExpires', '1');
  return () => replace(dn, 'accountExpires', before);
}

/** Locks the account out for real: wrong binds by DN up to the threshold. Returns the undo. */
export async function lockOut(dn: string): Promise<() => Promise<void>> {
  const previous = await setDomainAttribute('lockoutThreshold', '3');
  for (let i = 0; i < 3; i++) await bindResult(dn, 'Wrong-Password-to-lock-1');
  return async () => {
    await replace(dn, 'lockoutTime', '0');
    await setDomainAttribute('lockoutThreshold', previous || '0');
  };
}

/** Removes `memberDn` from the group; returns the undo. */
export async function removeFromGroup(groupDn: string, memberDn: string): Promise<() => Promise<void>> {
  const change = (operation: 'add' | 'delete') =>
    asDomainAdmin((c) => c.modify(groupDn, new Change({ operation, modification: new Attribute({ type: 'member', values: [memberDn] }) })));
  await change('delete');
  return () => change('add');
}
