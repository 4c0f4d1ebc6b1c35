/**
 * Sign-in attempts in PostgreSQL, with the contract of `SignInLimiter`
 * (src/auth/sign-in-limiter.ts): at most `maxFailures` reservations per key within a sliding
 * window of `windowMinutes`; a refused reservation counts nothing.
 *
 * `reserve` is one transaction that first takes a transaction-level advisory lock per key
 * (`pg_advisory_xact_lock`, in one fixed order, so two reservations sharing keys cannot deadlock),
 * then counts the key's rows in the window and, only if no key is spent, inserts one row per key,
 * then commits, which releases the locks. Every reservation of a key, from any connection of any
 * instance, runs its count and its insert while holding that key's lock, and the next one takes the
 * lock only after the previous one committed; under READ COMMITTED each statement sees all that
 * was committed before it started, so the count always includes every earlier reservation. That is
 * what makes "check and count" one step across instances.
 *
 * Rows older than the window no longer count; they are removed a batch at a time by later
 * reservations (without waiting for rows another transaction holds).
 */
import type { PoolClient } from 'pg';
import type { Reservation, SignInLimiter } from '../../auth/sign-in-limiter.js';
import { AppError } from '../../errors/catalog.js';
import { lockKey, nowParam, type Clock, type Db } from './db.js';

const PRUNE_BATCH = 500;

/** The tables that hold attempts: the bot's sign-ins, and the Password Change Portal's (migration 4). */
export type AttemptsTable = 'sign_in_attempts' | 'portal_attempts';

export function createPostgresSignInLimiter(
  db: Db,
  options: { maxFailures: number; windowMinutes: number; clock?: Clock; table?: AttemptsTable },
): SignInLimiter {
  const { maxFailures, windowMinutes, clock, table = 'sign_in_attempts' } = options;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new AppError('CONFIG_INVALID', { detail: 'sign-in maxFailures' });
  if (!Number.isFinite(windowMinutes) || windowMinutes <= 0) throw new AppError('CONFIG_INVALID', { detail: 'sign-in windowMinutes' });
  const windowMs = windowMinutes * 60_000;

  const lock = async (client: PoolClient, keys: readonly string[]): Promise<void> => {
    const ordered = [...new Set(keys.map((key) => lockKey(table === 'sign_in_attempts' ? 'sign-in' : table, key)))].sort();
    for (const id of ordered) await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [id]);
  };

  return {
    async reserve(keys) {
      const unique = [...new Set(keys)];
      if (unique.length === 0) return { ok: true };
      return db.transaction(async (client): Promise<Reservation> => {
        await lock(client, unique);
        // The time is read after the locks are held: a reservation that waited is counted when it ran.
        const { rows: counts } = await client.query<{ key: string; n: number; now: Date }>(
          `WITH now AS (SELECT coalesce($2::timestamptz, clock_timestamp()) AS t)
           SELECT k.key, now.t AS now,
                  (SELECT count(*) FROM ${table} a
                   WHERE a.key = k.key AND a.at > now.t - $3::float8 * interval '1 millisecond')::int AS n
           FROM now, unnest($1::text[]) AS k (key)`,
          [unique, nowParam(clock), windowMs],
        );
        // Attempts dated after now still count (a clock set back must not lift a block).
        const spent = new Set(counts.filter((c) => c.n >= maxFailures).map((c) => c.key));
        if (spent.size > 0) return { ok: false, blocked: unique.filter((key) => spent.has(key)) };
        const now = counts[0]?.now;
        await client.query(`INSERT INTO ${table} (key, at) SELECT key, $2::timestamptz FROM unnest($1::text[]) AS k (key)`, [unique, now]);
        await client.query(
          `DELETE FROM ${table} WHERE ctid IN (
             SELECT ctid FROM ${table} WHERE at <= $1::timestamptz - $2::float8 * interval '1 millisecond'
             LIMIT ${PRUNE_BATCH} FOR UPDATE SKIP LOCKED)`,
          [now, windowMs],
        );
        return { ok: true };
      });
    },

    async clear(keys) {
      const unique = [...new Set(keys)];
      if (unique.length === 0) return;
      await db.query(`DELETE FROM ${table} WHERE key = ANY ($1::text[])`, [unique]);
    },
  };
}
