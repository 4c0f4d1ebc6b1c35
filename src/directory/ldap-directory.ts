/**
 * The Directory over LDAP (ldapts), for Active Directory and Samba AD.
 * Every connection is encrypted and verified (LDAPS, or StartTLS before any bind). Filters are
 * built only from ldapts' filter classes, which escape values. Every DN the server returns is
 * parsed and checked against the environment before it is used; an entry whose DN cannot be
 * parsed is skipped (and logged), never trusted.
 */
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import {
  AndFilter,
  Attribute,
  Change,
  Client,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  GreaterThanEqualsFilter,
  OrFilter,
  ResultCodeError,
  type SearchOptions,
  ServerSideSortingRequestControl,
  SubstringFilter,
  type Entry,
} from 'ldapts';
import type { Config, Tenant } from '../config/config.js';
import { AppError } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import { DnSyntaxError, isDnWithin, parseDn } from './dn.js';
import { ConnectionPool, PoolTimeoutError } from './ldap-pool.js';
import { MAX_MATCHES, type AccountAction, type AdminAccountState, type AdminIdentity, type ChangeMark, type Directory, type DirectoryConnection, type ListedPerson, type PasswordPolicy, type PasswordVersion, type PeopleRead, type Person } from './directory.js';
import { toDirectoryError, toModifyError, toPasswordChangeError, toSignInError } from './ldap-errors.js';
import { refusalFor } from './protection.js';
import { domainSidOf, guidToString, parseGuid, sidToString } from './sid.js';

const UAC_ACCOUNTDISABLE = 0x2;
const UAC_DONT_EXPIRE_PASSWD = 0x10000;
const COMPUTED_LOCKOUT = 0x10;
const COMPUTED_PASSWORD_EXPIRED = 0x800000;
/** groupType bit of security groups; distribution groups lack it and are absent from tokenGroups. */
const GROUP_TYPE_SECURITY_ENABLED = 0x80000000;
const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';
/**
 * Entries per page of a paged search. Small pages keep few entries alive at once: reading 10,000
 * people in pages of 1000 grew the process by about 120 MiB of heap it then kept; in pages of 100,
 * by about 30 (the directory keeps the result between pages, so the read takes no longer).
 */
const READ_PAGE_SIZE = 100;
/** accountExpires values that mean "never". */
const FILETIME_NEVER = '9223372036854775807';
const NEVER_EXPIRES = new Set(['0', FILETIME_NEVER]);
/** Milliseconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01. */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;

const PERSON_ATTRIBUTES = [
  'objectGUID',
  'sAMAccountName',
  'userPrincipalName',
  'displayName',
  'mail',
  'userAccountControl',
  'msDS-User-Account-Control-Computed',
  'pwdLastSet',
  'lockoutTime',
  'accountExpires',
  'adminCount',
  'primaryGroupID',
  'objectCategory',
  'objectClass',
];
/** What the in-memory list also needs: the names a typed name may start with. */
const LISTED_ATTRIBUTES = [...PERSON_ATTRIBUTES, 'givenName', 'sn', 'cn'];
const ADMIN_ACCOUNT_ATTRIBUTES = ['userAccountControl', 'msDS-User-Account-Control-Computed', 'accountExpires', 'pwdLastSet'];
const BINARY_ATTRIBUTES = ['objectGUID', 'objectSid', 'tokenGroups', 'replPropertyMetaData'];
/** unicodePwd's attribute id, as replPropertyMetaData names it. */
const ATTID_UNICODE_PWD = 0x9005a;
/** Seconds from 1601-01-01 to 1970-01-01. */
const FILETIME_EPOCH_OFFSET_S = 11_644_473_600n;

/** pwdProperties bit: passwords must be complex. */
const DOMAIN_PASSWORD_COMPLEX = 0x1;

/** The value AD stores for a password: the quoted password in UTF-16LE. */
const unicodePwd = (password: string): Buffer => Buffer.from(`"${password}"`, 'utf16le');

