/**
 * The audit log: who reset or mailed which account's password, when, and how it ended.
 * One lowdb JSON file per UTC month (`<dir>/YYYY-MM.json`, `{ "entries": [...] }`), owner-only.
 * A password never enters it: every entry is checked against a strict schema before it is written.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors/catalog.js';
import { ensurePrivateDir, isNotFound, jsonFile, type JsonFile } from '../storage/json-file.js';

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
    action: z.enum(['reset', 'mail', 'notice-mail', 'sign-in']),
    outcome: z.enum(['intent', 'success', 'refused', 'failed']),
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
  })
  .strict();

export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type AuditAction = AuditEntry['action'];
export type AuditOutcome = AuditEntry['outcome'];
export type AuditRecordInput = Omit<AuditEntry, 'id' | 'time'> & { time?: Date };

export interface AuditLog {
  /** Validates, then appends and awaits the write; throws AUDIT_WRITE_FAILED if it cannot. */
  record(entry: AuditRecordInput): Promise<AuditEntry>;
  /** Newest first, from the current and previous month files; `limit` defaults to 20. */
  recent(filter: { environment?: string; targetSam?: string; limit?: number }): Promise<AuditEntry[]>;
  /** Removes entries older than `retentionDays` (and month files left empty); returns how many. */
  purge(now?: Date): Promise<number>;
}

interface AuditFile {
  entries: AuditEntry[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MONTH_FILE = /^\d{4}-\d{2}\.json$/;

export function createLowdbAuditLog(options: {
  dir: string;
  retentionDays: number;
  clock?: () => Date;
}): AuditLog {
  const { dir, retentionDays, clock = () => new Date() } = options;
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new AppError('CONFIG_INVALID', { detail: 'audit retentionDays' });
  }
  const fileOf = (month: string): string => path.join(dir, `${month}.json`);

  return {
    async record(input) {
      let entry: AuditEntry;
      try {
        const { time = clock(), ...rest } = input;
        entry = auditEntrySchema.parse({ ...rest, id: randomUUID(), time: time.toISOString() });
      } catch (cause) {
        throw new AppError('AUDIT_WRITE_FAILED', { cause: withoutValues(cause) });
      }
      try {
        await ensurePrivateDir(dir);
        await update(fileOf(entry.time.slice(0, 7)), (entries) => [...entries, entry]);
      } catch (cause) {
        throw new AppError('AUDIT_WRITE_FAILED', { cause });
      }
      return entry;
    },

    async recent({ environment, targetSam, limit = 20 }) {
      const now = clock();
      const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const sam = targetSam?.toLowerCase(); // sAMAccountName is case-insensitive
      try {
        const files = await Promise.all([previous, now].map((d) => readEntries(fileOf(monthOf(d)))));
        return files
          .flat()
          .reverse() // later-appended first among entries with the same time
          .filter((e) => environment === undefined || e.environment === environment)
          .filter((e) => sam === undefined || e.target?.sam?.toLowerCase() === sam)
          .sort((a, b) => b.time.localeCompare(a.time))
          .slice(0, Math.max(0, limit));
      } catch (cause) {
        throw new AppError('INTERNAL', { cause });
      }
    },

    async purge(now = clock()) {
      const cutoffMs = now.getTime() - retentionDays * DAY_MS;
      const cutoff = new Date(cutoffMs).toISOString();
      try {
        let removed = 0;
        for (const name of (await listDir(dir)).filter((n) => MONTH_FILE.test(n))) {
          const monthStart = Date.parse(`${name.slice(0, 7)}-01T00:00:00.000Z`);
          if (monthStart >= cutoffMs) continue; // wholly inside the retention window
          await update(path.join(dir, name), (entries) => {
            const kept = entries.filter((e) => e.time >= cutoff);
            removed += entries.length - kept.length;
            return kept;
          });
        }
        return removed;
      } catch (cause) {
        throw new AppError('AUDIT_WRITE_FAILED', { cause });
      }
    },
  };
}

/**
 * Read-modify-write of one month file, serialized per file (lowdb has no locking: without this,
 * concurrent record() calls would overwrite each other's entries). A file left empty is removed.
 * A file that cannot be read is never overwritten: the update throws.
 */
async function update(file: string, change: (entries: AuditEntry[]) => AuditEntry[]): Promise<void> {
  await monthFile(file).update((data) => {
    const after = change(data.entries);
    if (after.length === 0) return { result: undefined, next: 'delete' };
    // record() only appends, purge() only removes
    return after.length === data.entries.length ? { result: undefined } : { result: undefined, next: { entries: after } };
  });
}

function monthFile(file: string): JsonFile<AuditFile> {
  return jsonFile<AuditFile>({
    file,
    validate: (data) => {
      if (!isAuditFile(data)) throw new Error('not an audit file');
      return data;
    },
    empty: () => ({ entries: [] }),
  });
}

async function readEntries(file: string): Promise<AuditEntry[]> {
  return (await monthFile(file).read()).entries;
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

function isAuditFile(data: unknown): data is AuditFile {
  return typeof data === 'object' && data !== null && Array.isArray((data as { entries?: unknown }).entries);
}

/** Zod messages can quote the rejected value; keep only where and what kind of problem. */
function withoutValues(error: unknown): unknown {
  if (!(error instanceof z.ZodError)) return error;
  const issues = error.issues.map((issue) => {
    const where = issue.path.join('.') || 'entry';
    return issue.code === 'unrecognized_keys' ? `${where}: unknown key(s) ${issue.keys.join(', ')}` : `${where}: ${issue.code}`;
  });
  return new Error(`invalid audit entry: ${issues.join('; ')}`);
}
