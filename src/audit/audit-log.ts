/**
 * The audit log: who reset or mailed which account's password, when, and how it ended.
 * One JSON Lines file per UTC month (`<dir>/YYYY-MM.jsonl`, one entry per line), owner-only:
 * recording an entry appends one line (never rewrites the file), reading streams the file from its
 * end. A password never enters it: every entry is checked against a strict schema before it is
 * written, and again when it is read back.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors/catalog.js';
import { ensurePrivateDir, isNotFound, serialized } from '../storage/json-file.js';
import { appendLines, eachLine, linesBackward, linesForward, removeFile, replaceFile } from './lines.js';

const text = z.string().nullable();

export const auditEntrySchema = z
  .object({
    id: z.string().uuid(),
    /** UTC ISO 8601 (`…Z`). */
    time: z.string().datetime(),
    /** Tenant key. */
    environment: text,
    admin: z.object({ dn: text, upn: text, teamsId: text.optional() }).strict(),
    target: z
      .object({
        dn: text,
        sam: text,
        guid: text,
        /** What the admin typed, for lookups that were refused or found nothing. */
        reference: text.optional(),
      })
      .strict()
      .optional(),
    action: z.enum(['reset', 'mail', 'notice-mail', 'sign-in', 'password-chosen', 'expire', 'unlock', 'portal-change', 'link-mail', 'link-change']),
    /**
     * `intent`: recorded before the directory is changed. `success`, `refused`, `failed`: how it
     * ended, as seen. `unknown`: the change was sent but no answer came (it may or may not have been
     * applied; the intent stays open). `applied`, `not-applied`: what reconciliation found in the
     * directory afterwards (src/reset/reconcile.ts).
     */
    outcome: z.enum(['intent', 'success', 'refused', 'failed', 'unknown', 'applied', 'not-applied']),
    mail: z
      .object({
        recipient: z.string(),
        language: z.enum(['nl', 'en']),
        messageId: text.optional(),
        smtpResponse: text.optional(),
      })
      .strict()
      .optional(),
    /** A code from src/errors/catalog.ts. */
    errorCode: text.optional(),
    /** Short safe text (AD's policy reason), never a password. */
    detail: z.string().max(500).nullable().optional(),
    /** Ties the intent and the outcome of one action. */
    correlationId: text.optional(),
    /**
     * The target's msDS-KeyVersionNumber (it rises on every password set) as read when this entry
     * was made: just before the change on an intent, at the check on `applied`/`not-applied`.
     */
    keyVersion: z.number().int().min(0).optional(),
    /** The Password Change Portal's client (the address the request came from), for its entries. */
    client: z.object({ address: z.string().max(64) }).strict().optional(),
    /** The target's pwdLastSet (FILETIME as the directory returns it, '0' = change forced), read with keyVersion. */
    pwdLastSet: z.string().regex(/^-?\d{1,20}$/).optional(),
  })
  .strict();

export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type AuditAction = AuditEntry['action'];
export type AuditOutcome = AuditEntry['outcome'];
export type AuditRecordInput = Omit<AuditEntry, 'id' | 'time'> & { time?: Date };

export interface AuditLog {
  /** Validates, then appends and awaits the write; throws AUDIT_WRITE_FAILED if it cannot. */
  record(entry: AuditRecordInput): Promise<AuditEntry>;
  /**
   * Newest first, from the current and previous month files; `limit` defaults to 20. Entries are
   * read from the end of the files and reading stops at `limit`, so entries are taken to be
   * recorded in time order (as they are when their time comes from the clock); among those read,
   * the order is by time, the later recorded first for equal times. `targetGuids`: of the `limit`
   * newest entries (after the other filters), only those about one of these accounts (objectGUID):
   * the list's "reset by you at 10:42" marks, which need only its page's rows checked.
   */
  recent(filter: RecentFilter): Promise<AuditEntry[]>;
  /** Removes entries older than `retentionDays` (and month files left empty); returns how many. */
  purge(now?: Date): Promise<number>;
  /**
   * Directory changes begun and never settled, for the reconciliation (src/reset/reconcile.ts).
   *
   * Returns the entries with outcome `intent` and action `reset` or `mail` that carry a
   * correlationId and whose time is strictly before `olderThan`, except those for which another
   * entry with the same correlationId has an outcome other than `intent` and `unknown` (that is:
   * `success`, `refused`, `failed`, `applied` or `not-applied`, whatever that entry's action; an
   * `unknown` outcome leaves the intent open). One entry per correlationId (the earliest intent),
   * oldest first, each exactly as recorded (schema-checked; an entry that fails the schema is
   * left out, as in `recent`, and cannot settle an intent).
   *
   * Window: as `recent`, only intents recorded since the start of the previous UTC month of the
   * log's clock (not of `olderThan`) are considered; the settling entry of such an intent may be
   * anywhere in that window. Reading never changes anything; throws INTERNAL if the log cannot be read.
   */
  openIntents(olderThan: Date): Promise<AuditEntry[]>;
  /**
   * Every entry of `range`, oldest first (the order they were recorded: with times from the clock,
   * time order), for the operator's export (src/audit/export.ts). Streams: entries are read and
   * yielded in batches, never all at once. Reading never changes anything (the embedded log does
   * not even convert an earlier version's month file; it reports it as `legacy-not-read`), so it
   * may run beside the bot that writes the log. Entries that fail the schema are left out, as in
   * `recent`. Throws INTERNAL (or STATE_UNAVAILABLE) if the log cannot be read.
   */
  between(range: AuditRange): AsyncIterable<AuditEntry>;
}

