/**
 * Link tokens and portal attempts in PostgreSQL, with the contracts of src/state/portal.ts.
 *
 * The table keeps the SHA-256 of each token, never the token. `consume` is ONE statement: an
 * UPDATE that sets `used_at` only where the hash matches, `used_at IS NULL` and the link has not
 * expired; a concurrent UPDATE of the same row waits for the first and then re-checks
 * `used_at IS NULL` on the committed row, so of any number of uses, on any number of instances,
 * exactly one gets 'ok'. `issue` removes the account's earlier links and expired ones in the same
 * statement as it inserts the new one.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors/catalog.js';
import { LINK_TOKEN, linkGrantSchema, linkTokenHash, PORTAL_LIMITS, type IssuedLink, type LinkTokenStore, type PortalAttempts } from '../portal.js';
import { nowParam, type Clock, type Db } from './db.js';
import { createPostgresSignInLimiter } from './sign-in-attempts.js';

interface LinkRow {
  grant: unknown;
  issued_at: Date;
  expires_at: Date;
}

function toLink(row: LinkRow | undefined): IssuedLink | null {
  if (!row) return null;
  const parsed = linkGrantSchema.safeParse(row.grant);
  return parsed.success ? { ...parsed.data, issuedAt: row.issued_at.toISOString(), expiresAt: row.expires_at.toISOString() } : null;
}

export function createPostgresLinkTokenStore(db: Db, options: { clock?: Clock } = {}): LinkTokenStore {
  const { clock } = options;
  return {
    async issue(grant, ttlMinutes) {
      const parsed = linkGrantSchema.safeParse(grant);
      if (!parsed.success || !Number.isFinite(ttlMinutes) || ttlMinutes <= 0) throw new AppError('INPUT_INVALID', { detail: 'link grant' });
      const token = randomBytes(32).toString('base64url');
      await db.query(
        `WITH now AS (SELECT coalesce($1::timestamptz, now()) AS t),
              gone AS (DELETE FROM link_tokens WHERE account_guid = $2 OR expires_at <= (SELECT t FROM now))
         INSERT INTO link_tokens (hash, account_guid, grant_entry, issued_at, expires_at)
         SELECT $3, $2, $4::jsonb, t, t + $5::float8 * interval '1 minute' FROM now`,
        [nowParam(clock), parsed.data.accountGuid, linkTokenHash(token), JSON.stringify(parsed.data), ttlMinutes],
      );
      return token;
    },

    async peek(token) {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return null;
      const { rows } = await db.query<LinkRow>(
        `SELECT grant_entry AS grant, issued_at, expires_at FROM link_tokens
         WHERE hash = $1 AND used_at IS NULL AND expires_at > coalesce($2::timestamptz, now())`,
        [linkTokenHash(token), nowParam(clock)],
      );
      return toLink(rows[0]);
    },

    async consume(token) {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return { status: 'unknown' };
      const { rows } = await db.query<LinkRow & { consumed: boolean; found: boolean; used: boolean | null; expired: boolean | null }>(
        `WITH now AS (SELECT coalesce($2::timestamptz, now()) AS t),
              consumed AS (
                UPDATE link_tokens l SET used_at = now.t FROM now
                WHERE l.hash = $1 AND l.used_at IS NULL AND l.expires_at > now.t
                RETURNING l.hash)
         SELECT EXISTS (SELECT 1 FROM consumed) AS consumed, l.hash IS NOT NULL AS found, l.used_at IS NOT NULL AS used, l.expires_at <= now.t AS expired,
                l.grant_entry AS grant, l.issued_at, l.expires_at
         FROM now LEFT JOIN link_tokens l ON l.hash = $1`,
        [linkTokenHash(token), nowParam(clock)],
      );
      const row = rows[0];
      if (!row?.found) return { status: 'unknown' };
      if (row.consumed) {
        const link = toLink(row);
        return link ? { status: 'ok', link } : { status: 'unknown' };
      }
      // Seen unused and live when the statement started, yet not changed by it: another use won.
      if (!row.used && row.expired) return { status: 'expired' };
      return { status: 'used' };
    },

    async release(token) {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return;
      await db.query(
        'UPDATE link_tokens SET used_at = NULL WHERE hash = $1 AND used_at IS NOT NULL AND expires_at > coalesce($2::timestamptz, now())',
        [linkTokenHash(token), nowParam(clock)],
      );
    },

    async revoke(accountGuid) {
      const { rowCount } = await db.query('DELETE FROM link_tokens WHERE account_guid = $1', [accountGuid]);
      return rowCount;
    },
  };
}

export function createPostgresPortalAttempts(db: Db, options: { clock?: Clock } = {}): PortalAttempts {
  const common = { windowMinutes: PORTAL_LIMITS.windowMinutes, table: 'portal_attempts' as const, ...options };
  return {
    byName: createPostgresSignInLimiter(db, { maxFailures: PORTAL_LIMITS.perName, ...common }),
    byAddress: createPostgresSignInLimiter(db, { maxFailures: PORTAL_LIMITS.perAddress, ...common }),
  };
}