/** A non-negative count from the directory; 0 when absent or not a number. */
function count(value: string | undefined): number {
  const n = Number(value ?? '0');
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** An AD interval (negative 100 ns units, as minPwdAge) in whole minutes. */
function intervalMinutes(value: string | undefined): number {
  if (value === undefined || !/^-?\d+$/.test(value)) return 0;
  const ticks = BigInt(value);
  return Number((ticks < 0n ? -ticks : ticks) / 600_000_000n);
}

/** Employees are people: computers and managed service accounts are `user`s too. */
const IS_PERSON: Filter[] = [
  new EqualityFilter({ attribute: 'objectCategory', value: 'person' }),
  new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
];

const eq = (attribute: string, value: string | Buffer) => new EqualityFilter({ attribute, value });

/** Members of `groupDn`, nesting included (AD's LDAP_MATCHING_RULE_IN_CHAIN). */
const memberOfChain = (groupDn: string) => new ExtensibleFilter({ matchType: 'memberOf', rule: MATCHING_RULE_IN_CHAIN, value: groupDn });

export interface LdapDirectoryOptions {
  readonly url: string;
  readonly startTls: boolean;
  readonly ca: Buffer | undefined;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly timeoutMs: number;
  /** Bound service connections kept open between actions (LDAP_POOL_SIZE). */
  readonly poolSize: number;
  /** Entries per page of a paged search (default 100; AD allows up to its MaxPageSize, 1000 by default). */
  readonly readPageSize?: number;
}

/** How long an action may wait for a free pooled connection (at least LDAP_TIMEOUT_MS). */
const POOL_WAIT_MS = 30_000;
/** An idle pooled connection older than this answers a question before it is lent. */
const CHECK_AFTER_IDLE_MS = 30_000;
/** Below the idle timeouts of AD (MaxConnIdleTime, 900 s) and Samba (ldap idle timeout, 900 s). */
const MAX_IDLE_MS = 5 * 60_000;
/** The "Who am I?" extended operation (RFC 4532). */
const WHO_AM_I = '1.3.6.1.4.1.4203.1.11.3';

export function ldapDirectoryOptions(config: Config): LdapDirectoryOptions {
  return {
    url: config.ldap.url,
    startTls: config.ldap.startTls,
    ca: config.ldap.caFile ? readFileSync(config.ldap.caFile) : undefined,
    bindDn: config.ldap.bindDn,
    bindPassword: config.ldap.bindPassword,
    timeoutMs: config.ldap.timeoutMs,
    poolSize: config.ldap.poolSize,
  };
}

function first(entry: Entry, attribute: string): string | undefined {
  const value = entry[attribute];
  const one = Array.isArray(value) ? value[0] : value;
  if (one === undefined) return undefined;
  return Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

function firstBuffer(entry: Entry, attribute: string): Buffer | undefined {
  const value = entry[attribute];
  const one = Array.isArray(value) ? value[0] : value;
  return Buffer.isBuffer(one) ? one : undefined;
}

function all(entry: Entry, attribute: string): string[] {
  const value = entry[attribute];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

function allBuffers(entry: Entry, attribute: string): Buffer[] {
  const value = entry[attribute];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is Buffer => Buffer.isBuffer(v));
}

function flags(entry: Entry, attribute: string): number {
  const n = Number(first(entry, attribute) ?? '0');
  return Number.isFinite(n) ? n : 0;
}

function isPersonEntry(entry: Entry): boolean {
  const category = first(entry, 'objectCategory');
  const classes = all(entry, 'objectClass').map((c) => c.toLowerCase());
  if (!category || !classes.includes('user') || classes.includes('computer')) return false;
  try {
    return parseDn(category)[0] === 'cn=person';
  } catch {
    return false;
  }
}

/** A FILETIME (100 ns since 1601) as a Date; null for 0, "never" and anything unreadable. */
export function filetimeToDate(value: string | undefined): Date | null {
  if (value === undefined || NEVER_EXPIRES.has(value) || !/^\d{1,20}$/.test(value)) return null;
  const ms = BigInt(value) / 10_000n - FILETIME_EPOCH_OFFSET_MS;
  return ms > 0n && ms < 8_640_000_000_000_000n ? new Date(Number(ms)) : null;
}

function toPerson(entry: Entry): Person {
  const uac = flags(entry, 'userAccountControl');
  const computed = flags(entry, 'msDS-User-Account-Control-Computed');
  const lockedOut = (computed & COMPUTED_LOCKOUT) !== 0;
  const accountExpires = first(entry, 'accountExpires');
  const guid = firstBuffer(entry, 'objectGUID');
  const sam = first(entry, 'sAMAccountName');
  if (!guid || !sam) throw new AppError('DIRECTORY_ERROR', { detail: 'entry without objectGUID or sAMAccountName' });
  const upn = first(entry, 'userPrincipalName') ?? null;
  const mail = first(entry, 'mail') ?? null;
  return {
    dn: entry.dn,
    guid: guidToString(guid),
    sam,
    upn,
    displayName: first(entry, 'displayName') ?? sam,
    // Often the same address: one string for both (10,000 people stay in memory).
    mail: mail !== null && mail === upn ? upn : mail,
    status: {
      disabled: (uac & UAC_ACCOUNTDISABLE) !== 0,
      lockedOut,
      mustChange: first(entry, 'pwdLastSet') === '0',
      passwordNeverExpires: (uac & UAC_DONT_EXPIRE_PASSWD) !== 0,
      passwordExpired: (computed & COMPUTED_PASSWORD_EXPIRED) !== 0,
      // lockoutTime stays set after a lock-out has expired: only the computed bit says "locked".
      lockedSince: lockedOut ? filetimeToDate(first(entry, 'lockoutTime')) : null,
      passwordLastSet: filetimeToDate(first(entry, 'pwdLastSet')),
      accountExpires: filetimeToDate(accountExpires),
      accountExpired: isAccountExpired(accountExpires, new Date()),
    },
    facts: {
      userAccountControl: uac,
      computedAccountControl: computed,
      lockoutTime: filetimeFact(first(entry, 'lockoutTime')),
      pwdLastSet: filetimeFact(first(entry, 'pwdLastSet')),
      accountExpires: filetimeFact(accountExpires),
      adminCount: first(entry, 'adminCount') === '1',
      primaryGroupId: first(entry, 'primaryGroupID') === undefined ? null : flags(entry, 'primaryGroupID'),
    },
  };
}

/**
 * A FILETIME as the facts keep it. Most accounts share one of two values (0: never; the largest
 * 64-bit number: never expires): the list in memory keeps one string of each for everyone.
 */
function filetimeFact(value: string | undefined): string | null {
  if (value === undefined) return null;
  return value === '0' ? '0' : value === FILETIME_NEVER ? FILETIME_NEVER : value;
}

function toListed(entry: Entry): ListedPerson {
  const person = toPerson(entry);
  const own = first(entry, 'displayName');
  // The names a typed name may start, each once (cn is mostly the display name).
  const names: string[] = [];
  for (const name of [own === undefined ? undefined : person.displayName, first(entry, 'givenName'), first(entry, 'sn'), first(entry, 'cn')]) {
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return { person, hasDisplayName: own !== undefined, names };
}

/** accountExpires (FILETIME, 100 ns since 1601) lies in the past. */
export function isAccountExpired(accountExpires: string | undefined, now: Date): boolean {
  if (accountExpires === undefined || NEVER_EXPIRES.has(accountExpires) || !/^\d+$/.test(accountExpires)) return false;
  const nowFiletime = (BigInt(now.getTime()) + FILETIME_EPOCH_OFFSET_MS) * 10_000n;
  return BigInt(accountExpires) <= nowFiletime;
}

/**
 * When the password was last set, from replPropertyMetaData (REPL_PROPERTY_META_DATA_BLOB version 1:
 * a 16-byte header with the count at offset 8, then 48-byte records: attid, version, originating
 * change time in seconds since 1601, invocation id, two USNs). Null when absent or not that shape.
 */
export function passwordSetTime(metadata: Buffer | undefined): Date | null {
  if (!metadata || metadata.length < 16 || metadata.readUInt32LE(0) !== 1) return null;
  const count = metadata.readUInt32LE(8);
  if (metadata.length < 16 + count * 48) return null;
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 48;
    if (metadata.readUInt32LE(at) !== ATTID_UNICODE_PWD) continue;
    const seconds = metadata.readBigUInt64LE(at + 8);
    return seconds > FILETIME_EPOCH_OFFSET_S ? new Date(Number(seconds - FILETIME_EPOCH_OFFSET_S) * 1000) : null;
  }
  return null;
}

/** The part of a display name whose order every directory agrees on (Samba and Windows collate the rest differently). */
function plainSortKey(name: string): string | undefined {
  const key = name.toLowerCase();
  return /^[a-z0-9 ]*$/.test(key) ? key : undefined;
}

/**
 * Refuses rows that are not in the order asked for: a server that ignores the sort control would
 * otherwise make keyset paging skip people without a trace. Only names made of plain letters,
 * digits and spaces are compared, because AD and Samba collate accents and punctuation differently.
 */
export function assertSorted(names: readonly string[], reverse: boolean): void {
  let previous: string | undefined;
  for (const name of names) {
    const key = plainSortKey(name);
    if (key === undefined) continue;
    if (previous !== undefined && (reverse ? key > previous : key < previous)) {
      throw new AppError('DIRECTORY_ERROR', { detail: 'the directory returned the list out of order' });
    }
    previous = key;
  }
}

/** What every connection shares: settings, the environments, and what the directory never changes. */
interface Shared {
  readonly options: LdapDirectoryOptions;
  readonly tenants: readonly Tenant[];
  readonly protectedGroupDns: readonly string[];
  readonly log: Logger | undefined;
  namingContext?: string;
  forestRootSid?: string;
  /** DNs of the privileged groups (adminCount=1), read once for marking pages. */
  privilegedGroupDns?: readonly string[];
  /** objectSid of configured groups, by DN (read once; the SID of a group never changes). */
  readonly groupSids: Map<string, string | null>;
}

/** One bound service-account connection; everything an action does goes through one of these. */
class LdapConnection implements DirectoryConnection {
  /** An operation failed or went unanswered: the connection must not serve another action. */
  failed = false;

  constructor(
    private readonly client: Client,
    private readonly shared: Shared,
  ) {}

  /**
   * ldapts re-opens a closed connection by itself, unbound (and, after StartTLS, unencrypted):
   * nothing is sent on a connection that is no longer the bound one this action was lent.
   */
  private assertBound(): void {
    if (!this.client.isBound) {
      this.failed = true;
      throw new AppError('DIRECTORY_UNREACHABLE', { detail: 'the directory connection was lost' });
    }
  }

  /** An answer with a result code leaves the connection as it was; anything else (a timeout, a lost socket) does not. */
  private noteFailure(error: unknown): void {
    if (!(error instanceof ResultCodeError)) this.failed = true;
  }

  private async search(base: string, options: SearchOptions, sortBy?: { attribute: string; reverse: boolean }): Promise<Entry[]> {
    // Critical: a server that cannot sort must refuse, not answer in another order.
    const controls = sortBy
      ? [new ServerSideSortingRequestControl({ critical: true, value: { attributeType: sortBy.attribute, reverseOrder: sortBy.reverse } })]
      : undefined;
    this.assertBound();
    try {
      const result = await this.client.search(base, { explicitBufferAttributes: BINARY_ATTRIBUTES, ...options }, controls);
      return result.searchEntries;
    } catch (error) {
      this.noteFailure(error);
      throw toDirectoryError(error);
    }
  }

  /** The people among `entries` whose returned DN lies inside the environment. */
  private peopleIn(tenant: Tenant, entries: Entry[]): ListedPerson[] {
    const people: ListedPerson[] = [];
    for (const entry of entries) {
      try {
        if (isPersonEntry(entry) && isDnWithin(entry.dn, tenant.baseDn)) people.push(toListed(entry));
      } catch (error) {
        if (!(error instanceof DnSyntaxError)) throw error;
        this.shared.log?.warn({ code: 'DIRECTORY_DN_UNPARSABLE', environment: tenant.key, dn: entry.dn.slice(0, 300) }, 'entry skipped: its DN cannot be parsed');
      }
    }
    return people;
  }

  private async people(tenant: Tenant, filters: Filter[], sizeLimit: number, sort?: { reverse: boolean }): Promise<Person[]> {
    const entries = await this.search(
      tenant.baseDn,
      { scope: 'sub', filter: new AndFilter({ filters: [...IS_PERSON, ...filters] }), attributes: PERSON_ATTRIBUTES, sizeLimit },
      sort ? { attribute: 'displayName', reverse: sort.reverse } : undefined,
    );
    const people = this.peopleIn(tenant, entries).map((listed) => listed.person);
    if (sort) assertSorted(people.map((p) => p.displayName), sort.reverse);
    // The size limit is a request: Samba answers with every match. Paging relies on the cut.
    return people.slice(0, sizeLimit);
  }

  async namingContext(): Promise<string> {
    if (!this.shared.namingContext) {
      const [root] = await this.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
      const context = root && first(root, 'defaultNamingContext');
      if (!context) throw new AppError('DIRECTORY_ERROR', { detail: 'the root DSE names no defaultNamingContext' });
      this.shared.namingContext = context;
    }
    return this.shared.namingContext;
  }

  /** The forest root domain's SID: Enterprise and Schema Admins are relative to it, not to a child domain's. */
  private async forestRootSid(): Promise<string> {
    if (!this.shared.forestRootSid) {
      const [root] = await this.search('', { scope: 'base', attributes: ['rootDomainNamingContext'] });
      const rootDn = root && first(root, 'rootDomainNamingContext');
      if (!rootDn) throw new AppError('DIRECTORY_ERROR', { detail: 'the root DSE names no rootDomainNamingContext' });
      const [domain] = await this.search(rootDn, { scope: 'base', attributes: ['objectSid'] });
      const sid = domain && firstBuffer(domain, 'objectSid');
      if (!sid) throw new AppError('DIRECTORY_ERROR', { detail: 'the forest root domain has no objectSid' });
      this.shared.forestRootSid = sidToString(sid);
    }
    return this.shared.forestRootSid;
  }

  /** Where the directory is now: read before a search, so that the next read of changes misses none. */
  private async changeMark(): Promise<ChangeMark> {
    const [root] = await this.search('', { scope: 'base', attributes: ['highestCommittedUSN', 'dsServiceName'] });
    const usn = root && first(root, 'highestCommittedUSN');
    const server = root && first(root, 'dsServiceName');
    if (!usn || !/^\d+$/.test(usn) || !server) throw new AppError('DIRECTORY_ERROR', { detail: 'the root DSE names no highestCommittedUSN or dsServiceName' });
    return { server, usn: BigInt(usn) };
  }

  /** A paged search (Simple Paged Results, no sort), page by page, so no page holds the whole answer. */
  private async *pagedSearch(base: string, filter: Filter): AsyncGenerator<Entry[]> {
    try {
      const pages = this.client.searchPaginated(base, {
        scope: 'sub',
        filter,
        attributes: LISTED_ATTRIBUTES,
        explicitBufferAttributes: BINARY_ATTRIBUTES,
        paged: { pageSize: this.shared.options.readPageSize ?? READ_PAGE_SIZE },
      });
      for await (const page of pages) yield page.searchEntries;
    } catch (error) {
      throw toDirectoryError(error);
    }
  }

  async readPeople(tenant: Tenant): Promise<PeopleRead> {
    const mark = await this.changeMark();
    const people: ListedPerson[] = [];
    for await (const entries of this.pagedSearch(tenant.baseDn, new AndFilter({ filters: IS_PERSON }))) {
      for (const person of this.peopleIn(tenant, entries)) people.push(person);
    }
    return { people, mark };
  }

  async peopleChangedSince(since: ChangeMark): Promise<PeopleRead | null> {
    const mark = await this.changeMark();
    if (mark.server !== since.server) return null;
    const changed = new GreaterThanEqualsFilter({ attribute: 'uSNChanged', value: since.usn.toString() });
    const people: ListedPerson[] = [];
    for await (const entries of this.pagedSearch(await this.namingContext(), new AndFilter({ filters: [...IS_PERSON, changed] }))) {
      for (const entry of entries) {
        if (!isPersonEntry(entry)) continue;
        try {
          people.push(toListed(entry));
        } catch (error) {
          // One entry the service account cannot read whole must not stop every later read of changes.
          if (!(error instanceof AppError)) throw error;
          this.shared.log?.warn({ code: 'DIRECTORY_ENTRY_SKIPPED', dn: entry.dn.slice(0, 300), detail: error.detail }, 'changed entry skipped');
        }
      }
    }
    return { people, mark };
  }

  async resolvePeople(tenant: Tenant, reference: string): Promise<readonly Person[]> {
    const ref = reference.trim();
    if (ref === '') return [];
    // The order DESIGN.md gives: exact account name, prefix + input, UPN or mail, then names.
    const steps: Filter[] = [eq('sAMAccountName', ref)];
    const prefix = tenant.samPrefix;
    if (prefix && !ref.toLowerCase().startsWith(prefix.toLowerCase())) steps.push(eq('sAMAccountName', prefix + ref));
    if (ref.includes('@')) steps.push(new OrFilter({ filters: [eq('userPrincipalName', ref), eq('mail', ref)] }));
    steps.push(
      new OrFilter({
        filters: ['displayName', 'givenName', 'sn', 'cn'].map((attribute) => new SubstringFilter({ attribute, initial: ref })),
      }),
    );
    for (const filter of steps) {
      const people = await this.people(tenant, [filter], MAX_MATCHES + 1, { reverse: false });
      if (people.length > 0) return people;
    }
    return [];
  }

  async findPersonByGuid(tenant: Tenant, guid: string): Promise<Person | null> {
    const value = parseGuid(guid);
    if (!value) return null;
    const people = await this.people(tenant, [eq('objectGUID', value)], 2);
    return people.length === 1 ? (people[0] as Person) : null;
  }

  async findAdmin(login: string, tenants: readonly Tenant[]): Promise<AdminIdentity | null> {
    const name = login.trim();
    if (name === '' || tenants.length === 0) return null;
    const backslash = name.indexOf('\\');
    const account = name.includes('@')
      ? eq('userPrincipalName', name)
      : eq('sAMAccountName', backslash >= 0 ? name.slice(backslash + 1) : name);
    const entries = await this.search(await this.namingContext(), {
      scope: 'sub',
      filter: new AndFilter({ filters: [...IS_PERSON, account, new OrFilter({ filters: tenants.map((t) => memberOfChain(t.adminGroupDn)) })] }),
      attributes: ['objectGUID', 'sAMAccountName', 'userPrincipalName', 'displayName', 'pwdLastSet'],
      sizeLimit: 2,
    });
    const found = entries.length === 1 ? entries[0] : undefined;
    const guid = found && firstBuffer(found, 'objectGUID');
    const sam = found && first(found, 'sAMAccountName');
    if (!found || !guid || !sam) return null;
    return {
      dn: found.dn,
      guid: guidToString(guid),
      upn: first(found, 'userPrincipalName') ?? null,
      sam,
      displayName: first(found, 'displayName') ?? sam,
      pwdLastSet: first(found, 'pwdLastSet') ?? '0',
    };
  }

  private async adminEntry(adminGuid: string, tenant: Tenant, attributes: string[]): Promise<Entry | undefined> {
    const guid = parseGuid(adminGuid);
    if (!guid) return undefined;
    const entries = await this.search(await this.namingContext(), {
      scope: 'sub',
      filter: new AndFilter({ filters: [eq('objectGUID', guid), memberOfChain(tenant.adminGroupDn)] }),
      attributes,
      sizeLimit: 2,
    });
    return entries.length === 1 ? entries[0] : undefined;
  }

  async administeredTenants(adminGuid: string, tenants: readonly Tenant[]): Promise<readonly Tenant[]> {
    const held = await Promise.all(tenants.map(async (tenant) => ((await this.adminEntry(adminGuid, tenant, ['1.1'])) ? tenant : undefined)));
    return held.filter((t): t is Tenant => t !== undefined);
  }

  async adminAccount(adminGuid: string, tenant: Tenant): Promise<AdminAccountState | null> {
    const entry = await this.adminEntry(adminGuid, tenant, ADMIN_ACCOUNT_ATTRIBUTES);
    if (!entry) return null;
    const uac = flags(entry, 'userAccountControl');
    const computed = flags(entry, 'msDS-User-Account-Control-Computed');
    return {
      disabled: (uac & UAC_ACCOUNTDISABLE) !== 0,
      lockedOut: (computed & COMPUTED_LOCKOUT) !== 0,
      passwordExpired: (computed & COMPUTED_PASSWORD_EXPIRED) !== 0,
      accountExpired: isAccountExpired(first(entry, 'accountExpires'), new Date()),
      pwdLastSet: first(entry, 'pwdLastSet') ?? '0',
    };
  }

  /** The objectSids of these groups (those that exist), read once per group. */
  private async sidsOf(groupDns: readonly string[]): Promise<string[]> {
    const sids = await Promise.all(
      groupDns.map(async (dn) => {
        if (!this.shared.groupSids.has(dn)) {
          const [group] = await this.search(dn, { scope: 'base', attributes: ['objectSid'] }).catch((error: unknown) => {
            if (error instanceof AppError && error.code === 'DIRECTORY_USER_NOT_FOUND') return [];
            throw error;
          });
          const sid = group && firstBuffer(group, 'objectSid');
          this.shared.groupSids.set(dn, sid ? sidToString(sid) : null);
        }
        return this.shared.groupSids.get(dn) ?? null;
      }),
    );
    return sids.filter((sid): sid is string => sid !== null);
  }

  /** True when the entry is a member (nesting included) of any of the groups. */
  private async inAnyGroup(dn: string, groupDns: readonly string[]): Promise<boolean> {
    if (groupDns.length === 0) return false;
    const found = await this.search(dn, { scope: 'base', filter: new OrFilter({ filters: groupDns.map(memberOfChain) }), attributes: ['1.1'] });
    return found.length > 0;
  }

  /**
   * Reads the target afresh by objectGUID wherever it is in the domain, gathers the facts
   * src/directory/protection.ts decides on, and refuses what must never be reset.
   */
  async assertResettable(tenant: Tenant, person: Person, purpose: AccountAction = 'reset'): Promise<Person> {
    const guid = parseGuid(person.guid);
    if (!guid) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
    const found = await this.search(await this.namingContext(), {
      scope: 'sub',
      filter: eq('objectGUID', guid),
      attributes: [...PERSON_ATTRIBUTES, 'adminCount', 'objectSid'],
      sizeLimit: 2,
    });
    const entry = found[0];
    if (!entry || found.length !== 1) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
    const sidBytes = firstBuffer(entry, 'objectSid');
    if (!sidBytes) throw new AppError('DIRECTORY_ERROR', { detail: 'account without objectSid' });
    const sid = sidToString(sidBytes);
    let within: boolean;
    try {
      within = isDnWithin(entry.dn, tenant.baseDn);
    } catch {
      within = false;
    }
    if (!within) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');

    // AD computes tokenGroups only in a base search: nested groups and the primary group count.
    const [tokens] = await this.search(entry.dn, { scope: 'base', attributes: ['tokenGroups'] });
    const groupSids = new Set(tokens ? allBuffers(tokens, 'tokenGroups').map(sidToString) : []);
    if (groupSids.size === 0) throw new AppError('DIRECTORY_ERROR', { detail: 'tokenGroups could not be read' });
    const adminGroups = this.shared.tenants.map((t) => t.adminGroupDn);
    const protectedGroups = [...this.shared.protectedGroupDns, ...tenant.protectedGroupDns];
    // Nested membership by the chain rule, and the primary group (which the chain rule does not see) by tokenGroups.
    const [nestedAdmin, nestedProtected, forestRootSid, adminSids, protectedSids] = await Promise.all([
      this.inAnyGroup(entry.dn, adminGroups),
      this.inAnyGroup(entry.dn, protectedGroups),
      this.forestRootSid(),
      this.sidsOf(adminGroups),
      this.sidsOf(protectedGroups),
    ]);
    const inAdminGroup = nestedAdmin || adminSids.some((g) => groupSids.has(g));
    const inProtectedGroup = nestedProtected || protectedSids.some((g) => groupSids.has(g));
    const refusal = refusalFor(
      {
        dn: entry.dn,
        isPerson: isPersonEntry(entry),
        sid,
        sam: first(entry, 'sAMAccountName') ?? '',
        adminCount: first(entry, 'adminCount') === '1',
        groupSids,
        inAdminGroup,
        inProtectedGroup,
        passwordNeverExpires: (flags(entry, 'userAccountControl') & UAC_DONT_EXPIRE_PASSWD) !== 0,
      },
      { baseDn: tenant.baseDn, serviceAccountDn: this.shared.options.bindDn, domainSid: domainSidOf(sid), forestRootSid },
      purpose,
    );
    if (refusal) throw refusal;
    return toPerson(entry);
  }

  async passwordVersion(guid: string): Promise<PasswordVersion | null> {
    const value = parseGuid(guid);
    if (!value) return null;
    const found = await this.search(await this.namingContext(), {
      scope: 'sub',
      filter: eq('objectGUID', value),
      attributes: ['msDS-KeyVersionNumber', 'pwdLastSet', 'replPropertyMetaData'],
      sizeLimit: 2,
    });
    const entry = found.length === 1 ? found[0] : undefined;
    if (!entry) return null;
    const keyVersion = Number(first(entry, 'msDS-KeyVersionNumber'));
    if (!Number.isSafeInteger(keyVersion) || keyVersion < 0) {
      throw new AppError('DIRECTORY_ERROR', { detail: 'msDS-KeyVersionNumber cannot be read' });
    }
    return { keyVersion, pwdLastSet: first(entry, 'pwdLastSet') ?? '0', passwordSetAt: passwordSetTime(firstBuffer(entry, 'replPropertyMetaData')) };
  }

  async setTemporaryPassword(tenant: Tenant, person: Person, password: string): Promise<void> {
    if (password === '') throw new AppError('INPUT_INVALID');
    // `person` is what assertResettable returned on this connection just before: only the audit
    // intent sits between, so that the modify follows its intent at once (an intent older than the
    // reconciliation's grace counts as abandoned). The scope is checked once more, without a round trip.
    if (!isDnWithin(person.dn, tenant.baseDn)) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
    const current = person;
    const changes = [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }),
      }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) }),
    ];
    if (current.status.lockedOut) {
      changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'lockoutTime', values: ['0'] }) }));
    }
    // One modify: the password and the forced change land together or not at all. Without an
    // answer, nobody knows which: DIRECTORY_OUTCOME_UNKNOWN, never a failure.
    this.assertBound();
    try {
      await this.client.modify(current.dn, changes);
    } catch (error) {
      this.noteFailure(error);
      throw toModifyError(error);
    }
  }

  // The Password Change Portal's operations (PortalDirectory).

  async findPersonByLogin(tenant: Tenant, login: string): Promise<Person | null> {
    const name = login.trim();
    if (name === '' || name.length > 256) return null;
    let filter: Filter;
    if (name.includes('@')) {
      filter = eq('userPrincipalName', name);
    } else {
      const slash = name.indexOf('\\');
      const domain = slash >= 0 ? name.slice(0, slash) : undefined;
      const sam = slash >= 0 ? name.slice(slash + 1) : name;
      if (sam === '' || (domain !== undefined && tenant.netbiosDomain !== undefined && domain.toLowerCase() !== tenant.netbiosDomain.toLowerCase())) return null;
      const prefix = tenant.samPrefix;
      const names = [sam, ...(prefix && !sam.toLowerCase().startsWith(prefix.toLowerCase()) ? [prefix + sam] : [])];
      filter = new OrFilter({ filters: names.map((n) => eq('sAMAccountName', n)) });
    }
    const people = await this.people(tenant, [filter], 2);
    return people.length === 1 ? (people[0] as Person) : null;
  }

  private passwordChanges(person: Person, tenant: Tenant, changes: Change[]): Promise<void> {
    if (!isDnWithin(person.dn, tenant.baseDn)) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
    this.assertBound();
    return this.client.modify(person.dn, changes).catch((error: unknown) => {
      this.noteFailure(error);
      throw toPasswordChangeError(error);
    });
  }

  async changePassword(tenant: Tenant, person: Person, current: string, next: string): Promise<void> {
    if (current === '' || next === '') throw new AppError('INPUT_INVALID');
    await this.passwordChanges(person, tenant, [
      new Change({ operation: 'delete', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(current)] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(next)] }) }),
    ]);
  }

  async setChosenPassword(tenant: Tenant, person: Person, password: string): Promise<void> {
    if (password === '') throw new AppError('INPUT_INVALID');
    const changes = [new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(password)] }) })];
    if (person.status.lockedOut) changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'lockoutTime', values: ['0'] }) }));
    await this.passwordChanges(person, tenant, changes);
  }

  async passwordPolicy(person?: Person): Promise<PasswordPolicy> {
    if (person) {
      try {
        const [entry] = await this.search(person.dn, { scope: 'base', attributes: ['msDS-ResultantPSO'] });
        const pso = entry && first(entry, 'msDS-ResultantPSO');
        if (pso) {
          const [settings] = await this.search(pso, {
            scope: 'base',
            attributes: ['msDS-MinimumPasswordLength', 'msDS-PasswordComplexityEnabled', 'msDS-PasswordHistoryLength', 'msDS-MinimumPasswordAge'],
          });
          if (settings) {
            return {
              minLength: count(first(settings, 'msDS-MinimumPasswordLength')),
              complexity: first(settings, 'msDS-PasswordComplexityEnabled')?.toUpperCase() === 'TRUE',
              historyLength: count(first(settings, 'msDS-PasswordHistoryLength')),
              minAgeMinutes: intervalMinutes(first(settings, 'msDS-MinimumPasswordAge')),
              source: 'fine-grained',
            };
          }
        }
      } catch (error) {
        // Reading fine-grained policies needs rights the service account may lack: the domain's then.
        this.shared.log?.debug({ code: 'PASSWORD_POLICY_PSO_UNREADABLE', cause: toDirectoryError(error).code }, 'fine-grained password policy not readable');
      }
    }
    const [domain] = await this.search(await this.namingContext(), {
      scope: 'base',
      attributes: ['minPwdLength', 'pwdProperties', 'pwdHistoryLength', 'minPwdAge'],
    });
    if (!domain) throw new AppError('DIRECTORY_ERROR', { detail: 'the domain password policy cannot be read' });
    return {
      minLength: count(first(domain, 'minPwdLength')),
      complexity: (flags(domain, 'pwdProperties') & DOMAIN_PASSWORD_COMPLEX) !== 0,
      historyLength: count(first(domain, 'pwdHistoryLength')),
      minAgeMinutes: intervalMinutes(first(domain, 'minPwdAge')),
      source: 'domain',
    };
  }

  async unlockAccount(tenant: Tenant, person: Person): Promise<void> {
    // `person` is what assertResettable(…, 'unlock') returned on this connection; the scope once more.
    if (!isDnWithin(person.dn, tenant.baseDn)) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
    try {
      await this.client.modify(person.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'lockoutTime', values: ['0'] }) }));
    } catch (error) {
      throw toModifyError(error);
    }
  }

  async inProtectedGroups(tenant: Tenant, guids: readonly string[]): Promise<ReadonlySet<string>> {
    const values = guids.map(parseGuid).filter((g): g is Buffer => g !== undefined);
    if (values.length === 0) return new Set();
    if (!this.shared.privilegedGroupDns) {
      // AdminSDHolder's groups carry adminCount=1: Domain/Enterprise/Schema Admins, Administrators, the operators…
      const groups = await this.search(await this.namingContext(), {
        scope: 'sub',
        filter: new AndFilter({ filters: [eq('objectClass', 'group'), eq('adminCount', '1')] }),
        attributes: ['1.1'],
      });
      this.shared.privilegedGroupDns = groups.map((g) => g.dn);
    }
    const groupDns = [...this.shared.tenants.map((t) => t.adminGroupDn), ...this.shared.protectedGroupDns, ...tenant.protectedGroupDns, ...this.shared.privilegedGroupDns];
    const found = await this.search(tenant.baseDn, {
      scope: 'sub',
      filter: new AndFilter({
        filters: [new OrFilter({ filters: values.map((v) => eq('objectGUID', v)) }), new OrFilter({ filters: groupDns.map(memberOfChain) })],
      }),
      attributes: ['objectGUID'],
    });
    return new Set(found.map((e) => firstBuffer(e, 'objectGUID')).filter((g): g is Buffer => g !== undefined).map(guidToString));
  }

  /** Problems with the directory's side of the tenants file, naming the setting. */
  async checkSetup(): Promise<string[]> {
    const problems: string[] = [];
    const group = async (dn: string): Promise<Entry | undefined> => {
      try {
        const [entry] = await this.search(dn, { scope: 'base', attributes: ['objectClass', 'groupType'] });
        return entry && all(entry, 'objectClass').some((c) => c.toLowerCase() === 'group') ? entry : undefined;
      } catch (error) {
        if (toDirectoryError(error).code === 'DIRECTORY_USER_NOT_FOUND') return undefined;
        throw error;
      }
    };
    for (const [i, tenant] of this.shared.tenants.entries()) {
      const setting = `TENANTS_FILE: tenants.${i}.adminGroupDn (${tenant.key})`;
      const entry = await group(tenant.adminGroupDn);
      if (!entry) problems.push(`${setting}: no such group in the directory`);
      // groupType is a signed 32-bit number: security groups are negative.
      else if ((flags(entry, 'groupType') & GROUP_TYPE_SECURITY_ENABLED) === 0) {
        problems.push(`${setting}: is a distribution group; it must be a security group`);
      }
      for (const [j, dn] of tenant.protectedGroupDns.entries()) {
        if (!(await group(dn))) problems.push(`TENANTS_FILE: tenants.${i}.protectedGroupDns.${j} (${tenant.key}): no such group in the directory`);
      }
    }
    for (const [j, dn] of this.shared.protectedGroupDns.entries()) {
      if (!(await group(dn))) problems.push(`TENANTS_FILE: protectedGroupDns.${j}: no such group in the directory`);
    }
    return problems;
  }
}

