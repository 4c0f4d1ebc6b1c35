/**
 * Admin sessions in PostgreSQL, with the contract of `SessionStore` (src/auth/session-store.ts):
 * one per Teams user, absolute expiry `ttlMinutes` after sign-in, a session longer than the TTL
 * (a TTL lowered since) counts as expired, a row that does not validate counts as no session.
 * Expired rows are removed when a session starts.
 */
import { newSessionSchema, storedSessionSchema, type AdminSession, type SessionStore } from '../../auth/session-store.js';
import { AppError } from '../../errors/catalog.js';
import { nowParam, type Clock, type Db } from './db.js';

interface SessionRow {
  teams_tenant_id: string;
  aad_object_id: string;
  admin: unknown;
  tenant_keys: string[];
  active_tenant_key: string | null;
  created_at: Date;
  expires_at: Date;
}

const COLUMNS = 'teams_tenant_id, aad_object_id, admin, tenant_keys, active_tenant_key, created_at, expires_at';

/** A session is live while now < expires_at, and only if it was never given longer than the TTL. */
const LIVE = `expires_at > coalesce($3::timestamptz, now()) AND expires_at - created_at <= $4::float8 * interval '1 millisecond'`;

function fromRow(row: SessionRow | undefined): AdminSession | null {
  if (row === undefined) return null;
  const parsed = storedSessionSchema.safeParse({
    teamsTenantId: row.teams_tenant_id,
    aadObjectId: row.aad_object_id,
    admin: row.admin,
    tenantKeys: row.tenant_keys,
    activeTenantKey: row.active_tenant_key,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  });
  return parsed.success ? parsed.data : null;
}

export function createPostgresSessionStore(db: Db, options: { ttlMinutes: number; clock?: Clock }): SessionStore {
  const { ttlMinutes, clock } = options;
  if (!Number.isFinite(ttlMinutes) || ttlMinutes <= 0) throw new AppError('CONFIG_INVALID', { detail: 'session ttlMinutes' });
  const ttlMs = ttlMinutes * 60_000;

  const find = async (teamsTenantId: string, aadObjectId: string, now: Date | null): Promise<AdminSession | null> => {
    const { rows } = await db.query<SessionRow>(
      `SELECT ${COLUMNS} FROM sessions WHERE teams_tenant_id = $1 AND aad_object_id = $2 AND ${LIVE}`,
      [teamsTenantId, aadObjectId, now, ttlMs],
    );
    return fromRow(rows[0]);
  };

  return {
    get: (teamsTenantId, aadObjectId) => find(teamsTenantId, aadObjectId, nowParam(clock)),

    async start(input) {
      const parsed = newSessionSchema.safeParse(input);
      if (!parsed.success) throw new AppError('INPUT_INVALID', { detail: 'session' });
      const { teamsTenantId, aadObjectId, admin, tenantKeys, activeTenantKey } = parsed.data;
      const { rows } = await db.query<SessionRow>(
        `WITH now AS (SELECT coalesce($3::timestamptz, now()) AS t),
              pruned AS (DELETE FROM sessions WHERE expires_at <= (SELECT t FROM now) AND (teams_tenant_id, aad_object_id) <> ($1::text, $2::text))
         INSERT INTO sessions (${COLUMNS})
         SELECT $1::text, $2::text, $5::jsonb, $6::text[], $7::text, t, t + $4::float8 * interval '1 millisecond' FROM now
         ON CONFLICT (teams_tenant_id, aad_object_id) DO UPDATE SET
           admin = excluded.admin, tenant_keys = excluded.tenant_keys, active_tenant_key = excluded.active_tenant_key,
           created_at = excluded.created_at, expires_at = excluded.expires_at
         RETURNING ${COLUMNS}`,
        [teamsTenantId, aadObjectId, nowParam(clock), ttlMs, JSON.stringify(admin), [...new Set(tenantKeys)], activeTenantKey],
      );
      const session = fromRow(rows[0]);
      if (session === null) throw new AppError('INTERNAL', { detail: 'session not stored' });
      return session;
    },

    async setActiveTenant(teamsTenantId, aadObjectId, key) {
      const now = nowParam(clock);
      const { rows } = await db.query<SessionRow>(
        `UPDATE sessions SET active_tenant_key = $5::text
         WHERE teams_tenant_id = $1 AND aad_object_id = $2 AND ${LIVE} AND $5::text = ANY (tenant_keys)
         RETURNING ${COLUMNS}`,
        [teamsTenantId, aadObjectId, now, ttlMs, key],
      );
      if (rows[0] !== undefined) return fromRow(rows[0]);
      // Not changed: either there is no live session, or the key is not one of its environments.
      if ((await find(teamsTenantId, aadObjectId, now)) === null) return null;
      throw new AppError('AUTH_NOT_ADMIN');
    },

    async end(teamsTenantId, aadObjectId) {
      await db.query('DELETE FROM sessions WHERE teams_tenant_id = $1 AND aad_object_id = $2', [teamsTenantId, aadObjectId]);
    },
  };
}
