/**
 * The directory as the rest of the product sees it. Only src/directory knows LDAP; the use cases
 * and the bot talk to these interfaces.
 *
 * A `DirectoryConnection` is one bound service-account connection: an action borrows one with
 * `Directory.withConnection` (from a small pool of bound connections, src/directory/ldap-pool.ts)
 * and does its re-checks, lookups and the modify on it. The same
 * methods on `Directory` itself each open a connection of their own (for one-off calls).
 */
import type { Tenant } from '../config/config.js';

/** How many people a typed name may match before the admin must type more (one more tells "more"). */
export const MAX_MATCHES = 25;

export interface AccountStatus {
  readonly disabled: boolean;
  readonly lockedOut: boolean;
  /** pwdLastSet = 0: the next sign-in must choose a new password. */
  readonly mustChange: boolean;
  readonly passwordNeverExpires: boolean;
  readonly passwordExpired: boolean;
  /** When the lock-out began (lockoutTime), while the account is locked out; null otherwise. */
  readonly lockedSince: Date | null;
  /** When the password was last set (pwdLastSet); null while a change is forced or never set. */
  readonly passwordLastSet: Date | null;
  /** When the account expires (accountExpires); null for never. */
  readonly accountExpires: Date | null;
  readonly accountExpired: boolean;
}

/** What an action on an account is for: unlocking changes no password, so "password never expires" does not matter. */
export type AccountAction = 'reset' | 'unlock';

/**
 * The account's attributes as the directory returned them, for whoever words a status or marks a
 * row that will be refused (the list may show them a few seconds old; an action re-reads them).
 */
export interface AccountFacts {
  readonly userAccountControl: number;
  /** msDS-User-Account-Control-Computed (lock-out 0x10 and password expired 0x800000 live here). */
  readonly computedAccountControl: number;
  /** FILETIME strings as returned ('0' or absent: never locked / never set / never expires). */
  readonly lockoutTime: string | null;
  readonly pwdLastSet: string | null;
  readonly accountExpires: string | null;
  readonly adminCount: boolean;
  /** RID of the primary group (513 Domain Users for most); privileged when it names a privileged group. */
  readonly primaryGroupId: number | null;
}

/** An employee as listed: the seed's columns plus mail and status. */
export interface Person {
  readonly dn: string;
  readonly guid: string;
  readonly sam: string;
  readonly upn: string | null;
  readonly displayName: string;
  readonly mail: string | null;
  readonly status: AccountStatus;
  readonly facts: AccountFacts;
}

/**
 * A person as the in-memory list keeps them (src/employees/people-index.ts): the person, and what
 * only the list needs.
 */
export interface ListedPerson {
  readonly person: Person;
  /** Has a displayName of its own: only those are listed and found by `find` (the picker finds everyone). */
  readonly hasDisplayName: boolean;
  /** displayName, givenName, sn and cn: a typed name matches the start of one of these. */
  readonly names: readonly string[];
}

/**
 * How far the directory had come when people were read: the next read of changes starts here.
 * `server` names the domain controller (uSNChanged counts per DC): changes read from another one
 * cannot continue this mark.
 */
export interface ChangeMark {
  readonly server: string;
  readonly usn: bigint;
}

export interface PeopleRead {
  readonly people: readonly ListedPerson[];
  readonly mark: ChangeMark;
}

/** A signed-in admin, as the directory knew them at sign-in. */
export interface AdminIdentity {
  readonly dn: string;
  /** objectGUID: what the re-checks and the sign-in limiter key on (a DN or a name can change). */
  readonly guid: string;
  readonly upn: string | null;
  readonly sam: string;
  readonly displayName: string;
  /** pwdLastSet (FILETIME, as the directory returns it) when they signed in: a change ends the session. */
  readonly pwdLastSet: string;
}

/** What the re-check of an admin reads, on every action. */
export interface AdminAccountState {
  readonly disabled: boolean;
  readonly lockedOut: boolean;
  readonly passwordExpired: boolean;
  readonly accountExpired: boolean;
  readonly pwdLastSet: string;
}

/**
 * How far an account's password has come: what reconciliation compares before and after a change
 * whose outcome was not seen (src/reset/reconcile.ts). Nothing secret.
 */
export interface PasswordVersion {
  /** msDS-KeyVersionNumber: rises by one on every password set (by anyone). */
  readonly keyVersion: number;
  /** pwdLastSet as the directory returns it (FILETIME, 100 ns since 1601); '0' while a change is forced. */
  readonly pwdLastSet: string;
  /**
   * When the password was last set (the originating time of unicodePwd in replPropertyMetaData,
   * whole seconds, the DC's clock), or null when the directory does not let the account read it.
   */
  readonly passwordSetAt: Date | null;
}

/**
 * Where a page starts: after (or before) this person in the order (display name, objectGUID), so
 * that a cursor names one exact position even when many people share a name.
 */
export interface PageCursor {
  readonly displayName: string;
  readonly guid: string;
}

/**
 * The password rules the directory applies to an account: the domain's, or the fine-grained
 * policy (PSO) that applies to it where the service account may read that.
 */
export interface PasswordPolicy {
  readonly minLength: number;
  /** AD's complexity rule: three of upper case, lower case, digits, symbols; not the account name. */
  readonly complexity: boolean;
  /** How many earlier passwords may not be used again (a change checks it; a reset does not). */
  readonly historyLength: number;
  /** How long a password must be kept before the user may change it again, in minutes. */
  readonly minAgeMinutes: number;
  readonly source: 'domain' | 'fine-grained';
}