export class LdapDirectory implements Directory {
  private readonly shared: Shared;
  private readonly pool: ConnectionPool;
  /** The last TLS session the directory gave us: a new connection resumes it instead of a full handshake. */
  private tlsSession: Buffer | undefined;

  constructor(options: LdapDirectoryOptions, tenants: readonly Tenant[], extra: { protectedGroupDns?: readonly string[]; log?: Logger } = {}) {
    this.shared = { options, tenants, protectedGroupDns: extra.protectedGroupDns ?? [], log: extra.log, groupSids: new Map() };
    this.pool = new ConnectionPool({
      size: options.poolSize,
      // A burst of actions waits its turn rather than failing; Teams' own deadline bounds the wait.
      waitMs: Math.max(options.timeoutMs, POOL_WAIT_MS),
      checkAfterIdleMs: CHECK_AFTER_IDLE_MS,
      maxIdleMs: MAX_IDLE_MS,
      open: () => this.openBound(),
      check: (client) => this.checkServiceBind(client),
    });
  }

  private tlsOptions(): ConnectionOptions {
    // Verification stays on: without LDAP_CA_FILE the system's trusted CAs decide.
    const { ca } = this.shared.options;
    return { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(ca ? { ca: [ca] } : {}) };
  }

  /**
   * tls.connect with the last session offered for resumption (the certificate was verified when
   * that session was made; a server that does not resume simply makes a new one, verified again).
   */
  private readonly secureConnection = ((...args: Parameters<typeof tlsConnect>) => {
    const last = args.length - 1;
    const options = args[last];
    if (this.tlsSession && typeof options === 'object' && options !== null) args[last] = { ...options, session: this.tlsSession };
    const socket: TLSSocket = (tlsConnect as (...a: unknown[]) => TLSSocket)(...args);
    socket.on('session', (session: Buffer) => {
      this.tlsSession = session;
    });
    return socket;
  }) as typeof tlsConnect;

