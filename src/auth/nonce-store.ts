/**
 * Single-use confirmation tokens for card buttons ("Reset", "Mail password"): a card carries a
 * nonce bound to who may use it, for what; the action runs only if `consume` answers 'ok', once.
 * Kept in a lowdb file (`DATA_DIR/nonces.json`, owner-only) so a restart neither forgets a used
 * nonce nor revives one.
 *
 * - A nonce is 128 random bits (node:crypto), base64url. The file holds only its SHA-256, so
 *   reading the file gives nothing that can be presented.
 * - `consume` runs in the file's write queue and writes the used mark before it answers: of any
 *   number of concurrent consumes of one nonce (in this process), exactly one gets 'ok'.
 * - A nonce presented with another binding (another Teams user, admin, environment, target or
 *   purpose) answers 'mismatch' and is NOT consumed: a card forged or replayed by someone else
 *   cannot burn the real admin's confirmation. The caller refuses (and audits) the attempt.
 * - Answers, in order: 'unknown' (never issued, or pruned), 'mismatch', 'used', 'expired', 'ok'.
 *   A used nonce is kept until it expires, so a double click or Teams retry says 'used'. Expired
 *   entries are pruned at every write, after which they answer 'unknown'.
 * - An unreadable file reads as empty (every nonce 'unknown': fail closed) and is replaced at the
 *   next write.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/catalog.js';
import { jsonFile } from '../storage/json-file.js';

export interface NonceBinding {
  teamsTenantId: string;
  aadObjectId: string;
  adminDn: string;
  tenantKey: string;
  targetGuid: string;
  purpose: 'reset' | 'mail';
}

export type ConsumeResult = 'ok' | 'used' | 'expired' | 'mismatch' | 'unknown';

export interface NonceStore {
  /** One nonce per binding, in the same order, all in one write. */
  issue(bindings: NonceBinding[]): Promise<string[]>;
  consume(nonce: string, binding: NonceBinding): Promise<ConsumeResult>;
}

const bindingSchema = z
  .object({
    teamsTenantId: z.string().min(1),
    aadObjectId: z.string().min(1),
    adminDn: z.string().min(1),
    tenantKey: z.string().min(1),
    targetGuid: z.string().min(1),
    purpose: z.enum(['reset', 'mail']),
  })
  .strict();

const entrySchema = z
  .object({
    /** base64url SHA-256 of the nonce. */
    hash: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    binding: bindingSchema,
    expiresAt: z.string().datetime(),
    usedAt: z.string().datetime().nullable(),
  })
  .strict();

type NonceEntry = z.infer<typeof entrySchema>;

interface NoncesFile {
  nonces: NonceEntry[];
}

function validateFile(data: unknown): NoncesFile {
  const file = z.object({ nonces: z.array(z.unknown()) }).parse(data);
  const nonces: NonceEntry[] = [];
  for (const entry of file.nonces) {
    const parsed = entrySchema.safeParse(entry);
    if (parsed.success) nonces.push(parsed.data);
  }
  return { nonces };
}

/** 16 random bytes, base64url: 22 characters. */
const NONCE = /^[A-Za-z0-9_-]{22}$/;

/** At most this many nonces per issue() (a list card has up to 20 rows). */
const MAX_PER_ISSUE = 100;

export function createLowdbNonceStore(options: { file: string; ttlMinutes?: number; clock?: () => Date }): NonceStore {
  const { file, ttlMinutes = 10, clock = () => new Date() } = options;
  if (!Number.isFinite(ttlMinutes) || ttlMinutes <= 0) {
    throw new AppError('CONFIG_INVALID', { detail: 'nonce ttlMinutes' });
  }
  const ttlMs = ttlMinutes * 60_000;
  const db = jsonFile<NoncesFile>({ file, validate: validateFile, empty: () => ({ nonces: [] }), onInvalid: 'empty' });

  const isLive = (e: NonceEntry, nowMs: number): boolean => nowMs < Date.parse(e.expiresAt);

  return {
    async issue(bindings) {
      if (bindings.length === 0) return [];
      if (bindings.length > MAX_PER_ISSUE) throw new AppError('INPUT_INVALID', { detail: 'too many confirmations' });
      const parsed = z.array(bindingSchema).safeParse(bindings);
      if (!parsed.success) throw new AppError('INPUT_INVALID', { detail: 'confirmation binding' });

      const now = clock();
      const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
      const nonces = parsed.data.map(() => randomBytes(16).toString('base64url'));
      const entries = parsed.data.map((binding, i) => ({ hash: hashOf(nonces[i] ?? ''), binding, expiresAt, usedAt: null }));
      return db.update(({ nonces: stored }) => ({
        result: nonces,
        next: { nonces: [...stored.filter((e) => isLive(e, now.getTime())), ...entries] },
      }));
    },

    async consume(nonce, binding) {
      if (typeof nonce !== 'string' || !NONCE.test(nonce)) return 'unknown';
      const hash = hashOf(nonce);
      return db.update(({ nonces }) => {
        const now = clock();
        const nowMs = now.getTime();
        const live = nonces.filter((e) => isLive(e, nowMs));
        const prune = live.length === nonces.length ? {} : { next: { nonces: live } };

        const entry = nonces.find((e) => e.hash === hash);
        let result: ConsumeResult;
        if (entry === undefined) result = 'unknown';
        else if (!sameBinding(entry.binding, binding)) result = 'mismatch';
        else if (entry.usedAt !== null) result = 'used';
        else if (!isLive(entry, nowMs)) result = 'expired';
        else result = 'ok';

        if (result !== 'ok' || entry === undefined) return { result, ...prune };
        const used: NonceEntry = { ...entry, usedAt: now.toISOString() };
        return { result, next: { nonces: live.map((e) => (e === entry ? used : e)) } };
      });
    },
  };
}

function hashOf(nonce: string): string {
  return createHash('sha256').update(nonce, 'utf8').digest('base64url');
}

function sameBinding(a: NonceBinding, b: NonceBinding): boolean {
  return (
    a.teamsTenantId === b.teamsTenantId &&
    a.aadObjectId === b.aadObjectId &&
    a.adminDn === b.adminDn &&
    a.tenantKey === b.tenantKey &&
    a.targetGuid === b.targetGuid &&
    a.purpose === b.purpose
  );
}
