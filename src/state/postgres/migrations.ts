/**
 * The schema, as numbered migrations applied at start-up. `schema_migrations` records which ran;
 * each migration runs in a transaction of its own, together with its row there, so it is applied
 * wholly or not at all. The whole pass holds a session-level advisory lock: of several instances
 * starting at once, one migrates and the others wait, then find nothing left to do.
 *
 * Never edit a migration that has shipped: add the next number. A migration runs under the pool's
 * statement timeout (30 s by default), and so does the wait for another instance's migration:
 * one that needs longer must be split, or lift the timeout itself (`SET LOCAL statement_timeout`).
 */
import type { Logger } from '../../log/logger.js';
import { lockKey, type Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, confirmations, sign-in attempts, audit',
    sql: `
      -- One admin session per Teams user. Expiry is absolute from sign-in.
      CREATE TABLE sessions (
        teams_tenant_id   text        NOT NULL,
        aad_object_id     text        NOT NULL,
        admin             jsonb       NOT NULL,
        tenant_keys       text[]      NOT NULL,
        active_tenant_key text,
        created_at        timestamptz NOT NULL,
        expires_at        timestamptz NOT NULL,
        PRIMARY KEY (teams_tenant_id, aad_object_id),
        CHECK (active_tenant_key IS NULL OR active_tenant_key = ANY (tenant_keys))
      );
      CREATE INDEX sessions_expires_at ON sessions (expires_at);

      -- Single-use card confirmations: only the SHA-256 of the token is kept, never the token.
      CREATE TABLE confirmations (
        hash            bytea       PRIMARY KEY CHECK (octet_length(hash) = 32),
        teams_tenant_id text        NOT NULL,
        aad_object_id   text        NOT NULL,
        admin_dn        text        NOT NULL,
        tenant_key      text        NOT NULL,
        target_guid     text        NOT NULL,
        purpose         text        NOT NULL CHECK (purpose IN ('reset', 'mail')),
        issued_at       timestamptz NOT NULL,
        expires_at      timestamptz NOT NULL,
        used_at         timestamptz
      );
      CREATE INDEX confirmations_expires_at ON confirmations (expires_at);

      -- One row per reserved sign-in attempt and key; rows older than the window are pruned.
      CREATE TABLE sign_in_attempts (
        key text        NOT NULL,
        at  timestamptz NOT NULL
      );
      CREATE INDEX sign_in_attempts_key_at ON sign_in_attempts (key, at);
      CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at);

      -- The audit: the validated entry as jsonb, with the columns that history, reconciliation and
      -- retention search on. seq orders entries recorded within the same instant.
      CREATE TABLE audit_entries (
        seq            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id             uuid        NOT NULL UNIQUE,
        time           timestamptz NOT NULL,
        environment    text,
        target_sam     text,
        action         text        NOT NULL,
        outcome        text        NOT NULL,
        correlation_id text,
        entry          jsonb       NOT NULL
      );
      -- history (newest first) of an environment, and of one employee (sAMAccountName is case-insensitive)
      CREATE INDEX audit_entries_environment_time ON audit_entries (environment, time DESC, seq DESC);
      CREATE INDEX audit_entries_target_sam_time ON audit_entries (lower(target_sam), time DESC, seq DESC);
      -- retention purge (time < cutoff), and the newest entries of all environments
      CREATE INDEX audit_entries_time ON audit_entries (time DESC, seq DESC);
      -- reconciliation: the intents, and what else was recorded under an intent's correlation id
      CREATE INDEX audit_entries_intents ON audit_entries (time) WHERE outcome = 'intent';
      CREATE INDEX audit_entries_correlation_id ON audit_entries (correlation_id) WHERE correlation_id IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'confirmations: purpose reveal',
    sql: `
      -- Show password (after a failed mail) confirms with a purpose of its own.
      ALTER TABLE confirmations DROP CONSTRAINT confirmations_purpose_check;
      ALTER TABLE confirmations ADD CONSTRAINT confirmations_purpose_check CHECK (purpose IN ('reset', 'mail', 'reveal'));
    `,
  },
  {
    version: 3,
    name: 'conversation references, pending commands, pending resets',
    sql: `
      -- The reference of each admin's personal conversation, for proactive messages.
      CREATE TABLE conversation_references (
        teams_tenant_id text        NOT NULL,
        aad_object_id   text        NOT NULL,
        reference       jsonb       NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (teams_tenant_id, aad_object_id)
      );

      -- The one command an admin typed before signing in, run once they have.
      CREATE TABLE pending_commands (
        teams_tenant_id text        NOT NULL,
        aad_object_id   text        NOT NULL,
        text            text        NOT NULL,
        expires_at      timestamptz NOT NULL,
        PRIMARY KEY (teams_tenant_id, aad_object_id)
      );
      CREATE INDEX pending_commands_expires_at ON pending_commands (expires_at);

      -- Temporary passwords set by the bot that the employee has not replaced yet.
      CREATE TABLE pending_resets (
        account_guid text        PRIMARY KEY,
        reset_at     timestamptz NOT NULL,
        entry        jsonb       NOT NULL
      );
      CREATE INDEX pending_resets_reset_at ON pending_resets (reset_at);
    `,
  },
  {
    version: 4,
    name: 'portal: link tokens, portal attempts',
    sql: `
      -- Single-use links of the Password Change Portal: only the SHA-256 of the token is kept.
      CREATE TABLE link_tokens (
        hash         bytea       PRIMARY KEY CHECK (octet_length(hash) = 32),
        account_guid text        NOT NULL,
        grant_entry  jsonb       NOT NULL,
        issued_at    timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL,
        used_at      timestamptz
      );
      CREATE INDEX link_tokens_account_guid ON link_tokens (account_guid);
      CREATE INDEX link_tokens_expires_at ON link_tokens (expires_at);

      -- The portal's attempts, per user name and per client address (keys say which).
      CREATE TABLE portal_attempts (
        key text        NOT NULL,
        at  timestamptz NOT NULL
      );
      CREATE INDEX portal_attempts_key_at ON portal_attempts (key, at);
      CREATE INDEX portal_attempts_at ON portal_attempts (at);
    `,
  },
  {
    version: 5,
    name: 'confirmations: purpose unlock',
    sql: `
      -- Unlock (a lock-out ended, no password changed) confirms with a purpose of its own.
      ALTER TABLE confirmations DROP CONSTRAINT confirmations_purpose_check;
      ALTER TABLE confirmations ADD CONSTRAINT confirmations_purpose_check CHECK (purpose IN ('reset', 'mail', 'reveal', 'unlock'));
    `,
  },
];

const MIGRATION_LOCK = lockKey('migrations', 'schema');

/**
 * Brings the schema up to date; returns the versions this call applied. Throws the driver's error
 * (the caller maps it). A database whose schema is newer than this code (a later version already
 * migrated it, e.g. during a rolling update) is used as it is, with a warning.
 */
export async function migrate(db: Db, log: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const lease = await db.lease();
  const { client } = lease;
  let broken: unknown;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version    integer     PRIMARY KEY,
          name       text        NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      const known = Math.max(0, ...migrations.map((m) => m.version));
      const newest = Math.max(0, ...done);
      if (newest > known) {
        log.warn({ code: 'STATE_SCHEMA_NEWER', schemaVersion: newest, knownVersion: known }, 'the database schema is newer than this version knows');
      }
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
        applied.push(migration.version);
        log.info({ code: 'STATE_MIGRATED', version: migration.version, name: migration.name }, 'database schema migrated');
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]).catch((error: unknown) => {
        broken = error; // closing the connection releases the lock
      });
    }
  } catch (error) {
    broken ??= error;
    throw error;
  } finally {
    lease.release(broken);
  }
}