export interface RecentFilter {
  readonly environment?: string;
  readonly targetSam?: string;
  readonly targetGuids?: readonly string[];
  readonly limit?: number;
}

export interface AuditRange {
  /** The first instant included; absent: from the oldest entry kept. */
  readonly from?: Date;
  /** The first instant not included; absent: up to the newest entry. */
  readonly to?: Date;
  /** Only entries of these environments (tenant keys); absent: every entry, those without an environment too. */
  readonly environments?: readonly string[];
}

/** Outcomes that settle an intent: the action ended as seen, or reconciliation found out. */
const SETTLING_OUTCOMES: ReadonlySet<AuditOutcome> = new Set(['success', 'refused', 'failed', 'applied', 'not-applied']);
/** Actions whose intent precedes a directory change. */
const CHANGING_ACTIONS: ReadonlySet<AuditAction> = new Set(['reset', 'mail', 'expire']);

/**
 * What the log noticed in its files, for the caller to log. Never carries the content of a line
 * (a damaged line could hold anything), only the file's name and counts.
 */
export type AuditFileEvent =
  /** Lines that were cut short (a crash mid-append), not JSON, or not a valid entry: left out. */
  | { kind: 'skipped-lines'; file: string; count: number }
  /** A month file of an earlier version (`YYYY-MM.json`) was converted to JSON Lines and removed. */
  | { kind: 'legacy-converted'; file: string; entries: number; invalid: number }
  /** A month file of an earlier version could not be converted; it is left in place. */
  | { kind: 'legacy-not-converted'; file: string; cause: unknown }
  /** `between` met a month file of an earlier version (not converted yet: the bot converts it at its start) and left it out. */
  | { kind: 'legacy-not-read'; file: string };

export interface FileAuditLogOptions {
  dir: string;
  retentionDays: number;
  clock?: () => Date;
  /**
   * fdatasync each entry before `record` resolves (default true). Without it an entry that was
   * recorded survives a crash of the process (it is in the kernel's page cache) but not a power
   * loss or a kernel crash. On by default because the intent entry is written before the directory
   * is changed, and the directory (another machine) keeps its change whatever happens here.
   */
  sync?: boolean;
  onEvent?: (event: AuditFileEvent) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MONTH_FILE = /^(\d{4}-\d{2})\.jsonl$/;
const LEGACY_MONTH_FILE = /^(\d{4}-\d{2})\.json$/;

/** Lines waiting for the next write to one month file, and the callers waiting for that write. */
interface Batch {
  readonly lines: string[];
  readonly callers: { resolve: () => void; reject: (error: unknown) => void }[];
}
const batches = new Map<string, Batch>();

/**
 * Group commit: a line joins the batch of lines waiting while the file's previous write (and its
 * fdatasync) runs, and the whole batch is written by one write and one fdatasync. Each caller is
 * answered only once its line is on disk (or with the error of the write that held it), in the
 * order `record` was called. Fifty admins resetting at once wait for a few syncs, not fifty.
 */
function appendTogether(file: string, line: string, write: (lines: readonly string[]) => Promise<void>): Promise<void> {
  const key = path.resolve(file);
  let batch = batches.get(key);
  if (!batch) {
    const next: Batch = { lines: [], callers: [] };
    batches.set(key, next);
    batch = next;
    serialized(file, () => {
      // From here on, new lines wait for the next write.
      if (batches.get(key) === next) batches.delete(key);
      return write(next.lines);
    }).then(
      () => next.callers.forEach((c) => c.resolve()),
      (error: unknown) => next.callers.forEach((c) => c.reject(error)),
    );
  }
  const joined = batch;
  return new Promise<void>((resolve, reject) => {
    joined.lines.push(line);
    joined.callers.push({ resolve, reject });
  });
}

/**
 * The embedded audit log in `dir`, append-only JSON Lines month files. Appends to one file are
 * serialized in this process, also across instances on the same folder (an instance's in the order
 * its `record` was called), and those waiting are written together (see appendTogether); several
 * processes on one folder are not supported (the data folder is one process's).
 *
 * Month files of earlier versions (`YYYY-MM.json`, one lowdb document) are converted to JSON Lines
 * once, before the first call of this instance returns.
 */
export function createFileAuditLog(options: FileAuditLogOptions): AuditLog {
  const { dir, retentionDays, clock = () => new Date(), sync = true, onEvent = () => undefined } = options;
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new AppError('CONFIG_INVALID', { detail: 'audit retentionDays' });
  }
  const fileOf = (month: string): string => path.join(dir, `${month}.jsonl`);
  const report = (event: AuditFileEvent): void => {
    try {
      onEvent(event);
    } catch {
      // a failing listener must not fail the audit
    }
  };

