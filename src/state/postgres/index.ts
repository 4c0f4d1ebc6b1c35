/**
 * The state store on PostgreSQL (`DATABASE_URL`), for one instance or several sharing one
 * database: sessions, single-use confirmations, sign-in attempts and the audit in tables, created
 * and migrated at start-up (src/state/postgres/migrations.ts).
 *
 * One `pg.Pool` per instance. A connection that breaks (PostgreSQL restarted, a network cut) is
 * dropped from the pool and the next call opens a new one: nothing needs a process restart. While
 * the database cannot be reached, calls fail with STATE_UNAVAILABLE (`audit.record` with
 * AUDIT_WRITE_FAILED, so the caller changes nothing).
 */
import { Pool } from 'pg';
import type { AuditReader } from '../create-state.js';
import { AppError } from '../../errors/catalog.js';
import type { Logger } from '../../log/logger.js';
import type { StateStore } from '../state.js';
import { createPostgresAuditLog } from './audit.js';
import { createPostgresConversationStore, createPostgresPendingCommandStore, createPostgresPendingResetStore } from './chat.js';
import { createPostgresConfirmationStore } from './confirmations.js';
import { Db, isUnavailable, lockKey, toAppError, type Clock } from './db.js';
import { migrate } from './migrations.js';
import { createPostgresLinkTokenStore, createPostgresPortalAttempts } from './portal.js';
import { createPostgresSessionStore } from './sessions.js';
import { createPostgresSignInLimiter } from './sign-in-attempts.js';

export interface PostgresStateOptions {
  /** `postgres://user:password@host:port/database` (with `?sslmode=…` when TLS is wanted). Never logged. */
  url: string;
  sessionTtlMinutes: number;
  signIn: { maxFailures: number; windowMinutes: number };
  auditRetentionDays: number;
  log: Logger;
  /** How long a card confirmation can be used; default 10 minutes. */
  confirmationTtlMinutes?: number;
  /** Pool size per instance; default 10. */
  maxConnections?: number;
  /** How long to wait for a new connection before STATE_UNAVAILABLE; default 5000 ms. */
  connectTimeoutMs?: number;
  /** How long one statement may run (server-side `statement_timeout`); default 30000 ms. */
  statementTimeoutMs?: number;
  /**
   * Tests only. By default every expiry and window is measured on the database's clock, so that
   * instances whose clocks differ a little still agree.
   */
  clock?: () => Date;
}

export async function createPostgresState(options: PostgresStateOptions): Promise<StateStore> {
  const {
    url,
    log,
    maxConnections = 10,
    connectTimeoutMs = 5_000,
    statementTimeoutMs = 30_000,
    confirmationTtlMinutes = 10,
    clock,
  } = options;
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new AppError('CONFIG_INVALID', { detail: 'DATABASE_URL' });

  const pool = new Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    // A server that stops answering (not a closed socket) must not hang a request forever.
    query_timeout: statementTimeoutMs + 5_000,
    keepAlive: true,
    application_name: 'password-reset-bot',
  });
  // A connection that breaks (a restart, a network cut) while idle in the pool emits here, and the
  // pool drops it; one held by a caller is handled by its lease. Without a listener the process
  // would crash.
  const lost = (error: Error): void => {
    log.warn({ code: 'STATE_CONNECTION_LOST', cause: error.message }, 'a database connection was lost; the next call opens a new one');
  };
  pool.on('error', lost);

  const clockOf: Clock = clock;
  const db = new Db(pool, lost);
  let store: StateStore;
  try {
    store = {
      kind: 'postgres',
      sessions: createPostgresSessionStore(db, { ttlMinutes: options.sessionTtlMinutes, clock: clockOf }),
      confirmations: createPostgresConfirmationStore(db, { ttlMinutes: confirmationTtlMinutes, clock: clockOf }),
      signInAttempts: createPostgresSignInLimiter(db, { ...options.signIn, clock: clockOf }),
      audit: createPostgresAuditLog(db, { retentionDays: options.auditRetentionDays, log, clock: clockOf }),
      conversations: createPostgresConversationStore(db),
      pendingCommands: createPostgresPendingCommandStore(db, { clock: clockOf }),
      pendingResets: createPostgresPendingResetStore(db),
      linkTokens: createPostgresLinkTokenStore(db, { clock: clockOf }),
      portalAttempts: createPostgresPortalAttempts(db, { clock: clockOf }),
      runExclusive: (job, work) => runExclusive(db, job, work),
      async ping() {
        await db.query('SELECT 1');
      },
      async close() {
        await pool.end();
      },
    };
    await migrate(db, log);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw startUpError(error);
  }
  return store;
}