  /** An encrypted, unbound connection; StartTLS completes before anything else is sent. */
  private async connect(): Promise<Client> {
    const { url, startTls, timeoutMs } = this.shared.options;
    const client = new Client({
      url,
      timeout: timeoutMs,
      connectTimeout: timeoutMs,
      // For ldap:// the TLS options go to startTLS() only: given here, ldapts would speak TLS at once on 389.
      ...(startTls ? {} : { tlsOptions: this.tlsOptions() }),
      createSecureConnection: this.secureConnection,
      strictDN: true,
    });
    try {
      if (startTls) await client.startTLS(this.tlsOptions());
      return client;
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw error;
    }
  }

  /** A new connection bound as the service account: the only kind the pool holds. */
  private async openBound(): Promise<Client> {
    const client = await this.connect();
    try {
      await client.bind(this.shared.options.bindDn, this.shared.options.bindPassword);
      return client;
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw error;
    }
  }

  /** An idle connection still answers, as the service account (RFC 4532 "Who am I?"). */
  private async checkServiceBind(client: Client): Promise<void> {
    const { value } = await client.exop(WHO_AM_I);
    const [, name] = /^dn:(.*)$/i.exec(value ?? '') ?? [];
    if (name !== undefined && name.toLowerCase() !== this.shared.options.bindDn.toLowerCase()) throw new Error('bound as another account');
  }