  let converted: Promise<void> | undefined;
  /** The one-time conversion of earlier versions' files; never rejects (failures are reported). */
  const ready = (): Promise<void> => (converted ??= convertLegacyFiles(dir, fileOf, report));

  return {
    async record(input) {
      let entry: AuditEntry;
      try {
        const { time = clock(), ...rest } = input;
        entry = auditEntrySchema.parse({ ...rest, id: randomUUID(), time: time.toISOString() });
      } catch (cause) {
        throw new AppError('AUDIT_WRITE_FAILED', { cause: withoutValues(cause) });
      }
      const file = fileOf(entry.time.slice(0, 7));
      const line = JSON.stringify(entry);
      try {
        await ready();
        await appendTogether(file, line, async (lines) => {
          await ensurePrivateDir(dir);
          await appendLines(file, lines, { sync });
        });
      } catch (cause) {
        throw new AppError('AUDIT_WRITE_FAILED', { cause });
      }
      return entry;
    },

    async recent({ environment, targetSam, targetGuids, limit = 20 }) {
      await ready();
      const wanted = Math.max(0, limit);
      const guids = targetGuids === undefined ? undefined : new Set(targetGuids);
      let counted = 0;
      const now = clock();
      const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const sam = targetSam?.toLowerCase(); // sAMAccountName is case-insensitive
      // What a line about `sam` contains, as JSON.stringify wrote it, lowercased: a cheap test
      // that spares the JSON parse of the lines about other accounts (most of them).
      const samText = sam === undefined ? undefined : JSON.stringify(sam).slice(1, -1);
      const found: AuditEntry[] = [];
      try {
        for (const month of [monthOf(now), monthOf(previous)]) {
          if ((guids === undefined ? found.length : counted) >= wanted) break;
          const file = fileOf(month);
          let skipped = 0;
          reading: for await (const batch of linesBackward(file)) {
            for (const line of batch) {
              if (samText !== undefined && !line.toLowerCase().includes(samText)) continue;
              const raw = parseLine(line);
              if (raw === undefined) {
                skipped++;
                continue;
              }
              // Filter on the raw object first: only the entries returned pay for the schema check.
              if (environment !== undefined && raw['environment'] !== environment) continue;
              if (sam !== undefined && targetText(raw, 'sam')?.toLowerCase() !== sam) continue;
              // Counted among the newest `limit` whatever it is about; checked only when it is about one of `guids`.
              if (guids !== undefined) {
                counted++;
                const guid = targetText(raw, 'guid');
                if (guid === undefined || !guids.has(guid)) {
                  if (counted >= wanted) break reading;
                  continue;
                }
              }
              const checked = auditEntrySchema.safeParse(raw);
              if (!checked.success) {
                skipped++;
                continue;
              }
              found.push(checked.data);
              if ((guids === undefined ? found.length : counted) >= wanted) break reading;
            }
          }
          if (skipped > 0) report({ kind: 'skipped-lines', file: path.basename(file), count: skipped });
        }
      } catch (cause) {
        throw new AppError('INTERNAL', { cause });
      }
      // Stable: equal times keep the later recorded first. A no-op unless a time was given out of order.
      return found.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    },

    async openIntents(olderThan) {
      await ready();
      const now = clock();
      const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const before = olderThan.getTime();
      const intents = new Map<string, AuditEntry>();
      const settled = new Set<string>();
      try {
        for (const month of [monthOf(previous), monthOf(now)]) {
          const file = fileOf(month);
          let skipped = 0;
          for await (const batch of linesForward(file)) {
            for (const line of batch) {
              // Only entries of an action carry a correlationId: the rest are not parsed.
              if (!line.includes('"correlationId":"')) continue;
              const checked = auditEntrySchema.safeParse(parseLine(line));
              if (!checked.success) {
                skipped++;
                continue;
              }
              const entry = checked.data;
              const id = entry.correlationId;
              if (!id) continue;
              if (entry.outcome === 'intent') {
                if (CHANGING_ACTIONS.has(entry.action) && Date.parse(entry.time) < before && !intents.has(id)) intents.set(id, entry);
              } else if (SETTLING_OUTCOMES.has(entry.outcome)) {
                settled.add(id);
              }
            }
          }
          if (skipped > 0) report({ kind: 'skipped-lines', file: path.basename(file), count: skipped });
        }
      } catch (cause) {
        throw new AppError('INTERNAL', { cause });
      }
      return [...intents.values()].filter((e) => !settled.has(e.correlationId as string)).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    },

    async *between({ from, to, environments }) {
      // No ready(): converting earlier versions' files writes, and this only reads.
      const fromMs = from?.getTime() ?? -Infinity;
      const toMs = to?.getTime() ?? Infinity;
      const first = from === undefined ? '' : monthOf(from);
      const last = to === undefined ? '9999-12' : monthOf(new Date(toMs - 1));
      const wanted = environments === undefined ? undefined : new Set(environments);
      const inRange = (month: string | undefined): month is string => month !== undefined && month >= first && month <= last;
      let names: string[];
      try {
        names = (await listDir(dir)).sort();
      } catch (cause) {
        throw new AppError('INTERNAL', { cause });
      }
      for (const name of names) if (inRange(LEGACY_MONTH_FILE.exec(name)?.[1])) report({ kind: 'legacy-not-read', file: name });
      for (const month of names.map((name) => MONTH_FILE.exec(name)?.[1]).filter(inRange)) {
        const file = fileOf(month);
        let skipped = 0;
        try {
          for await (const batch of linesForward(file)) {
            const found: AuditEntry[] = [];
            for (const line of batch) {
              const raw = parseLine(line);
              if (raw === undefined) {
                skipped++; // cut short (a crashed write, or the line being written right now) or not JSON
                continue;
              }
              // Filter on the raw object first: only the entries exported pay for the schema check.
              if (wanted !== undefined && !(typeof raw['environment'] === 'string' && wanted.has(raw['environment']))) continue;
              const time = typeof raw['time'] === 'string' ? Date.parse(raw['time']) : Number.NaN;
              if (time < fromMs || time >= toMs) continue;
              const checked = auditEntrySchema.safeParse(raw);
              if (!checked.success) {
                skipped++;
                continue;
              }
              found.push(checked.data);
            }
            yield* found;
          }
        } catch (cause) {
          throw new AppError('INTERNAL', { cause });
        }
        if (skipped > 0) report({ kind: 'skipped-lines', file: path.basename(file), count: skipped });
      }
    },

    async purge(now = clock()) {
      await ready();
      const cutoffMs = now.getTime() - retentionDays * DAY_MS;
      try {
        let removed = 0;
        for (const name of await listDir(dir)) {
          const month = MONTH_FILE.exec(name)?.[1] ?? LEGACY_MONTH_FILE.exec(name)?.[1];
          if (month === undefined) continue;
          const [year = 0, monthIndex = 1] = month.split('-').map(Number);
          if (Date.UTC(year, monthIndex - 1, 1) >= cutoffMs) continue; // wholly inside the retention window
          const wholly = Date.UTC(year, monthIndex, 1) <= cutoffMs; // wholly before the cutoff
          const file = path.join(dir, name);
          if (LEGACY_MONTH_FILE.test(name)) {
            // Left only if it could not be converted: removed with its month, never rewritten.
            if (wholly) removed += await removeLegacyFile(file);
            continue;
          }
          removed += await serialized(file, () => (wholly ? removeMonthFile(file) : purgeBoundaryMonth(file, cutoffMs)));
        }
        return removed;
      } catch (cause) {
        throw new AppError('AUDIT_WRITE_FAILED', { cause });
      }
    },
  };
}


