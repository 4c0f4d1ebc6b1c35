/**
 * The Directory over LDAP (ldapts), for Active Directory and Samba AD.
 * Every connection is encrypted and verified (LDAPS, or StartTLS before any bind). Filters are
 * built only from ldapts' filter classes, which escape values. Every DN the server returns is
 * checked, parsed, against the environment before it is used.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  AndFilter,
  Attribute,
  Change,
  Client,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  OrFilter,
  PresenceFilter,
  type SearchOptions,
  ServerSideSortingRequestControl,
  SubstringFilter,
  type Entry,
} from 'ldapts';
import type { Config, Tenant } from '../config/config.js';
import { AppError } from '../errors/catalog.js';
import { dnEquals, isDnWithin, parseDn } from './dn.js';
import type { AdminIdentity, Directory, PageRequest, Person, PersonPage } from './directory.js';
import { toDirectoryError, toSignInError } from './ldap-errors.js';
import {
  domainSidOf,
  guidToBuffer,
  guidToString,
  KRBTGT_RID,
  PRIVILEGED_BUILTIN_SIDS,
  PRIVILEGED_DOMAIN_RIDS,
  sidToString,
} from './sid.js';

const UAC_ACCOUNTDISABLE = 0x2;
const UAC_DONT_EXPIRE_PASSWD = 0x10000;
const COMPUTED_LOCKOUT = 0x10;
const COMPUTED_PASSWORD_EXPIRED = 0x800000;
const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';
/** How many people a name search may return before the admin must type more. */
const MAX_MATCHES = 25;
const ADMIN_GROUP_CACHE_MS = 5 * 60_000;

const PERSON_ATTRIBUTES = [
  'objectGUID',
  'sAMAccountName',
  'userPrincipalName',
  'displayName',
  'mail',
  'userAccountControl',
  'msDS-User-Account-Control-Computed',
  'pwdLastSet',
  'objectCategory',
  'objectClass',
];
const BINARY_ATTRIBUTES = ['objectGUID', 'objectSid', 'tokenGroups'];

/** Employees are people: computers and managed service accounts are `user`s too. */
const IS_PERSON: Filter[] = [
  new EqualityFilter({ attribute: 'objectCategory', value: 'person' }),
  new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
];

export interface LdapDirectoryOptions {
  readonly url: string;
  readonly startTls: boolean;
  readonly ca: Buffer | undefined;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly timeoutMs: number;
}

