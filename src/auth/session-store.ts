/**
 * Admin sessions: who signed in from which Teams user, which environments they manage and which
 * one they chose. One lowdb file (`DATA_DIR/sessions.json`, owner-only), so a restart keeps them.
 *
 * - A session lasts `ttlMinutes` from sign-in (absolute, not extended by use or by choosing an
 *   environment); an expired one is never returned and is dropped at the next write.
 * - What is read from disk is checked with zod: an entry that does not validate (or a whole file
 *   that is not JSON) counts as no session, and is replaced at the next write. A session whose
 *   lifetime is longer than `ttlMinutes` (a hand-edited `expiresAt`, or a TTL lowered since) is
 *   treated as expired.
 */
import { z } from 'zod';
import type { AdminIdentity } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import { jsonFile, keepValid } from '../storage/json-file.js';

export interface AdminSession {
  teamsTenantId: string;
  aadObjectId: string;
  admin: AdminIdentity;
  /** The environments (tenant keys) this admin may manage, from the directory at sign-in. */
  tenantKeys: string[];
  /** The environment chosen; always one of `tenantKeys`, or null before a choice. */
  activeTenantKey: string | null;
  /** UTC ISO 8601. */
  createdAt: string;
  /** UTC ISO 8601; the session is gone from this instant. */
  expiresAt: string;
}

export interface SessionStore {
  /** The live session of this Teams user, or null (none, expired, or unreadable). */
  get(teamsTenantId: string, aadObjectId: string): Promise<AdminSession | null>;
  /** Starts a session (replacing any of this Teams user); throws INPUT_INVALID for a malformed one. */
  start(session: Omit<AdminSession, 'createdAt' | 'expiresAt'>): Promise<AdminSession>;
  /**
   * Chooses the environment; null when there is no live session. Throws AUTH_NOT_ADMIN when `key`
   * is not one of the session's `tenantKeys` (the session is left as it was).
   */
  setActiveTenant(teamsTenantId: string, aadObjectId: string, key: string): Promise<AdminSession | null>;
  /** Signs out; no error when there is no session. */
  end(teamsTenantId: string, aadObjectId: string): Promise<void>;
}

const id = z.string().min(1).max(256);
const isoTime = z.string().datetime(); // UTC, `…Z`

const identityFields = {
  dn: z.string().min(1),
  guid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  pwdLastSet: z.string().regex(/^-?\d{1,20}$/),
  upn: z.string().min(1).nullable(),
  sam: z.string().min(1),
  displayName: z.string(),
};

const sessionFields = {
  teamsTenantId: id,
  aadObjectId: id,
  tenantKeys: z.array(id),
  activeTenantKey: id.nullable(),
};

const activeIsListed = (s: { tenantKeys: string[]; activeTenantKey: string | null }): boolean =>
  s.activeTenantKey === null || s.tenantKeys.includes(s.activeTenantKey);

/** What start() accepts: unknown keys are dropped, not stored. Shared by every SessionStore. */
export const newSessionSchema = z
  .object({ ...sessionFields, admin: z.object(identityFields) })
  .refine(activeIsListed);

/** What is read back from storage: exactly what start() writes. Shared by every SessionStore. */
export const storedSessionSchema = z
  .object({ ...sessionFields, admin: z.object(identityFields).strict(), createdAt: isoTime, expiresAt: isoTime })
  .strict()
  .refine(activeIsListed);

interface SessionsFile {
  sessions: AdminSession[];
}

/** Keeps the entries that validate; anything else about the file makes it read as empty. */
function validateFile(data: unknown): SessionsFile {
  const file = z.object({ sessions: z.array(z.unknown()) }).parse(data);
  return { sessions: keepValid(file.sessions, storedSessionSchema) };
}

export function createLowdbSessionStore(options: {
  file: string;
  ttlMinutes: number;
  clock?: () => Date;
}): SessionStore {
  const { file, ttlMinutes, clock = () => new Date() } = options;
  if (!Number.isFinite(ttlMinutes) || ttlMinutes <= 0) {
    throw new AppError('CONFIG_INVALID', { detail: 'session ttlMinutes' });
  }
  const ttlMs = ttlMinutes * 60_000;
  const db = jsonFile<SessionsFile>({ file, validate: validateFile, empty: () => ({ sessions: [] }), onInvalid: 'empty' });

  const isLive = (s: AdminSession, nowMs: number): boolean => {
    const created = Date.parse(s.createdAt);
    const expires = Date.parse(s.expiresAt);
    return nowMs < expires && expires - created <= ttlMs;
  };
  const isOf = (s: AdminSession, teamsTenantId: string, aadObjectId: string): boolean =>
    s.teamsTenantId === teamsTenantId && s.aadObjectId === aadObjectId;

  return {
    async get(teamsTenantId, aadObjectId) {
      const nowMs = clock().getTime();
      const { sessions } = await db.read();
      return sessions.find((s) => isOf(s, teamsTenantId, aadObjectId) && isLive(s, nowMs)) ?? null;
    },

    async start(input) {
      const parsed = newSessionSchema.safeParse(input);
      if (!parsed.success) throw new AppError('INPUT_INVALID', { detail: 'session' });
      const now = clock();
      const session: AdminSession = {
        ...parsed.data,
        tenantKeys: [...new Set(parsed.data.tenantKeys)],
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      };
      return db.update(({ sessions }) => {
        const others = sessions.filter(
          (s) => !isOf(s, session.teamsTenantId, session.aadObjectId) && isLive(s, now.getTime()),
        );
        return { result: session, next: { sessions: [...others, session] } };
      });
    },

    async setActiveTenant(teamsTenantId, aadObjectId, key) {
      const nowMs = clock().getTime();
      return db.update(({ sessions }) => {
        const live = sessions.filter((s) => isLive(s, nowMs));
        const index = live.findIndex((s) => isOf(s, teamsTenantId, aadObjectId));
        const current = live[index];
        const pruned = live.length === sessions.length ? {} : { next: { sessions: live } };
        if (current === undefined) return { result: null, ...pruned };
        if (!current.tenantKeys.includes(key)) throw new AppError('AUTH_NOT_ADMIN');
        const updated: AdminSession = { ...current, activeTenantKey: key };
        live[index] = updated;
        return { result: updated, next: { sessions: live } };
      });
    },

    async end(teamsTenantId, aadObjectId) {
      const nowMs = clock().getTime();
      await db.update(({ sessions }) => {
        const kept = sessions.filter((s) => !isOf(s, teamsTenantId, aadObjectId) && isLive(s, nowMs));
        return { result: undefined, ...(kept.length === sessions.length ? {} : { next: { sessions: kept } }) };
      });
    },
  };
}