/** A month file wholly older than the retention window: removed; returns how many entries it held. */
async function removeMonthFile(file: string): Promise<number> {
  let count = 0;
  for await (const line of eachLine(file)) if (parseLine(line) !== undefined) count++;
  await removeFile(file);
  return count;
}

/**
 * The month file in which the cutoff falls: rewritten without the entries older than the cutoff
 * (through a temp file and a rename). Lines that cannot be read are kept: they go with their month.
 * Entries are in time order, so in practice this drops a head of the file; it checks every line.
 */
async function purgeBoundaryMonth(file: string, cutoffMs: number): Promise<number> {
  let removed = 0;
  let kept = 0;
  await replaceFile(file, async (out) => {
    for await (const line of eachLine(file)) {
      const time = parseLine(line)?.['time'];
      if (typeof time === 'string' && Date.parse(time) < cutoffMs) {
        removed++;
        continue;
      }
      kept++;
      await out.line(line);
    }
    return removed > 0 && kept > 0;
  });
  if (removed > 0 && kept === 0) await removeFile(file);
  return removed;
}

async function removeLegacyFile(file: string): Promise<number> {
  let count = 0;
  try {
    const data: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (isLegacyFile(data)) count = data.entries.length;
  } catch (e) {
    if (isNotFound(e)) return 0;
    // unreadable: removed with its month all the same
  }
  await removeFile(file);
  return count;
}

