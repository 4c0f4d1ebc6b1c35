/** Binary Windows identifiers (objectSid, tokenGroups, objectGUID) in their usual text forms. */

export function sidToString(sid: Buffer): string {
  if (sid.length < 8) throw new Error('SID too short');
  const revision = sid.readUInt8(0);
  const subCount = sid.readUInt8(1);
  const authority = sid.readUIntBE(2, 6);
  const parts = [`S-${revision}-${authority}`];
  for (let i = 0; i < subCount; i++) parts.push(String(sid.readUInt32LE(8 + i * 4)));
  return parts.join('-');
}

/** The domain part of an account SID: everything but the last (relative) identifier. */
export function domainSidOf(accountSid: string): string {
  return accountSid.slice(0, accountSid.lastIndexOf('-'));
}

/** objectGUID bytes in the registry-style text form AD tools show (first three fields little-endian). */
export function guidToString(guid: Buffer): string {
  if (guid.length !== 16) throw new Error('GUID must be 16 bytes');
  const hex = (start: number, end: number, reverse: boolean) => {
    const bytes = [...guid.subarray(start, end)];
    return (reverse ? bytes.reverse() : bytes).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}

/** The objectGUID bytes of a GUID text, or undefined when the text is not a GUID (card data is untrusted). */
export function parseGuid(guid: string): Buffer | undefined {
  try {
    return guidToBuffer(guid);
  } catch {
    return undefined;
  }
}

export function guidToBuffer(guid: string): Buffer {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid);
  if (!match) throw new Error('not a GUID');
  const [, a, b, c, d, e] = match as unknown as [string, string, string, string, string, string];
  const le = (h: string) => Buffer.from(h, 'hex').reverse();
  return Buffer.concat([le(a), le(b), le(c), Buffer.from(d + e, 'hex')]);
}

/** Well-known relative ids of privileged groups of each domain (relative to that domain's SID). */
export const PRIVILEGED_DOMAIN_RIDS = {
  domainAdmins: 512,
  domainControllers: 516,
  readOnlyDomainControllers: 521,
  keyAdmins: 526,
} as const;

/**
 * Privileged groups that exist once per forest, in its root domain: relative to the forest root
 * domain's SID, which differs from the user's own in a child domain.
 */
export const PRIVILEGED_FOREST_RIDS = {
  schemaAdmins: 518,
  enterpriseAdmins: 519,
  enterpriseKeyAdmins: 527,
} as const;

/** Builtin groups whose members can take over the domain. */
export const PRIVILEGED_BUILTIN_SIDS = [
  'S-1-5-32-544', // Administrators
  'S-1-5-32-548', // Account Operators
  'S-1-5-32-549', // Server Operators
  'S-1-5-32-550', // Print Operators
  'S-1-5-32-551', // Backup Operators
] as const;

export const KRBTGT_RID = 502;
