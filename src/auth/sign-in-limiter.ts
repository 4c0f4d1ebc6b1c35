/**
 * Limits sign-in attempts: at most `maxFailures` (5) per key within a sliding window of
 * `windowMinutes` (15). Kept in a lowdb file (`DATA_DIR/sign-in-failures.json`, owner-only), so a
 * restart does not reset it.
 *
 * An attempt is reserved *before* the directory is asked (`reserve`: check and count in one
 * serialized step, so a burst of concurrent attempts cannot all pass the check before any is
 * counted); a successful sign-in then `clear`s its keys. The keys of one attempt are made by
 * `signInKeys`: the Teams user, and the admin account (by objectGUID) per Teams tenant.
 *
 * The file stays small: per key only the latest `maxFailures` times, and keys without a time in
 * the window are dropped at every write. One process per file (several instances need a shared
 * store).
 *
 * An unreadable file fails closed: every call throws (AppError INTERNAL) and the file is left for
 * an operator to inspect, rather than being read as "no failures". Entries that do not validate are
 * dropped.
 */
import { z } from 'zod';
import { AppError } from '../errors/catalog.js';
import { jsonFile, keepValid, type JsonFileChange } from '../storage/json-file.js';

export type Reservation = { readonly ok: true } | { readonly ok: false; readonly blocked: readonly string[] };

export interface SignInLimiter {
  /**
   * In one step: when no key has `maxFailures` attempts within the window, counts one against
   * each key ({ ok: true }); otherwise counts nothing and names the keys that are spent.
   */
  reserve(keys: readonly string[]): Promise<Reservation>;
  /** Forgets the attempts of these keys (after a successful sign-in). */
  clear(keys: readonly string[]): Promise<void>;
}

interface FailuresFile {
  /** Per key, the UTC ISO times of its most recent failures (at most `maxFailures`), oldest first. */
  failures: { key: string; times: string[] }[];
}

const entrySchema = z.object({ key: z.string().min(1), times: z.array(z.string().datetime()) }).strict();

function validateFile(data: unknown): FailuresFile {
  const file = z.object({ failures: z.array(z.unknown()) }).parse(data);
  return { failures: keepValid(file.failures, entrySchema) };
}

export function createLowdbSignInLimiter(options: {
  file: string;
  maxFailures?: number;
  windowMinutes?: number;
  clock?: () => Date;
}): SignInLimiter {
  const { file, maxFailures = 5, windowMinutes = 15, clock = () => new Date() } = options;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) {
    throw new AppError('CONFIG_INVALID', { detail: 'sign-in maxFailures' });
  }
  if (!Number.isFinite(windowMinutes) || windowMinutes <= 0) {
    throw new AppError('CONFIG_INVALID', { detail: 'sign-in windowMinutes' });
  }
  const windowMs = windowMinutes * 60_000;
  const db = jsonFile<FailuresFile>({ file, validate: validateFile, empty: () => ({ failures: [] }) });

  /**
   * The failures inside the window at `nowMs`, per key; keys left without any are dropped. Times
   * after `nowMs` still count (a clock set back must not lift a block).
   */
  const inWindow = (failures: FailuresFile['failures'], nowMs: number): Map<string, string[]> => {
    const kept = new Map<string, string[]>();
    for (const { key, times } of failures) {
      const recent = times.filter((t) => Date.parse(t) > nowMs - windowMs);
      if (recent.length > 0) kept.set(key, [...(kept.get(key) ?? []), ...recent]);
    }
    return kept;
  };
  const toFile = (live: Map<string, string[]>): FailuresFile => ({
    failures: [...live].map(([key, times]) => ({ key, times })),
  });

  const guard = async <R>(work: () => Promise<R>): Promise<R> => {
    try {
      return await work();
    } catch (cause) {
      throw new AppError('INTERNAL', { cause });
    }
  };

  return {
    reserve: (keys) =>
      guard(() =>
        db.update(({ failures }): JsonFileChange<FailuresFile, Reservation> => {
          const now = clock();
          const live = inWindow(failures, now.getTime());
          const blocked = [...new Set(keys)].filter((key) => (live.get(key)?.length ?? 0) >= maxFailures);
          if (blocked.length > 0) return { result: { ok: false, blocked } };
          for (const key of new Set(keys)) {
            // Only the latest `maxFailures` decide whether a key is spent: older ones need not be kept.
            live.set(key, [...(live.get(key) ?? []), now.toISOString()].slice(-maxFailures));
          }
          return { result: { ok: true }, next: toFile(live) };
        }),
      ),

    clear: (keys) =>
      guard(() =>
        db.update(({ failures }) => {
          const live = inWindow(failures, clock().getTime());
          for (const key of keys) live.delete(key);
          return { result: undefined, ...(live.size === failures.length ? {} : { next: toFile(live) }) };
        }),
      ),
  };
}

/** The Teams user's key: caps one Teams user over every name they try. */
export function teamsUserKey(teamsTenantId: string, aadObjectId: string): string {
  return `teams:${teamsTenantId.toLowerCase()}:${aadObjectId.toLowerCase()}`;
}

/**
 * The admin account's key, per Teams tenant: keyed on objectGUID (not on the spelling typed, so
 * `CORP\\x`, `x` and the UPN share one budget), and scoped to the Teams tenant the attempt came
 * from, so that nobody in another customer's Teams tenant can spend this admin's attempts.
 */
export function adminAccountKey(teamsTenantId: string, adminGuid: string): string {
  return `admin:${teamsTenantId.toLowerCase()}:${adminGuid.toLowerCase()}`;
}
