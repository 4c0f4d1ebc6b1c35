/**
 * What an admin looks at before acting: pages of their environment's employees, one employee, the
 * people a typed name matches, and the environment's recent history. Each re-checks the admin first,
 * on the connection that then reads (see src/auth/acting-admin.ts).
 */
import { asAdmin, type ActingAdmin } from '../auth/acting-admin.js';
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';
import type { Directory, PageCursor, Person } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';

export const PAGE_SIZE = 20;

export interface EmployeePage {
  readonly people: readonly Person[];
  readonly pageNumber: number;
  /** Where the previous and next pages start, when there are such pages. */
  readonly previous?: PageCursor;
  readonly next?: PageCursor;
  /** The request that reads this same page again (to show it anew after an action on one row). */
  readonly origin: PageRequest;
}

export interface PageRequest {
  readonly search?: string | undefined;
  /** Continue from the page the admin saw (`page` is its number) after or before this person. */
  readonly after?: PageCursor | undefined;
  readonly before?: PageCursor | undefined;
  readonly page?: number | undefined;
}

const cursorAt = (p: Person): PageCursor => ({ displayName: p.displayName, guid: p.guid });

/** The page after, before, or (without a cursor) the first: Previous and Next buttons. */
export function listEmployees(directory: Directory, acting: ActingAdmin, request: PageRequest): Promise<EmployeePage> {
  return asAdmin(directory, acting, async (connection) => {
    const { search, after, before } = request;
    const page = await connection.listPeople(acting.tenant, { pageSize: PAGE_SIZE, search, after, before });
    const shownFrom = request.page ?? 1;
    const pageNumber = after ? shownFrom + 1 : before ? Math.max(1, shownFrom - 1) : 1;
    const first = page.people[0];
    const last = page.people[page.people.length - 1];
    // Going forward, more follows when the directory says so; going back, when there were more before.
    const hasNext = before ? Boolean(last) : page.hasMore;
    const hasPrevious = before ? page.hasMore : pageNumber > 1;
    return {
      people: page.people,
      pageNumber,
      origin: { ...(search ? { search } : {}), ...(after ? { after } : {}), ...(before ? { before } : {}), ...(request.page ? { page: request.page } : {}) },
      ...(hasPrevious && first ? { previous: cursorAt(first) } : {}),
      ...(hasNext && last ? { next: cursorAt(last) } : {}),
    };
  });
}

/** `list N`: keyset paging cannot jump, so it walks forward; past the end it stops at the last page. */
export function employeePage(directory: Directory, acting: ActingAdmin, pageNumber: number, search?: string): Promise<EmployeePage> {
  return asAdmin(directory, acting, async (connection) => {
    let after: PageCursor | undefined;
    let page = 1;
    for (;;) {
      const result = await connection.listPeople(acting.tenant, { pageSize: PAGE_SIZE, search, after });
      const last = result.people[result.people.length - 1];
      if (page === pageNumber || !result.hasMore || !last) {
        return {
          people: result.people,
          pageNumber: page,
          // As Next from the page before would ask for it.
          origin: { ...(search ? { search } : {}), ...(after ? { after, page: page - 1 } : {}) },
          ...(page > 1 && result.people[0] ? { previous: cursorAt(result.people[0]) } : {}),
          ...(result.hasMore && last ? { next: cursorAt(last) } : {}),
        };
      }
      after = cursorAt(last);
      page += 1;
    }
  });
}

/** What the admin typed, resolved in the environment: one or more people, or DIRECTORY_USER_NOT_FOUND. */
export async function resolveEmployees(directory: Directory, acting: ActingAdmin, reference: string): Promise<readonly Person[]> {
  const people = await asAdmin(directory, acting, (connection) => connection.resolvePeople(acting.tenant, reference));
  if (people.length === 0) throw new AppError('DIRECTORY_USER_NOT_FOUND');
  return people;
}

/** One employee by objectGUID (from a card), inside the environment, read now. */
export async function employeeByGuid(directory: Directory, acting: ActingAdmin, guid: string): Promise<Person> {
  const person = await asAdmin(directory, acting, (connection) => connection.findPersonByGuid(acting.tenant, guid));
  if (!person) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
  return person;
}

/** What this admin did lately to one employee, for the list's "reset by you at 10:42". */
export interface RecentAction {
  readonly action: 'reset' | 'mail' | 'unlock';
  readonly at: Date;
  readonly recipient?: string;
}

/** How far back the list marks what the admin did. */
const RECENT_ACTION_MS = 12 * 60 * 60 * 1000;

/**
 * The newest reset, mail or unlock that this admin completed on each of these employees in the last
 * 12 hours, from the audit (so a list shown anew keeps every row's mark). One read of the audit.
 */
export async function recentActionsBy(audit: AuditLog, acting: ActingAdmin, guids: readonly string[], now = new Date()): Promise<Map<string, RecentAction>> {
  const wanted = new Set(guids);
  const found = new Map<string, RecentAction>();
  if (wanted.size === 0) return found;
  const entries = await audit.recent({ environment: acting.tenant.key, limit: 200 });
  for (const entry of entries) {
    const guid = entry.target?.guid;
    const at = new Date(entry.time);
    if (!guid || !wanted.has(guid) || found.has(guid) || entry.outcome !== 'success') continue;
    if (entry.admin.dn !== acting.session.admin.dn || now.getTime() - at.getTime() > RECENT_ACTION_MS) continue;
    if (entry.action !== 'reset' && entry.action !== 'mail' && entry.action !== 'unlock') continue;
    found.set(guid, { action: entry.action, at, ...(entry.action === 'mail' && entry.mail ? { recipient: entry.mail.recipient } : {}) });
  }
  return found;
}

/** The environment's recent audit entries, for one employee when `user` names exactly one. */
export async function recentHistory(deps: { directory: Directory; audit: AuditLog }, acting: ActingAdmin, user?: string): Promise<AuditEntry[]> {
  const targetSam = await asAdmin(deps.directory, acting, async (connection) => {
    if (!user) return undefined;
    const people = await connection.resolvePeople(acting.tenant, user);
    return people.length === 1 ? people[0]?.sam : user;
  });
  return deps.audit.recent({ environment: acting.tenant.key, ...(targetSam ? { targetSam } : {}), limit: 15 });
}
