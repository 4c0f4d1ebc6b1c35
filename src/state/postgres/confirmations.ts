/**
 * Single-use card confirmations in PostgreSQL, with the contract of `NonceStore`
 * (src/auth/nonce-store.ts): 128-bit random tokens, base64url; the table keeps only their SHA-256.
 *
 * `consume` is ONE statement: an UPDATE that sets `used_at` only where the hash, the whole binding,
 * "not used" and "not expired" all hold. PostgreSQL locks the row for that UPDATE, and a concurrent
 * UPDATE of the same row waits and then re-checks `used_at IS NULL` on the committed row, so of
 * any number of consumers, on any number of connections or instances, exactly one changes the row
 * and gets 'ok'. The same statement reads the row as it was when the statement started, which
 * tells the other answers apart (in the order unknown, mismatch, used, expired); a row that looked
 * consumable but was not changed was consumed by another statement in between: 'used'. A
 * mismatching binding never touches the row.
 *
 * Expired rows are removed when new ones are issued; a used row stays until it expires, so a
 * double click or a Teams retry answers 'used'.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseBindings, type ConsumeResult, type NonceBinding, type NonceStore } from '../../auth/nonce-store.js';
import { AppError } from '../../errors/catalog.js';
import { nowParam, type Clock, type Db } from './db.js';

/** 16 random bytes, base64url: 22 characters. */
const NONCE = /^[A-Za-z0-9_-]{22}$/;

interface ConsumeRow {
  consumed: boolean;
  found: boolean;
  same_binding: boolean | null;
  used: boolean | null;
  expired: boolean | null;
}

function hashOf(nonce: string): Buffer {
  return createHash('sha256').update(nonce, 'utf8').digest();
}

export function createPostgresConfirmationStore(db: Db, options: { ttlMinutes: number; clock?: Clock }): NonceStore {
  const { ttlMinutes, clock } = options;
  if (!Number.isFinite(ttlMinutes) || ttlMinutes <= 0) throw new AppError('CONFIG_INVALID', { detail: 'confirmation ttlMinutes' });
  const ttlMs = ttlMinutes * 60_000;

  return {
    async issue(bindings) {
      if (bindings.length === 0) return [];
      const checked = parseBindings(bindings);

      const nonces = checked.map(() => randomBytes(16).toString('base64url'));
      const column = <K extends keyof NonceBinding>(key: K) => checked.map((b) => b[key]);
      await db.query(
        `WITH now AS (SELECT coalesce($1::timestamptz, now()) AS t),
              pruned AS (DELETE FROM confirmations WHERE expires_at <= (SELECT t FROM now))
         INSERT INTO confirmations (hash, teams_tenant_id, aad_object_id, admin_dn, tenant_key, target_guid, purpose, issued_at, expires_at)
         SELECT b.hash, b.teams_tenant_id, b.aad_object_id, b.admin_dn, b.tenant_key, b.target_guid, b.purpose,
                now.t, now.t + $2::float8 * interval '1 millisecond'
         FROM now, unnest($3::bytea[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
              AS b (hash, teams_tenant_id, aad_object_id, admin_dn, tenant_key, target_guid, purpose)`,
        [
          nowParam(clock),
          ttlMs,
          nonces.map(hashOf),
          column('teamsTenantId'),
          column('aadObjectId'),
          column('adminDn'),
          column('tenantKey'),
          column('targetGuid'),
          column('purpose'),
        ],
      );
      return nonces;
    },

    async consume(nonce, binding) {
      if (typeof nonce !== 'string' || !NONCE.test(nonce)) return 'unknown';
      const b = (binding ?? {}) as Partial<NonceBinding>;
      const { rows } = await db.query<ConsumeRow>(
        `WITH now AS (SELECT coalesce($2::timestamptz, now()) AS t),
              presented AS (SELECT $3::text AS teams_tenant_id, $4::text AS aad_object_id, $5::text AS admin_dn,
                                   $6::text AS tenant_key, $7::text AS target_guid, $8::text AS purpose),
              consumed AS (
                UPDATE confirmations c SET used_at = now.t
                FROM now, presented p
                WHERE c.hash = $1
                  AND c.used_at IS NULL
                  AND c.expires_at > now.t
                  AND (c.teams_tenant_id, c.aad_object_id, c.admin_dn, c.tenant_key, c.target_guid, c.purpose)
                    = (p.teams_tenant_id, p.aad_object_id, p.admin_dn, p.tenant_key, p.target_guid, p.purpose)
                RETURNING c.hash)
         SELECT EXISTS (SELECT 1 FROM consumed) AS consumed,
                c.hash IS NOT NULL AS found,
                (c.teams_tenant_id, c.aad_object_id, c.admin_dn, c.tenant_key, c.target_guid, c.purpose)
                  IS NOT DISTINCT FROM (p.teams_tenant_id, p.aad_object_id, p.admin_dn, p.tenant_key, p.target_guid, p.purpose) AS same_binding,
                c.used_at IS NOT NULL AS used,
                c.expires_at <= now.t AS expired
         FROM now CROSS JOIN presented p LEFT JOIN confirmations c ON c.hash = $1`,
        [hashOf(nonce), nowParam(clock), b.teamsTenantId, b.aadObjectId, b.adminDn, b.tenantKey, b.targetGuid, b.purpose],
      );
      return classify(rows[0]);
    },
  };
}

/** The answer, from the row as the statement saw it when it started and whether it changed it. */
function classify(row: ConsumeRow | undefined): ConsumeResult {
  if (row?.consumed) return 'ok';
  if (!row?.found) return 'unknown';
  if (!row.same_binding) return 'mismatch';
  if (row.used) return 'used';
  if (row.expired) return 'expired';
  // Unused, live and matching when the statement started, yet not changed by it: another consume
  // changed it first (this UPDATE waited for that one's row lock, then saw used_at set).
  return 'used';
}