export function ldapDirectoryOptions(config: Config): LdapDirectoryOptions {
  return {
    url: config.ldap.url,
    startTls: config.ldap.startTls,
    ca: config.ldap.caFile ? readFileSync(config.ldap.caFile) : undefined,
    bindDn: config.ldap.bindDn,
    bindPassword: config.ldap.bindPassword,
    timeoutMs: config.ldap.timeoutMs,
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
  return parseDn(category)[0] === 'cn=person';
}

function toPerson(entry: Entry): Person {
  const uac = flags(entry, 'userAccountControl');
  const computed = flags(entry, 'msDS-User-Account-Control-Computed');
  const guid = firstBuffer(entry, 'objectGUID');
  const sam = first(entry, 'sAMAccountName');
  if (!guid || !sam) throw new AppError('DIRECTORY_ERROR', { detail: 'entry without objectGUID or sAMAccountName' });
  return {
    dn: entry.dn,
    guid: guidToString(guid),
    sam,
    upn: first(entry, 'userPrincipalName') ?? null,
    displayName: first(entry, 'displayName') ?? sam,
    mail: first(entry, 'mail') ?? null,
    status: {
      disabled: (uac & UAC_ACCOUNTDISABLE) !== 0,
      lockedOut: (computed & COMPUTED_LOCKOUT) !== 0,
      mustChange: first(entry, 'pwdLastSet') === '0',
      passwordNeverExpires: (uac & UAC_DONT_EXPIRE_PASSWD) !== 0,
      passwordExpired: (computed & COMPUTED_PASSWORD_EXPIRED) !== 0,
    },
  };
}

/** Accepts only people whose returned DN lies inside the environment. */
function peopleIn(tenant: Tenant, entries: Entry[]): Person[] {
  return entries.filter((e) => isPersonEntry(e) && isDnWithin(e.dn, tenant.baseDn)).map(toPerson);
}

export class LdapDirectory implements Directory {
  private adminGroupSids: { at: number; byDn: Map<string, string> } | undefined;
  private namingContext: string | undefined;

  constructor(
    private readonly options: LdapDirectoryOptions,
    private readonly allTenants: readonly Tenant[],
  ) {}

  private tlsOptions(): ConnectionOptions {
    // Verification stays on: without LDAP_CA_FILE the system's trusted CAs decide.
    return { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(this.options.ca ? { ca: [this.options.ca] } : {}) };
  }

  /** An encrypted, unbound connection; StartTLS completes before anything else is sent. */
  private async connect(): Promise<Client> {
    const client = new Client({
      url: this.options.url,
      timeout: this.options.timeoutMs,
      connectTimeout: this.options.timeoutMs,
      // For ldap:// the TLS options go to startTLS() only: given here, ldapts would speak TLS at once on 389.
      ...(this.options.startTls ? {} : { tlsOptions: this.tlsOptions() }),
      strictDN: true,
    });
    try {
      if (this.options.startTls) await client.startTLS(this.tlsOptions());
      return client;
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw error;
    }
  }

  /** Runs `work` on a connection bound as the service account. */
  private async asService<T>(work: (client: Client) => Promise<T>): Promise<T> {
    let client: Client | undefined;
    try {
      client = await this.connect();
      await client.bind(this.options.bindDn, this.options.bindPassword);
      return await work(client);
    } catch (error) {
      throw toDirectoryError(error);
    } finally {
      await client?.unbind().catch(() => undefined);
    }
  }

  private async search(client: Client, base: string, options: SearchOptions, sortBy?: { attribute: string; reverse?: boolean }): Promise<Entry[]> {
    const controls = sortBy
      ? [new ServerSideSortingRequestControl({ value: { attributeType: sortBy.attribute, reverseOrder: sortBy.reverse ?? false } })]
      : undefined;
    const result = await client.search(base, { explicitBufferAttributes: BINARY_ATTRIBUTES, ...options }, controls);
    return result.searchEntries;
  }

  private async searchPeople(client: Client, tenant: Tenant, filter: Filter, sizeLimit = MAX_MATCHES + 1): Promise<Person[]> {
    const entries = await this.search(client, tenant.baseDn, {
      scope: 'sub',
      filter: new AndFilter({ filters: [...IS_PERSON, filter] }),
      attributes: PERSON_ATTRIBUTES,
      sizeLimit,
    }, { attribute: 'displayName' });
    return peopleIn(tenant, entries);
  }

  async listPeople(tenant: Tenant, page: PageRequest): Promise<PersonPage> {
    const cursor = page.before ?? page.after;
    const filters: Filter[] = [...IS_PERSON, new PresenceFilter({ attribute: 'displayName' })];
    const search = page.search?.trim();
    if (search) {
      filters.push(
        new OrFilter({
          filters: ['displayName', 'sAMAccountName', 'userPrincipalName', 'mail'].map(
            (attribute) => new SubstringFilter({ attribute, any: [search] }),
          ),
        }),
      );
    }
    if (cursor) {
      filters.push(
        page.before
          ? new LessThanEqualsFilter({ attribute: 'displayName', value: cursor.displayName })
          : new GreaterThanEqualsFilter({ attribute: 'displayName', value: cursor.displayName }),
      );
    }
    const skip = new Set(cursor?.seen ?? []);
    // One more than the page tells whether another page follows; ties already shown are skipped.
    const wanted = page.pageSize + skip.size + 1;
    const people = await this.asService(async (client) => {
      const entries = await this.search(client, tenant.baseDn, {
        scope: 'sub',
        filter: new AndFilter({ filters }),
        attributes: PERSON_ATTRIBUTES,
        sizeLimit: wanted,
      }, { attribute: 'displayName', reverse: Boolean(page.before) });
      return peopleIn(tenant, entries).filter((p) => !skip.has(p.guid));
    });
    const shown = people.slice(0, page.pageSize);
    return { people: page.before ? shown.reverse() : shown, hasMore: people.length > page.pageSize };
  }

  async resolvePeople(tenant: Tenant, reference: string): Promise<readonly Person[]> {
    const ref = reference.trim();
    if (ref === '') return [];
    return this.asService(async (client) => {
      const eq = (attribute: string, value: string) => new EqualityFilter({ attribute, value });
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
        const people = await this.searchPeople(client, tenant, filter);
        if (people.length > 0) return people;
      }
      return [];
    });
  }

  async findPersonByGuid(tenant: Tenant, guid: string): Promise<Person | null> {
    let value: Buffer;
    try {
      value = guidToBuffer(guid);
    } catch {
      return null;
    }
    return this.asService(async (client) => {
      const filter = new EqualityFilter({ attribute: 'objectGUID', value });
      const people = await this.searchPeople(client, tenant, filter, 2);
      return people[0] ?? null;
    });
  }

  private async defaultNamingContext(client: Client): Promise<string> {
    if (!this.namingContext) {
      const [root] = await this.search(client, '', { scope: 'base', attributes: ['defaultNamingContext'] });
      const context = root && first(root, 'defaultNamingContext');
      if (!context) throw new AppError('DIRECTORY_ERROR', { detail: 'the root DSE names no defaultNamingContext' });
      this.namingContext = context;
    }
    return this.namingContext;
  }

  async authenticate(login: string, password: string): Promise<AdminIdentity> {
    const name = login.trim();
    // AD treats a simple bind with an empty password as an anonymous bind, which succeeds.
    if (name === '' || password === '') throw new AppError('AUTH_EMPTY_PASSWORD');
    if (/[\u0000-\u001f]/.test(name) || name.length > 256) throw new AppError('AUTH_INVALID_CREDENTIALS');

    const found = await this.asService(async (client) => {
      const base = await this.defaultNamingContext(client);
      const backslash = name.indexOf('\\');
      const filter = name.includes('@')
        ? new EqualityFilter({ attribute: 'userPrincipalName', value: name })
        : new EqualityFilter({ attribute: 'sAMAccountName', value: backslash >= 0 ? name.slice(backslash + 1) : name });
      const entries = await this.search(client, base, {
        scope: 'sub',
        filter: new AndFilter({ filters: [...IS_PERSON, filter] }),
        attributes: ['sAMAccountName', 'userPrincipalName', 'displayName'],
        sizeLimit: 2,
      });
      return entries.length === 1 ? entries[0] : undefined;
    });
    // Unknown and ambiguous names get the same answer as a wrong password.
    if (!found) throw new AppError('AUTH_INVALID_CREDENTIALS');

    let client: Client | undefined;
    try {
      client = await this.connect();
      await client.bind(found.dn, password);
    } catch (error) {
      throw toSignInError(error);
    } finally {
      await client?.unbind().catch(() => undefined);
    }
    const sam = first(found, 'sAMAccountName') ?? name;
    return {
      dn: found.dn,
      upn: first(found, 'userPrincipalName') ?? null,
      sam,
      displayName: first(found, 'displayName') ?? sam,
    };
  }

  async administeredTenants(adminDn: string, tenants: readonly Tenant[]): Promise<readonly Tenant[]> {
    return this.asService(async (client) => {
      const checks = tenants.map(async (tenant) => {
        const entries = await this.search(client, adminDn, {
          scope: 'base',
          filter: new ExtensibleFilter({ matchType: 'memberOf', rule: MATCHING_RULE_IN_CHAIN, value: tenant.adminGroupDn }),
          attributes: ['1.1'],
        });
        return entries.length === 1 ? tenant : undefined;
      });
      return (await Promise.all(checks)).filter((t): t is Tenant => t !== undefined);
    });
  }

  private async adminGroupSidsByDn(client: Client): Promise<Map<string, string>> {
    const now = Date.now();
    if (this.adminGroupSids && now - this.adminGroupSids.at < ADMIN_GROUP_CACHE_MS) return this.adminGroupSids.byDn;
    const byDn = new Map<string, string>();
    for (const tenant of this.allTenants) {
      try {
        const [group] = await this.search(client, tenant.adminGroupDn, { scope: 'base', attributes: ['objectSid'] });
        const sid = group && firstBuffer(group, 'objectSid');
        if (sid) byDn.set(tenant.adminGroupDn, sidToString(sid));
      } catch (error) {
        // A configured admin group that does not exist protects no one; it must not block resets elsewhere.
        if (toDirectoryError(error).code !== 'DIRECTORY_USER_NOT_FOUND') throw error;
      }
    }
    this.adminGroupSids = { at: now, byDn };
    return byDn;
  }

  /** Reads the target afresh (by GUID, inside the environment) and refuses what must never be reset. */
  private async checkTarget(client: Client, tenant: Tenant, person: Person): Promise<Person> {
    const fresh = await this.search(client, tenant.baseDn, {
      scope: 'sub',
      filter: new EqualityFilter({ attribute: 'objectGUID', value: guidToBuffer(person.guid) }),
      attributes: [...PERSON_ATTRIBUTES, 'adminCount', 'objectSid'],
      sizeLimit: 2,
    });
    const entry = fresh[0];
    if (!entry || fresh.length !== 1 || !isDnWithin(entry.dn, tenant.baseDn) || !dnEquals(entry.dn, person.dn)) {
      throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
    }
    if (!isPersonEntry(entry)) throw new AppError('TARGET_NOT_PERSON');
    const current = toPerson(entry);
    const sidBytes = firstBuffer(entry, 'objectSid');
    if (!sidBytes) throw new AppError('DIRECTORY_ERROR', { detail: 'account without objectSid' });
    const sid = sidToString(sidBytes);
    const domainSid = domainSidOf(sid);

    if (first(entry, 'adminCount') === '1') throw new AppError('TARGET_PROTECTED', { detail: 'adminCount' });
    if (sid === `${domainSid}-${KRBTGT_RID}` || current.sam.toLowerCase() === 'krbtgt') throw new AppError('TARGET_PROTECTED');
    if (dnEquals(entry.dn, this.options.bindDn)) throw new AppError('TARGET_PROTECTED', { detail: 'service account' });

    // tokenGroups is computed by the server: nested groups and the primary group count.
    const [tokens] = await this.search(client, entry.dn, { scope: 'base', attributes: ['tokenGroups'] });
    const groupSids = new Set(tokens ? allBuffers(tokens, 'tokenGroups').map(sidToString) : []);
    if (groupSids.size === 0) throw new AppError('DIRECTORY_ERROR', { detail: 'tokenGroups could not be read' });
    const privileged = [
      ...Object.values(PRIVILEGED_DOMAIN_RIDS).map((rid) => `${domainSid}-${rid}`),
      ...PRIVILEGED_BUILTIN_SIDS,
    ];
    if (privileged.some((s) => groupSids.has(s))) throw new AppError('TARGET_PROTECTED', { detail: 'privileged group' });
    const adminGroups = await this.adminGroupSidsByDn(client);
    if ([...adminGroups.values()].some((s) => groupSids.has(s))) {
      throw new AppError('TARGET_PROTECTED', { detail: 'admin group' });
    }
    // With DONT_EXPIRE_PASSWD, pwdLastSet=0 does not force the change: the password would not be single-use.
    if (current.status.passwordNeverExpires) throw new AppError('TARGET_PASSWORD_NEVER_EXPIRES');
    return current;
  }

  async assertResettable(tenant: Tenant, person: Person): Promise<void> {
    await this.asService((client) => this.checkTarget(client, tenant, person));
  }

  async setTemporaryPassword(tenant: Tenant, person: Person, password: string): Promise<void> {
    if (password === '') throw new AppError('INPUT_INVALID');
    await this.asService(async (client) => {
      const current = await this.checkTarget(client, tenant, person);
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
      // One modify: the password and the forced change land together or not at all.
      await client.modify(current.dn, changes);
    });
  }

  async ping(): Promise<void> {
    await this.asService(async (client) => {
      await this.defaultNamingContext(client);
    });
  }
}