  async withConnection<T>(work: (connection: DirectoryConnection) => Promise<T>): Promise<T> {
    return this.bound((connection) => work(connection));
  }

  private async bound<T>(work: (connection: LdapConnection) => Promise<T>): Promise<T> {
    let client: Client;
    try {
      client = await this.pool.borrow();
    } catch (error) {
      throw error instanceof PoolTimeoutError ? new AppError('DIRECTORY_UNREACHABLE', { cause: error }) : toDirectoryError(error);
    }
    const connection = new LdapConnection(client, this.shared);
    let answered = false;
    try {
      const result = await work(connection);
      answered = true;
      return result;
    } catch (error) {
      // A refusal decided here (an AppError without a failed operation) leaves the connection fine.
      answered = error instanceof AppError;
      throw toDirectoryError(error);
    } finally {
      this.pool.giveBack(client, answered && !connection.failed);
    }
  }

  /** Closes the idle connections; the ones lent are closed when given back. */
  close(): void {
    this.pool.close();
  }

  readPeople(tenant: Tenant): Promise<PeopleRead> {
    return this.bound((c) => c.readPeople(tenant));
  }

  peopleChangedSince(since: ChangeMark): Promise<PeopleRead | null> {
    return this.bound((c) => c.peopleChangedSince(since));
  }

