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

/**
 * A person as the list keeps them: `text` is what `find` and a typed name are compared with, folded
 * (lower case, accents dropped) once when the person is taken in: their names (display, given,
 * surname, CN), then, after NAMES_END, account name, UPN and mail, each on a line of its own.
 */
interface Entry {
  readonly person: Person;
  readonly hasDisplayName: boolean;
  readonly text: string;
  /** Where the names end in `text`. */
  readonly namesEnd: number;
}

const NAMES_END = '\u0001';

/** Lower case without accents: "Özlem" and "İbrahim" are found as "ozlem" and "ibrahim". */
function folded(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

function entryOf({ person, hasDisplayName, names }: ListedPerson): Entry {
  const others = [person.sam, person.upn, person.mail === person.upn ? null : person.mail].filter((v): v is string => v !== null);
  // Folded as one: one flat string per person (10,000 of them stay in memory).
  const text = folded(`${names.join('\n')}${NAMES_END}${others.join('\n')}`);
  return { person, hasDisplayName, text, namesEnd: text.indexOf(NAMES_END) };
}

const keyOf = (p: Entry): PageCursor => p.person;
const byKey = (a: Entry, b: Entry) => compareKeys(keyOf(a), keyOf(b));

/**
 * `find`: part of a name, the account name, UPN or mail, in any case and without regard to accents.
 * One search in one string per person: 10,000 people take a millisecond or two.
 */
function matcher(search: string | undefined): ((p: Entry) => boolean) | undefined {
  const wanted = folded(search?.trim() ?? '');
  if (!wanted) return undefined;
  return ({ text }) => text.includes(wanted);
}

/** The same text in any case (the lengths first: most differ). */
const sameText = (value: string | null, lowered: string): boolean => value !== null && value.length === lowered.length && value.toLowerCase() === lowered;

/** Above this many changes at once, sorting anew beats moving entries one by one. */
const REBUILD_ABOVE = 64;

export class PeopleList {
  /** Everyone in the environment, by GUID (the picker finds people without a display name too). */
  private readonly byGuid = new Map<string, Entry>();
  /** Those with a display name, in the list's order. */
  private sorted: Entry[] = [];

  constructor(people: readonly ListedPerson[]) {
    for (const p of people) this.byGuid.set(p.person.guid, entryOf(p));
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
      if (compareKeys(keyOf(this.sorted[mid] as Entry), cursor) <= 0) lo = mid + 1;
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
      if (compareKeys(keyOf(this.sorted[mid] as Entry), cursor) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Applies what the directory says changed: `inside` tells whether a DN lies in this environment;
   * someone changed outside it (moved away) leaves the list. All at once: a reader never sees half.
   */
  apply(changed: readonly ListedPerson[], inside: (dn: string) => boolean): void {
    const updates: { old: Entry | undefined; now: Entry | undefined }[] = [];
    for (const p of changed) {
      const old = this.byGuid.get(p.person.guid);
      const now = inside(p.person.dn) ? entryOf(p) : undefined;
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
        const p = this.sorted[i] as Entry;
        if (!match || match(p)) rows.push(p.person);
      }
      const shown = rows.slice(0, request.pageSize).reverse();
      return { people: shown, hasMore: rows.length > request.pageSize };
    }
    for (let i = request.after ? this.firstAfter(request.after) : 0; i < this.sorted.length && rows.length < wanted; i++) {
      const p = this.sorted[i] as Entry;
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
    const steps: ((p: Entry) => boolean)[] = [({ person }) => sameText(person.sam, ref)];
    const prefix = samPrefix?.toLowerCase();
    if (prefix && !ref.startsWith(prefix)) steps.push(({ person }) => sameText(person.sam, prefix + ref));
    if (ref.includes('@')) steps.push(({ person }) => sameText(person.upn, ref) || sameText(person.mail, ref));
    // The start of a name: at the start of the text, or of one of its lines before NAMES_END.
    const start = folded(ref);
    const lineStart = `\n${start}`;
    steps.push(({ text, namesEnd }) => {
      if (text.startsWith(start)) return true;
      const at = text.indexOf(lineStart);
      return at >= 0 && at < namesEnd;
    });
    for (const step of steps) {
      const found: Entry[] = [];
      for (const p of this.byGuid.values()) if (step(p)) found.push(p);
      if (found.length > 0) return found.sort(byKey).slice(0, MAX_MATCHES + 1).map((p) => p.person);
    }
    return [];
  }
}