/**
 * Runs `work` while holding a session-level advisory lock named after the job on a connection of
 * its own: `pg_try_advisory_lock` is granted to one session at a time, so of all instances (and of
 * all calls in this one) exactly one runs the job; the others resolve undefined at once. The lock
 * is released when the job ends, or by the server when the connection is lost.
 */
async function runExclusive<T>(db: Db, job: string, work: () => Promise<T>): Promise<T | undefined> {
  const lease = await db.lease();
  const key = lockKey('job', job);
  let broken: unknown;
  try {
    let locked: boolean;
    try {
      const { rows } = await lease.client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
      locked = rows[0]?.locked === true;
    } catch (error) {
      broken = error;
      throw toAppError(error);
    }
    if (!locked) return undefined;
    try {
      return await work();
    } finally {
      await lease.client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch((error: unknown) => {
        broken = error; // closing the connection releases the lock
      });
    }
  } finally {
    lease.release(broken);
  }
}

/** At start-up, a wrong setting names the setting (never its value); an unreachable server says so. */
function startUpError(error: unknown): AppError {
  const raw = error instanceof AppError && error.code === 'STATE_UNAVAILABLE' ? error.cause : error;
  if (raw instanceof AppError) return raw;
  const code = (raw as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('28')) return new AppError('CONFIG_INVALID', { detail: 'DATABASE_URL (the database refused the credentials)', cause: raw });
  if (code === '3D000') return new AppError('CONFIG_INVALID', { detail: 'DATABASE_URL (no such database)', cause: raw });
  if (isUnavailable(raw)) return new AppError('STATE_UNAVAILABLE', { cause: raw });
  return new AppError('INTERNAL', { detail: 'database schema', cause: raw });
}

/**
 * The audit log alone, to read it beside running bots (the operator's export): one connection
 * whose transactions are read-only (`default_transaction_read_only`), no migration, nothing
 * written. A database the bot never started on (no audit table) is CONFIG_INVALID naming
 * DATABASE_URL; wrong credentials and a missing database as at start-up.
 */
export function openPostgresAuditReader(options: { url: string; auditRetentionDays: number; log: Logger }): AuditReader {
  const { url, log } = options;
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new AppError('CONFIG_INVALID', { detail: 'DATABASE_URL' });
  const pool = new Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: 5_000,
    query_timeout: 60_000,
    keepAlive: true,
    application_name: 'password-reset-bot audit export',
    options: '-c default_transaction_read_only=on',
  });
  pool.on('error', () => undefined); // the next query fails and says so
  const audit = createPostgresAuditLog(new Db(pool), { retentionDays: options.auditRetentionDays, log });
  return {
    audit: {
      async *between(range) {
        try {
          yield* audit.between(range);
        } catch (error) {
          const raw = error instanceof AppError ? error.cause : error;
          if ((raw as { code?: unknown } | null)?.code === '42P01') throw new AppError('CONFIG_INVALID', { detail: 'DATABASE_URL (no audit table: the bot has not started on this database)', cause: raw });
          throw startUpError(error);
        }
      },
    },
    close: () => pool.end(),
  };
}