/**
 * Converts every `YYYY-MM.json` (earlier versions: `{ "entries": [...] }`, rewritten whole on each
 * entry) to `YYYY-MM.jsonl`: its entries first (they are older), then whatever the `.jsonl`
 * already holds; then removes the `.json`. Lines already in the `.jsonl` are not added twice, so a
 * crash between the rename and the removal is harmless. Entries are carried over as they are, even
 * those the current schema refuses (the reader skips those): converting never drops anything. A
 * file that is not JSON is left in place and reported; the conversion is tried again at the next
 * start, and the file is removed with its month by `purge`.
 */
async function convertLegacyFiles(dir: string, fileOf: (month: string) => string, report: (event: AuditFileEvent) => void): Promise<void> {
  let names: string[];
  try {
    names = await listDir(dir);
  } catch {
    return; // no folder to read: recording fails and says so
  }
  for (const name of names) {
    const month = LEGACY_MONTH_FILE.exec(name)?.[1];
    if (month === undefined) continue;
    const legacy = path.join(dir, name);
    const target = fileOf(month);
    try {
      await serialized(target, async () => {
        let json: string;
        try {
          json = await readFile(legacy, 'utf8');
        } catch (e) {
          if (isNotFound(e)) return; // converted meanwhile by another instance
          throw e;
        }
        let data: unknown;
        try {
          data = JSON.parse(json);
        } catch {
          throw new Error(`${name} is not JSON`); // the parser's message can quote the content
        }
        if (!isLegacyFile(data)) throw new Error(`${name} is not an audit file`);
        const already = new Set<string>();
        for await (const line of eachLine(target)) already.add(line);
        const lines = data.entries.map((entry) => JSON.stringify(entry));
        const invalid = data.entries.filter((entry) => !auditEntrySchema.safeParse(entry).success).length;
        await replaceFile(target, async (out) => {
          for (const line of lines) if (!already.has(line)) await out.line(line);
          for await (const line of eachLine(target)) await out.line(line);
          return true;
        });
        await removeFile(legacy);
        report({ kind: 'legacy-converted', file: name, entries: lines.length, invalid });
      });
    } catch (cause) {
      report({ kind: 'legacy-not-converted', file: name, cause });
    }
  }
}

/** The JSON object on `line`, or undefined for a torn line or one that is not a JSON object. */
function parseLine(line: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The target's `sam` or `guid` in a line not yet schema-checked. */
function targetText(raw: Record<string, unknown>, field: 'sam' | 'guid'): string | undefined {
  const target = raw['target'];
  if (typeof target !== 'object' || target === null) return undefined;
  const value = (target as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

function isLegacyFile(data: unknown): data is { entries: unknown[] } {
  return typeof data === 'object' && data !== null && Array.isArray((data as { entries?: unknown }).entries);
}

/** Zod messages can quote the rejected value; keep only where and what kind of problem. */
export function withoutValues(error: unknown): unknown {
  if (!(error instanceof z.ZodError)) return error;
  const issues = error.issues.map((issue) => {
    const where = issue.path.join('.') || 'entry';
    return issue.code === 'unrecognized_keys' ? `${where}: unknown key(s) ${issue.keys.join(', ')}` : `${where}: ${issue.code}`;
  });
  return new Error(`invalid audit entry: ${issues.join('; ')}`);
}