/** What the Password Change Portal (src/portal) asks of the directory; see DirectoryConnection. */
export interface PortalDirectory {
  /**
   * The one person of the environment whose sign-in name (UPN, `DOMAIN\name`, pre-Windows name
   * with or without the environment's prefix) is exactly `login`; null for none or several.
   * Reads only, binds as nobody.
   */
  findPersonByLogin(tenant: Tenant, login: string): Promise<Person | null>;
  /**
   * The user's own change: one modify that deletes the current password and adds the new one,
   * sent over the service connection (a must-change account cannot bind itself). The directory
   * checks the current password and the policy, history included. Throws PORTAL_CREDENTIALS_INVALID
   * for a wrong current password, PASSWORD_* for a policy refusal (AD's reason as detail),
   * DIRECTORY_OUTCOME_UNKNOWN when no answer came.
   */
  changePassword(tenant: Tenant, person: Person, current: string, next: string): Promise<void>;
  /**
   * Link mode: sets the password the employee chose, without a forced change (a reset: the
   * directory checks length and complexity, not history). Errors as for changePassword.
   */
  setChosenPassword(tenant: Tenant, person: Person, password: string): Promise<void>;
  /** The domain's password policy, or the fine-grained one that applies to `person` when it can be read. */
  passwordPolicy(person?: Person): Promise<PasswordPolicy>;
}

export interface DirectoryConnection extends PortalDirectory {
  /**
   * Everyone in the environment (a paged search, unsorted: the directory never sorts the whole
   * environment), with the mark to read changes from. Entries whose DN lies outside the
   * environment or cannot be parsed are left out.
   */
  readPeople(tenant: Tenant): Promise<PeopleRead>;
  /**
   * Every person in the domain changed at or after `since` (wherever they are now: a person moved
   * out of an environment shows up here with their new DN), or null when this connection reached
   * another domain controller than the mark's, whose changes cannot be counted from it.
   */
  peopleChangedSince(since: ChangeMark): Promise<PeopleRead | null>;
  /** Resolves what an admin typed (`jmus`, `sbf_jmus`, a UPN or mail, a name) within the environment. */
  resolvePeople(tenant: Tenant, reference: string): Promise<readonly Person[]>;
  /** Re-reads one person by objectGUID, inside the environment, or null. */
  findPersonByGuid(tenant: Tenant, guid: string): Promise<Person | null>;
  /**
   * The one account a sign-in name (UPN, `DOMAIN\name` or sAMAccountName) names among the members
   * (nesting included) of these environments' admin groups; null for anyone else or an ambiguous
   * name. No bind: nobody else's password is ever tried.
   */
  findAdmin(login: string, tenants: readonly Tenant[]): Promise<AdminIdentity | null>;
  /** The environments whose admin group holds the admin (by objectGUID), nesting included. */
  administeredTenants(adminGuid: string, tenants: readonly Tenant[]): Promise<readonly Tenant[]>;
  /** The admin's account as it is now, or null when they are no longer in the environment's admin group. */
  adminAccount(adminGuid: string, tenant: Tenant): Promise<AdminAccountState | null>;
  /**
   * Throws TARGET_* when the person may not be reset (or, for 'unlock', unlocked) from this
   * environment; returns them as read now.
   */
  assertResettable(tenant: Tenant, person: Person, purpose?: AccountAction): Promise<Person>;
  /**
   * The account's password version, read by objectGUID anywhere in the domain (an account that has
   * since left the environment still tells what happened to it); null when there is no such account.
   * Throws DIRECTORY_ERROR when msDS-KeyVersionNumber cannot be read.
   */
  passwordVersion(guid: string): Promise<PasswordVersion | null>;
  /**
   * Sets the password and forces a change at next logon, in one modify, on `person` as
   * `assertResettable` returned it on this connection (the caller checks first; nothing but the
   * audit intent may come between, so that the modify follows its intent at once).
   * When the modify was sent but no answer came (timeout, connection lost), throws
   * DIRECTORY_OUTCOME_UNKNOWN: the change may or may not have been applied. Every other failure
   * means it was not.
   */
  setTemporaryPassword(tenant: Tenant, person: Person, password: string): Promise<void>;
  /**
   * Ends a lock-out (lockoutTime = 0, one modify) of `person` as `assertResettable(…, 'unlock')`
   * returned it on this connection. DIRECTORY_OUTCOME_UNKNOWN when no answer came.
   */
  unlockAccount(tenant: Tenant, person: Person): Promise<void>;
  /**
   * Of these accounts (objectGUIDs), those that are members, nesting included, of an environment's
   * admin group, a protected group or a privileged group (those with adminCount=1, read once): one
   * search, for marking a page. The refusal itself is always decided by `assertResettable`.
   */
  inProtectedGroups(tenant: Tenant, guids: readonly string[]): Promise<ReadonlySet<string>>;
}

export interface Directory extends DirectoryConnection {
  /** Runs `work` on one bound service connection, closed afterwards. */
  withConnection<T>(work: (connection: DirectoryConnection) => Promise<T>): Promise<T>;
  /**
   * Binds as the account (by DN) on a connection of its own; throws AUTH_INVALID_CREDENTIALS with
   * the directory's reason in `detail`. An empty password never reaches a bind.
   */
  verifyPassword(dn: string, password: string): Promise<void>;
  /**
   * What is wrong with the directory's side of the configuration (admin or protected groups that
   * are missing, or admin groups that are not security groups), naming the setting; [] when fine.
   */
  checkSetup(): Promise<string[]>;
  /** Binds as the service account and reads the root DSE: for health checks. */
  ping(): Promise<void>;
  /** Closes the connections kept for the next actions. */
  close(): void;
}