  resolvePeople(tenant: Tenant, reference: string): Promise<readonly Person[]> {
    return this.bound((c) => c.resolvePeople(tenant, reference));
  }

  findPersonByGuid(tenant: Tenant, guid: string): Promise<Person | null> {
    return this.bound((c) => c.findPersonByGuid(tenant, guid));
  }

  findAdmin(login: string, tenants: readonly Tenant[]): Promise<AdminIdentity | null> {
    return this.bound((c) => c.findAdmin(login, tenants));
  }

  administeredTenants(adminGuid: string, tenants: readonly Tenant[]): Promise<readonly Tenant[]> {
    return this.bound((c) => c.administeredTenants(adminGuid, tenants));
  }

  adminAccount(adminGuid: string, tenant: Tenant): Promise<AdminAccountState | null> {
    return this.bound((c) => c.adminAccount(adminGuid, tenant));
  }

  assertResettable(tenant: Tenant, person: Person, purpose?: AccountAction): Promise<Person> {
    return this.bound((c) => c.assertResettable(tenant, person, purpose));
  }

  unlockAccount(tenant: Tenant, person: Person): Promise<void> {
    return this.bound((c) => c.unlockAccount(tenant, person));
  }

  inProtectedGroups(tenant: Tenant, guids: readonly string[]): Promise<ReadonlySet<string>> {
    return this.bound((c) => c.inProtectedGroups(tenant, guids));
  }

