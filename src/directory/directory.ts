/**
 * The directory as the rest of the product sees it. Only src/directory knows LDAP; the use cases
 * and the bot talk to this interface.
 */
import type { Tenant } from '../config/config.js';

export interface AccountStatus {
  readonly disabled: boolean;
  readonly lockedOut: boolean;
  /** pwdLastSet = 0: the next sign-in must choose a new password. */
  readonly mustChange: boolean;
  readonly passwordNeverExpires: boolean;
  readonly passwordExpired: boolean;
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
}

/** A signed-in admin, as the directory knows them. */
export interface AdminIdentity {
  readonly dn: string;
  readonly upn: string | null;
  readonly sam: string;
  readonly displayName: string;
}

/** Where a page starts: after (or before) the display name last shown, skipping ties already shown. */
export interface PageCursor {
  readonly displayName: string;
  readonly seen: readonly string[];
}

export interface PageRequest {
  readonly search?: string | undefined;
  readonly pageSize: number;
  readonly after?: PageCursor | undefined;
  readonly before?: PageCursor | undefined;
}

export interface PersonPage {
  readonly people: readonly Person[];
  /** More people follow the last one shown (or precede the first, when paging back). */
  readonly hasMore: boolean;
}

export interface Directory {
  /** One page of an environment's employees, ordered by display name; never the whole OU. */
  listPeople(tenant: Tenant, page: PageRequest): Promise<PersonPage>;
  /** Resolves what an admin typed (`jmus`, `sbf_jmus`, a UPN or mail, a name) within the environment. */
  resolvePeople(tenant: Tenant, reference: string): Promise<readonly Person[]>;
  /** Re-reads one person by objectGUID, inside the environment, or null. */
  findPersonByGuid(tenant: Tenant, guid: string): Promise<Person | null>;
  /** Binds as the person; throws AUTH_* errors. An empty password never reaches a bind. */
  authenticate(login: string, password: string): Promise<AdminIdentity>;
  /** The environments whose admin group holds the admin, nesting included. */
  administeredTenants(adminDn: string, tenants: readonly Tenant[]): Promise<readonly Tenant[]>;
  /** Throws TARGET_* when the person may not be reset from this environment; reads fresh from the directory. */
  assertResettable(tenant: Tenant, person: Person): Promise<void>;
  /** Sets the password and forces a change at next logon, in one modify; unlocks a locked account. */
  setTemporaryPassword(tenant: Tenant, person: Person, password: string): Promise<void>;
  /** Binds as the service account and reads the root DSE: for health checks. */
  ping(): Promise<void>;
}
