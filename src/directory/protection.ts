/**
 * Which accounts a reset must never touch, decided on facts read fresh from the directory. A pure
 * function, so that every guard can be shown to matter on its own (test/directory/protection.test.ts),
 * while the LDAP side only gathers the facts (src/directory/ldap-directory.ts).
 */
import { AppError } from '../errors/catalog.js';
import type { AccountAction, Person } from './directory.js';
import { dnEquals, isDnWithin } from './dn.js';
import { KRBTGT_RID, PRIVILEGED_BUILTIN_SIDS, PRIVILEGED_DOMAIN_RIDS, PRIVILEGED_FOREST_RIDS } from './sid.js';

/** The target as the directory returned it, re-read by objectGUID. */
export interface TargetFacts {
  /** The DN the server returned (never the one a card carried). */
  readonly dn: string;
  /** objectCategory person, objectClass user and not computer. */
  readonly isPerson: boolean;
  readonly sid: string;
  readonly sam: string;
  readonly adminCount: boolean;
  /** tokenGroups: every security group, nesting and the primary group included. */
  readonly groupSids: ReadonlySet<string>;
  /** Member (nesting included) of any environment's admin group. */
  readonly inAdminGroup: boolean;
  /** Member (nesting included) of a group in `protectedGroupDns`. */
  readonly inProtectedGroup: boolean;
  readonly passwordNeverExpires: boolean;
}

export interface ProtectionContext {
  readonly baseDn: string;
  readonly serviceAccountDn: string;
  /** The SID of the target's own domain (domain-wide groups, krbtgt). */
  readonly domainSid: string;
  /** The SID of the forest root domain (Enterprise and Schema Admins live there). */
  readonly forestRootSid: string;
}

/** The SIDs of the groups whose members can take over the domain or the forest. */
export function privilegedSids(domainSid: string, forestRootSid: string): Set<string> {
  return new Set([
    ...Object.values(PRIVILEGED_DOMAIN_RIDS).map((rid) => `${domainSid}-${rid}`),
    ...Object.values(PRIVILEGED_FOREST_RIDS).map((rid) => `${forestRootSid}-${rid}`),
    ...PRIVILEGED_BUILTIN_SIDS,
  ]);
}

/**
 * Null when the target may be reset (or unlocked, `purpose` 'unlock') from this environment;
 * otherwise the refusal. Unlocking is refused for the same accounts, except that "password never
 * expires" is no reason: no password changes.
 */
export function refusalFor(target: TargetFacts, context: ProtectionContext, purpose: AccountAction = 'reset'): AppError | null {
  if (!isDnWithin(target.dn, context.baseDn)) return new AppError('TARGET_OUTSIDE_ENVIRONMENT');
  if (!target.isPerson) return new AppError('TARGET_NOT_PERSON');
  if (target.sid === `${context.domainSid}-${KRBTGT_RID}` || target.sam.toLowerCase() === 'krbtgt') {
    return new AppError('TARGET_PROTECTED', { detail: 'krbtgt' });
  }
  if (dnEquals(target.dn, context.serviceAccountDn)) return new AppError('TARGET_PROTECTED', { detail: 'service account' });
  if (target.adminCount) return new AppError('TARGET_PROTECTED', { detail: 'adminCount' });
  const privileged = privilegedSids(context.domainSid, context.forestRootSid);
  if ([...target.groupSids].some((sid) => privileged.has(sid))) return new AppError('TARGET_PROTECTED', { detail: 'privileged group' });
  if (target.inAdminGroup) return new AppError('TARGET_PROTECTED', { detail: 'admin group' });
  if (target.inProtectedGroup) return new AppError('TARGET_PROTECTED', { detail: 'protected group' });
  // With DONT_EXPIRE_PASSWD, pwdLastSet=0 does not force the change: the password would not be single-use.
  if (target.passwordNeverExpires && purpose === 'reset') return new AppError('TARGET_PASSWORD_NEVER_EXPIRES');
  return null;
}

/** Why a list or card marks an account as one the bot will refuse (the server decides anew on each action). */
export type RefusalMark = 'own' | 'protected' | 'never-expires';

/**
 * The mark for an account as listed: the admin's own account, a protected one (adminCount, a
 * privileged primary group, or `inProtectedGroup` from one search per page), or "password never
 * expires". Null for an account a reset would be tried on.
 */
export function refusalMark(person: Person, adminGuid: string, inProtectedGroup: boolean): RefusalMark | null {
  if (person.guid.toLowerCase() === adminGuid.toLowerCase()) return 'own';
  const rid = person.facts.primaryGroupId;
  const privilegedRids: readonly number[] = [...Object.values(PRIVILEGED_DOMAIN_RIDS), ...Object.values(PRIVILEGED_FOREST_RIDS)];
  if (inProtectedGroup || person.facts.adminCount || (rid !== null && privilegedRids.includes(rid)) || person.sam.toLowerCase() === 'krbtgt') return 'protected';
  if (person.status.passwordNeverExpires) return 'never-expires';
  return null;
}
