/**
 * The audit log in PostgreSQL, with the contract of `AuditLog` (src/audit/audit-log.ts): every
 * entry is checked against `auditEntrySchema` before it is written (so a password, or any key the
 * schema does not know, never reaches the table) and again when it is read back. One INSERT per
 * entry, which `record` awaits: when it fails, AUDIT_WRITE_FAILED, and the caller changes nothing.
 *
 * `recent` reads, like the embedded log, the current and the previous UTC month, newest first, on
 * the indexes (environment, time) and (lower(sAMAccountName), time); `openIntents` reads the same
 * window on the index of intents and that of correlation ids; `purge` deletes what is older than
 * the retention in batches, on the index on time; `between` (the export) reads pages of a
 * thousand entries, oldest first, on the index on time (or on environment and time).
 */
import { randomUUID } from 'node:crypto';
import { auditEntrySchema, withoutValues, type AuditEntry, type AuditLog, type AuditRange, type RecentFilter } from '../../audit/audit-log.js';
import { AppError } from '../../errors/catalog.js';
import type { Logger } from '../../log/logger.js';
import { nowParam, type Clock, type Db } from './db.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_BATCH = 10_000;
const EXPORT_BATCH = 1_000;

export function createPostgresAuditLog(db: Db, options: { retentionDays: number; log: Logger; clock?: Clock }): AuditLog {
  const { retentionDays, log, clock } = options;
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) throw new AppError('CONFIG_INVALID', { detail: 'audit retentionDays' });

  const checked = (rows: { entry: unknown }[]): AuditEntry[] => {
    const found: AuditEntry[] = [];
    let skipped = 0;
    for (const row of rows) {
      const parsed = auditEntrySchema.safeParse(row.entry);
      if (parsed.success) found.push(parsed.data);
      else skipped++;
    }
    if (skipped > 0) log.warn({ code: 'AUDIT_ENTRIES_SKIPPED', count: skipped }, 'audit entries that are not valid were left out');
    return found;
  };

  return {
    async record(input) {
      let entry: AuditEntry;
      try {
        const { time = clock?.() ?? new Date(), ...rest } = input;
        entry = auditEntrySchema.parse({ ...rest, id: randomUUID(), time: time.toISOString() });
      } catch (cause) {
        throw new AppError('AUDIT_WRITE_FAILED', { cause: withoutValues(cause) });
      }
      await db.query(
        `INSERT INTO audit_entries (id, time, environment, target_sam, action, outcome, correlation_id, entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
        [entry.id, entry.time, entry.environment, entry.target?.sam ?? null, entry.action, entry.outcome, entry.correlationId ?? null, JSON.stringify(entry)],
        'AUDIT_WRITE_FAILED',
      ).catch((error: unknown) => {
        // Whatever the reason (the database unreachable included), the caller must see this code.
        throw error instanceof AppError && error.code === 'AUDIT_WRITE_FAILED' ? error : new AppError('AUDIT_WRITE_FAILED', { cause: error });
      });
      return entry;
    },

    async recent({ environment, targetSam, targetGuids, limit = 20 }) {
      const wanted = Math.max(0, Math.floor(limit));
      if (wanted === 0) return [];
      const { text, values } = recentQuery({ environment, targetSam, targetGuids, limit: wanted }, nowParam(clock));
      const { rows } = await db.query<{ entry: unknown }>(text, values);
      return checked(rows);
    },

    /**
     * The intents of a directory change (reset, mail) recorded before `olderThan` under a
     * correlation id that nothing has settled yet, one per id (the earliest), oldest first; within
     * the window of `recent` (the current and previous UTC month of the log's clock).
     */
    async openIntents(olderThan) {
      const { rows } = await db.query<{ entry: unknown }>(OPEN_INTENTS_SQL, [nowParam(clock), olderThan, [...SETTLING]]);
      return checked(rows);
    },

    /** Oldest first (time, then the order recorded), in pages of EXPORT_BATCH rows, each page after the last one's (time, seq). */
    async *between(range) {
      let after: { time: string; seq: string } | undefined;
      for (;;) {
        const { text, values } = betweenQuery(range, after);
        const { rows } = await db.query<{ entry: unknown; at: string; after_seq: string }>(text, values);
        yield* checked(rows);
        const last = rows.at(-1);
        if (last === undefined || rows.length < EXPORT_BATCH) return;
        after = { time: last.at, seq: last.after_seq };
      }
    },

    async purge(now) {
      const at = now ?? nowParam(clock);
      let removed = 0;
      for (;;) {
        const { rowCount } = await db.query(PURGE_BATCH_SQL, [at, retentionDays * DAY_MS], 'AUDIT_WRITE_FAILED');
        removed += rowCount;
        if (rowCount < PURGE_BATCH) return removed;
      }
    },
  };
}

/** Outcomes that settle an intent (whatever the settling entry's action); `unknown` leaves it open. */
const SETTLING = ['success', 'refused', 'failed', 'applied', 'not-applied'];

/** $1 now (null: the database's), $2 olderThan, $3 the settling outcomes. */
export const OPEN_INTENTS_SQL = `
  WITH win AS (SELECT (date_trunc('month', coalesce($1::timestamptz, now()) AT TIME ZONE 'UTC') - interval '1 month') AT TIME ZONE 'UTC' AS start),
  earliest AS (
    SELECT DISTINCT ON (i.correlation_id) i.entry, i.time, i.seq
    FROM audit_entries i, win
    WHERE i.outcome = 'intent' AND i.action IN ('reset', 'mail', 'expire') AND i.correlation_id <> ''
      AND i.time >= win.start AND i.time < $2::timestamptz
      AND NOT EXISTS (
        SELECT 1 FROM audit_entries s
        WHERE s.correlation_id = i.correlation_id AND s.time >= win.start AND s.outcome = ANY ($3::text[]))
    ORDER BY i.correlation_id, i.time, i.seq)
  SELECT entry FROM earliest ORDER BY time, seq`;

/**
 * The query of `recent` (exported for the test that checks its plan): the current and the
 * previous UTC month of "now", only the filters given, newest first.
 */
export function recentQuery(filter: RecentFilter & { limit: number }, now: Date | null): { text: string; values: unknown[] } {
  const values: unknown[] = [now, filter.limit];
  const where = [`time >= (date_trunc('month', coalesce($1::timestamptz, now()) AT TIME ZONE 'UTC') - interval '1 month') AT TIME ZONE 'UTC'`];
  if (filter.environment !== undefined) {
    values.push(filter.environment);
    where.push(`environment = $${values.length}::text`);
  }
  if (filter.targetSam !== undefined) {
    values.push(filter.targetSam);
    where.push(`lower(target_sam) = lower($${values.length}::text)`);
  }
  const newest = `FROM audit_entries WHERE ${where.join(' AND ')} ORDER BY time DESC, seq DESC LIMIT $2`;
  if (filter.targetGuids === undefined) return { text: `SELECT entry ${newest}`, values };
  // Of the newest `limit`, those about one of these accounts.
  values.push([...filter.targetGuids]);
  return { text: `SELECT entry FROM (SELECT entry, time, seq ${newest}) AS newest WHERE entry->'target'->>'guid' = ANY ($${values.length}::text[]) ORDER BY time DESC, seq DESC`, values };
}

/**
 * One page of `between` (exported for the test that checks its plan): only the filters given,
 * oldest first, after the last row of the previous page. The time goes back and forth as text
 * (`time::text`, with its offset), so the page boundary keeps PostgreSQL's microseconds.
 */
export function betweenQuery(range: AuditRange, after: { time: string; seq: string } | undefined): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  if (range.from !== undefined) where.push(`time >= ${param(range.from)}::timestamptz`);
  if (range.to !== undefined) where.push(`time < ${param(range.to)}::timestamptz`);
  if (range.environments?.length === 1) where.push(`environment = ${param(range.environments[0])}::text`);
  else if (range.environments !== undefined) where.push(`environment = ANY (${param([...range.environments])}::text[])`);
  if (after !== undefined) {
    const time = param(after.time);
    where.push(`time >= ${time}::timestamptz AND (time > ${time}::timestamptz OR seq > ${param(after.seq)}::bigint)`);
  }
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return { text: `SELECT entry, time::text AS at, seq::text AS after_seq FROM audit_entries ${filter} ORDER BY time, seq LIMIT ${EXPORT_BATCH}`, values };
}

/** One batch of the purge: $1 now (null: the database's), $2 the retention in ms. */
export const PURGE_BATCH_SQL = `DELETE FROM audit_entries WHERE seq IN (
  SELECT seq FROM audit_entries WHERE time < coalesce($1::timestamptz, now()) - $2::float8 * interval '1 millisecond'
  LIMIT ${PURGE_BATCH})`;

