/**
 * What an admin looks at before acting: pages of their environment's employees, one employee, the
 * people a typed name matches, and the environment's recent history. Each re-checks the admin first
 * (see src/auth/acting-admin.ts). Pages, `find` and the picker come from the environment's list in
 * memory (src/employees/people-index.ts), at most a few seconds old; one employee is read now.
 */
import { asAdmin, type ActingAdmin } from '../auth/acting-admin.js';
import type { AuditLog } from '../audit/audit-log.js';
import { historyLines, type HistoryLine } from './history.js';
import type { Directory, PageCursor, Person } from '../directory/directory.js';
import { refusalMark, type RefusalMark } from '../directory/protection.js';
import { AppError } from '../errors/catalog.js';
import type { PeopleIndex } from './people-index.js';
import type { PeopleList } from './people-list.js';

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

/** What browsing needs: the directory (for the admin's re-check and fresh reads) and the lists in memory. */
export interface Browsing {
  readonly directory: Directory;
  readonly people: PeopleIndex;
}

/**
 * Reads the environment's list after the admin's re-check has passed. The re-check and a first
 * load of the list run side by side; a failed re-check wins over anything the load says.
 */
async function fromList<T>(deps: Browsing, acting: ActingAdmin, read: (list: PeopleList) => T): Promise<T> {
  const [check, list] = await Promise.allSettled([asAdmin(deps.directory, acting, async () => undefined), deps.people.list(acting.tenant)]);
  if (check.status === 'rejected') throw check.reason;
  if (list.status === 'rejected') throw list.reason;
  return read(list.value);
}

/** The page after, before, or (without a cursor) the first: Previous and Next buttons. */
export function listEmployees(deps: Browsing, acting: ActingAdmin, request: PageRequest): Promise<EmployeePage> {
  return fromList(deps, acting, (list) => {
    const { search, after, before } = request;
    const page = list.page({ pageSize: PAGE_SIZE, search, after, before });
    const shownFrom = request.page ?? 1;
    const pageNumber = after ? shownFrom + 1 : before ? Math.max(1, shownFrom - 1) : 1;
    const first = page.people[0];
    const last = page.people[page.people.length - 1];
    // Going forward, more follows when the list says so; going back, when there were more before.
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

/** `list N`; past the end it shows the last page. */
export function employeePage(deps: Browsing, acting: ActingAdmin, pageNumber: number, search?: string): Promise<EmployeePage> {
  return fromList(deps, acting, (list) => {
    const page = list.pageAt(pageNumber, PAGE_SIZE, search);
    const first = page.people[0];
    const last = page.people[page.people.length - 1];
    // As Next from the page before would ask for it.
    const lastBefore = page.pageNumber > 1 ? list.pageAt(page.pageNumber - 1, PAGE_SIZE, search).people.at(-1) : undefined;
    return {
      people: page.people,
      pageNumber: page.pageNumber,
      origin: { ...(search ? { search } : {}), ...(lastBefore ? { after: cursorAt(lastBefore), page: page.pageNumber - 1 } : {}) },
      ...(page.pageNumber > 1 && first ? { previous: cursorAt(first) } : {}),
      ...(page.hasNext && last ? { next: cursorAt(last) } : {}),
    };
  });
}

/**
 * What the admin typed, resolved in the environment's list: one or more people, or
 * DIRECTORY_USER_NOT_FOUND. A single match is read again from the directory: its card is shown now.
 */
export async function resolveEmployees(deps: Browsing, acting: ActingAdmin, reference: string): Promise<readonly Person[]> {
  // The list loads (the first time) while the admin is re-checked.
  const listing = deps.people.list(acting.tenant);
  listing.catch(() => undefined);
  const people = await asAdmin(deps.directory, acting, async (connection) => {
    const found = (await listing).resolve(reference, acting.tenant.samPrefix);
    const only = found.length === 1 ? found[0] : undefined;
    if (!only) return found;
    const now = await connection.findPersonByGuid(acting.tenant, only.guid);
    return now ? [now] : [];
  });
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
  const entries = await audit.recent({ environment: acting.tenant.key, targetGuids: [...wanted], limit: 200 });
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

/**
 * Which of these people the bot will refuse, and why, for marking them (no buttons, a reason): at
 * most one search for group memberships per page (the lists in memory keep its answer for a
 * minute: src/employees/people-index.ts), the rest from what the list already holds.
 */
export async function refusalMarks(
  groups: Pick<Directory, 'inProtectedGroups'>,
  acting: ActingAdmin,
  people: readonly Person[],
): Promise<Map<string, RefusalMark>> {
  const marks = new Map<string, RefusalMark>();
  if (people.length === 0) return marks;
  const inGroups = await groups.inProtectedGroups(acting.tenant, people.map((p) => p.guid));
  for (const person of people) {
    const mark = refusalMark(person, acting.session.admin.guid, inGroups.has(person.guid));
    if (mark) marks.set(person.guid, mark);
  }
  return marks;
}

/** Lines of history per page. */
export const HISTORY_PAGE_SIZE = 15;

export interface HistoryPage {
  readonly lines: readonly HistoryLine[];
  readonly page: number;
  /** Older lines may follow. */
  readonly more: boolean;
}

/**
 * The environment's history, one line per action, newest first; for one employee when `user` names
 * one (their refused card presses, which name them by objectGUID only, included).
 */
export async function recentHistory(deps: Browsing & { audit: AuditLog }, acting: ActingAdmin, user?: string, page = 1): Promise<HistoryPage> {
  const one = await fromList(deps, acting, (list) => {
    if (!user) return undefined;
    const people = list.resolve(user, acting.tenant.samPrefix);
    return people.length === 1 ? people[0] : undefined;
  });
  const wantedLines = page * HISTORY_PAGE_SIZE + 1;
  // An action is up to four entries (intent, reset, mail, notice); an employee's are among the environment's.
  const limit = Math.min(5000, wantedLines * (user ? 20 : 4));
  const entries = one
    ? (await deps.audit.recent({ environment: acting.tenant.key, limit })).filter(
        (e) => e.target?.guid === one.guid || e.target?.sam?.toLowerCase() === one.sam.toLowerCase(),
      )
    : await deps.audit.recent({ environment: acting.tenant.key, ...(user ? { targetSam: user } : {}), limit });
  const lines = historyLines(entries);
  const named = lines.map((line) => (line.target === null && one && line.targetGuid === one.guid ? { ...line, target: one.sam } : line));
  return { lines: named.slice((page - 1) * HISTORY_PAGE_SIZE, page * HISTORY_PAGE_SIZE), page, more: named.length > page * HISTORY_PAGE_SIZE };
}
