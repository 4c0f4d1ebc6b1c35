/**
 * One environment's people in memory, in the list's order (display name, objectGUID): pages, `find`
 * and the name picker answer from here, so that no page makes the directory sort the environment.
 * Pure: src/employees/people-index.ts loads it and keeps it fresh.
 */
import { MAX_MATCHES, type ListedPerson, type PageCursor, type Person } from '../directory/directory.js';

export interface ListPageRequest {
  readonly search?: string | undefined;
  readonly pageSize: number;
  readonly after?: PageCursor | undefined;
  readonly before?: PageCursor | undefined;
}

export interface ListPage {
  readonly people: readonly Person[];
  /** More people follow the last one shown (or precede the first, when paging back). */
  readonly hasMore: boolean;
}

export interface NumberedPage {
  readonly people: readonly Person[];
  /** The page shown: the one asked for, or the last one when that lies past the end. */
  readonly pageNumber: number;
  readonly hasNext: boolean;
}

// Names compare as people read them (case and accents after the letters), the same on every
// directory; people who share a name are ordered by GUID, so a cursor names one exact position.
const collator = new Intl.Collator('en', { usage: 'sort' });

function compareKeys(a: PageCursor, b: PageCursor): number {
  return collator.compare(a.displayName, b.displayName) || (a.guid < b.guid ? -1 : a.guid > b.guid ? 1 : 0);
}

const keyOf = (p: ListedPerson): PageCursor => p.person;
const byKey = (a: ListedPerson, b: ListedPerson) => compareKeys(keyOf(a), keyOf(b));
const ASCII = /^[\x00-\x7f]*$/;