  passwordVersion(guid: string): Promise<PasswordVersion | null> {
    return this.bound((c) => c.passwordVersion(guid));
  }

  setTemporaryPassword(tenant: Tenant, person: Person, password: string): Promise<void> {
    return this.bound((c) => c.setTemporaryPassword(tenant, person, password));
  }

  findPersonByLogin(tenant: Tenant, login: string): Promise<Person | null> {
    return this.bound((c) => c.findPersonByLogin(tenant, login));
  }

  changePassword(tenant: Tenant, person: Person, current: string, next: string): Promise<void> {
    return this.bound((c) => c.changePassword(tenant, person, current, next));
  }

  setChosenPassword(tenant: Tenant, person: Person, password: string): Promise<void> {
    return this.bound((c) => c.setChosenPassword(tenant, person, password));
  }

  passwordPolicy(person?: Person): Promise<PasswordPolicy> {
    return this.bound((c) => c.passwordPolicy(person));
  }

  checkSetup(): Promise<string[]> {
    return this.bound((c) => c.checkSetup());
  }

  async verifyPassword(dn: string, password: string): Promise<void> {
    // AD treats a simple bind with an empty password as an anonymous bind, which succeeds.
    if (password === '') throw new AppError('AUTH_EMPTY_PASSWORD');
    let client: Client | undefined;
    try {
      client = await this.connect();
      await client.bind(dn, password);
    } catch (error) {
      throw toSignInError(error);
    } finally {
      await client?.unbind().catch(() => undefined);
    }
  }

  async ping(): Promise<void> {
    await this.bound((c) => c.namingContext());
  }
}
