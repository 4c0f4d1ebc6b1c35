/**
 * Conversation references, pending commands and pending resets in PostgreSQL, with the contracts
 * of src/state/chat.ts. Taking a pending command and settling a pending reset are one atomic
 * statement each (`DELETE … RETURNING`), so of two instances at once exactly one gets it.
 */
import { AppError } from '../../errors/catalog.js';
import {
  conversationReferenceSchema,
  PENDING_COMMAND_MINUTES,
  pendingCommandSchema,
  pendingResetSchema,
  teamsUserSchema,
  type ConversationStore,
  type PendingCommandStore,
  type PendingReset,
  type PendingResetStore,
} from '../chat.js';
import { nowParam, type Clock, type Db } from './db.js';

export function createPostgresConversationStore(db: Db): ConversationStore {
  return {
    async save(user, reference) {
      const who = teamsUserSchema.safeParse(user);
      const parsed = conversationReferenceSchema.safeParse(reference);
      if (!who.success || !parsed.success) throw new AppError('INPUT_INVALID', { detail: 'conversation reference' });
      // Written only when it changed: most turns of a conversation carry the same reference.
      await db.query(
        `INSERT INTO conversation_references (teams_tenant_id, aad_object_id, reference) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (teams_tenant_id, aad_object_id) DO UPDATE SET reference = excluded.reference, updated_at = now()
         WHERE conversation_references.reference IS DISTINCT FROM excluded.reference`,
        [who.data.teamsTenantId, who.data.aadObjectId, JSON.stringify(parsed.data)],
      );
    },
    async get(user) {
      const { rows } = await db.query<{ reference: unknown }>(
        'SELECT reference FROM conversation_references WHERE teams_tenant_id = $1 AND aad_object_id = $2',
        [user.teamsTenantId, user.aadObjectId],
      );
      const parsed = conversationReferenceSchema.safeParse(rows[0]?.reference);
      return parsed.success ? parsed.data : null;
    },
  };
}

export function createPostgresPendingCommandStore(db: Db, options: { clock?: Clock } = {}): PendingCommandStore {
  const { clock } = options;
  return {
    async put(user, text) {
      const who = teamsUserSchema.safeParse(user);
      const parsed = pendingCommandSchema.safeParse(text);
      if (!who.success || !parsed.success) throw new AppError('INPUT_INVALID', { detail: 'pending command' });
      await db.query(
        `WITH now AS (SELECT coalesce($4::timestamptz, now()) AS t),
              pruned AS (DELETE FROM pending_commands WHERE expires_at <= (SELECT t FROM now))
         INSERT INTO pending_commands (teams_tenant_id, aad_object_id, text, expires_at)
         SELECT $1, $2, $3, t + $5::int * interval '1 minute' FROM now
         ON CONFLICT (teams_tenant_id, aad_object_id) DO UPDATE SET text = excluded.text, expires_at = excluded.expires_at`,
        [who.data.teamsTenantId, who.data.aadObjectId, parsed.data, nowParam(clock), PENDING_COMMAND_MINUTES],
      );
    },
    async take(user) {
      const { rows } = await db.query<{ text: string; live: boolean }>(
        `DELETE FROM pending_commands WHERE teams_tenant_id = $1 AND aad_object_id = $2
         RETURNING text, expires_at > coalesce($3::timestamptz, now()) AS live`,
        [user.teamsTenantId, user.aadObjectId, nowParam(clock)],
      );
      const row = rows[0];
      if (row === undefined || !row.live) return null;
      const parsed = pendingCommandSchema.safeParse(row.text);
      return parsed.success ? parsed.data : null;
    },
  };
}

function fromEntry(entry: unknown): PendingReset | null {
  const parsed = pendingResetSchema.safeParse(entry);
  return parsed.success ? parsed.data : null;
}

export function createPostgresPendingResetStore(db: Db): PendingResetStore {
  return {
    async put(reset) {
      const parsed = pendingResetSchema.safeParse(reset);
      if (!parsed.success) throw new AppError('INPUT_INVALID', { detail: 'pending reset' });
      await db.query(
        `INSERT INTO pending_resets (account_guid, reset_at, entry) VALUES ($1, $2::timestamptz, $3::jsonb)
         ON CONFLICT (account_guid) DO UPDATE SET reset_at = excluded.reset_at, entry = excluded.entry`,
        [parsed.data.accountGuid, parsed.data.resetAt, JSON.stringify(parsed.data)],
      );
    },
    async get(accountGuid) {
      const { rows } = await db.query<{ entry: unknown }>('SELECT entry FROM pending_resets WHERE account_guid = $1', [accountGuid]);
      return rows[0] === undefined ? null : fromEntry(rows[0].entry);
    },
    async list(limit = 1000) {
      const { rows } = await db.query<{ entry: unknown }>('SELECT entry FROM pending_resets ORDER BY reset_at, account_guid LIMIT $1', [limit]);
      return rows.map((r) => fromEntry(r.entry)).filter((r): r is PendingReset => r !== null);
    },
    async settle(accountGuid, resetAt) {
      const { rowCount } = await db.query('DELETE FROM pending_resets WHERE account_guid = $1 AND reset_at = $2::timestamptz', [accountGuid, resetAt]);
      return rowCount === 1;
    },
  };
}