/** Lower case without accents: "Özlem" and "İbrahim" are found as "ozlem" and "ibrahim". */
export function folded(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

/**
 * Whether `value` contains `text` (`anchored`: starts with it), in any case and without regard to
 * accents. ASCII values are tested with a case-insensitive pattern, so that a search of 10,000
 * people makes no string per person; only values beyond ASCII are folded.
 */
function textTest(text: string, anchored = false): (value: string | null) => boolean {
  const wanted = folded(text);
  const re = new RegExp(`${anchored ? '^' : ''}${wanted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i');
  return (value) => {
    if (value === null) return false;
    if (ASCII.test(value)) return re.test(value);
    const low = folded(value);
    return anchored ? low.startsWith(wanted) : low.includes(wanted);
  };
}

/** `find`: part of the display name, account name, UPN or mail, in any case. */
function matcher(search: string | undefined): ((p: ListedPerson) => boolean) | undefined {
  const text = search?.trim();
  if (!text) return undefined;
  const has = textTest(text);
  return ({ person }) => has(person.displayName) || has(person.sam) || has(person.upn) || has(person.mail);
}

/** The same text in any case (the lengths first: most differ). */
const sameText = (value: string | null, lowered: string): boolean => value !== null && value.length === lowered.length && value.toLowerCase() === lowered;

/** Above this many changes at once, sorting anew beats moving entries one by one. */
const REBUILD_ABOVE = 64;

export class PeopleList {
  /** Everyone in the environment, by GUID (the picker finds people without a display name too). */
  private readonly byGuid = new Map<string, ListedPerson>();
  /** Those with a display name, in the list's order. */
  private sorted: ListedPerson[] = [];

  constructor(people: readonly ListedPerson[]) {
    for (const p of people) this.byGuid.set(p.person.guid, p);
    this.rebuild();
  }

  get size(): number {
    return this.byGuid.size;
  }

  private rebuild(): void {
    this.sorted = [...this.byGuid.values()].filter((p) => p.hasDisplayName).sort(byKey);
  }

  /** Index of the first entry after the cursor. */
  private firstAfter(cursor: PageCursor): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(keyOf(this.sorted[mid] as ListedPerson), cursor) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry at or after the cursor. */
  private firstFrom(cursor: PageCursor): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(keyOf(this.sorted[mid] as ListedPerson), cursor) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Applies what the directory says changed: `inside` tells whether a DN lies in this environment;
   * someone changed outside it (moved away) leaves the list. All at once: a reader never sees half.
   */
  apply(changed: readonly ListedPerson[], inside: (dn: string) => boolean): void {
    const updates: { old: ListedPerson | undefined; now: ListedPerson | undefined }[] = [];
    for (const p of changed) {
      const old = this.byGuid.get(p.person.guid);
      const now = inside(p.person.dn) ? p : undefined;
      if (old || now) updates.push({ old, now });
    }
    if (updates.length > REBUILD_ABOVE) {
      for (const { old, now } of updates) {
        if (now) this.byGuid.set(now.person.guid, now);
        else if (old) this.byGuid.delete(old.person.guid);
      }
      this.rebuild();
      return;
    }
    for (const { old, now } of updates) {
      if (old) {
        this.byGuid.delete(old.person.guid);
        if (old.hasDisplayName) {
          const at = this.firstFrom(keyOf(old));
          if (this.sorted[at] === old) this.sorted.splice(at, 1);
          else this.sorted = this.sorted.filter((p) => p !== old);
        }
      }
      if (now) {
        this.byGuid.set(now.person.guid, now);
        if (now.hasDisplayName) this.sorted.splice(this.firstFrom(keyOf(now)), 0, now);
      }
    }
  }

  /** One page after or before a cursor (or the first), optionally only people matching `search`. */
  page(request: ListPageRequest): ListPage {
    const match = matcher(request.search);
    const wanted = request.pageSize + 1;
    const rows: Person[] = [];
    if (request.before) {
      for (let i = this.firstFrom(request.before) - 1; i >= 0 && rows.length < wanted; i--) {
        const p = this.sorted[i] as ListedPerson;
        if (!match || match(p)) rows.push(p.person);
      }
      const shown = rows.slice(0, request.pageSize).reverse();
      return { people: shown, hasMore: rows.length > request.pageSize };
    }
    for (let i = request.after ? this.firstAfter(request.after) : 0; i < this.sorted.length && rows.length < wanted; i++) {
      const p = this.sorted[i] as ListedPerson;
      if (!match || match(p)) rows.push(p.person);
    }
    return { people: rows.slice(0, request.pageSize), hasMore: rows.length > request.pageSize };
  }

  /** Page `pageNumber` (from 1); past the end, the last page. */
  pageAt(pageNumber: number, pageSize: number, search?: string): NumberedPage {
    const match = matcher(search);
    const rows = match ? this.sorted.filter(match) : this.sorted;
    const last = Math.max(1, Math.ceil(rows.length / pageSize));
    const shown = Math.min(Math.max(1, pageNumber), last);
    return { people: rows.slice((shown - 1) * pageSize, shown * pageSize).map((p) => p.person), pageNumber: shown, hasNext: shown < last };
  }

  /**
   * What an admin typed, in the order DESIGN.md gives: exact account name, prefix + input, UPN or
   * mail, then the start of a name (display, given, surname or CN). The first step with a match
   * answers, with at most MAX_MATCHES + 1 people in the list's order.
   */
  resolve(reference: string, samPrefix: string | undefined): Person[] {
    const ref = reference.trim().toLowerCase();
    if (ref === '') return [];
    const steps: ((p: ListedPerson) => boolean)[] = [({ person }) => sameText(person.sam, ref)];
    const prefix = samPrefix?.toLowerCase();
    if (prefix && !ref.startsWith(prefix)) steps.push(({ person }) => sameText(person.sam, prefix + ref));
    if (ref.includes('@')) steps.push(({ person }) => sameText(person.upn, ref) || sameText(person.mail, ref));
    const startsWith = textTest(ref, true);
    steps.push(({ names }) => names.some(startsWith));
    for (const step of steps) {
      const found: ListedPerson[] = [];
      for (const p of this.byGuid.values()) if (step(p)) found.push(p);
      if (found.length > 0) return found.sort(byKey).slice(0, MAX_MATCHES + 1).map((p) => p.person);
    }
    return [];
  }
}
