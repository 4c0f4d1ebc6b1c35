/**
 * Limits failed sign-ins: at most `maxFailures` (5) per key within a sliding window of
 * `windowMinutes` (15). Kept in a lowdb file (`DATA_DIR/sign-in-failures.json`, owner-only), so a
 * restart does not reset it.
 *
 * Callers pass the keys of one attempt (see `signInKeys`): one for the Teams user, one for the
 * account tried. Before the bind: `isBlocked` (true once any key has `maxFailures` failures in the
 * window, so the 6th try is refused without reaching the directory); after a failed bind:
 * `recordFailure`; after a successful one: `clear`.
 *
 * An unreadable file fails closed: every call throws (AppError INTERNAL) and the file is left for
 * an operator to inspect, rather than being read as "no failures". Entries that do not validate are
 * dropped.
 */
import { z } from 'zod';
import { AppError } from '../errors/catalog.js';
import { jsonFile } from '../storage/json-file.js';

export interface SignInLimiter {
  /** True when any key already has `maxFailures` failures within the window. */
  isBlocked(keys: string[]): Promise<boolean>;
  /** Counts one failure against each key. */
  recordFailure(keys: string[]): Promise<void>;
  /** Forgets the failures of these keys (after a successful sign-in). */
  clear(keys: string[]): Promise<void>;
}

interface FailuresFile {
  /** Per key, the UTC ISO times of its most recent failures (at most `maxFailures`), oldest first. */
  failures: { key: string; times: string[] }[];
}

const entrySchema = z.object({ key: z.string().min(1), times: z.array(z.string().datetime()) }).strict();

function validateFile(data: unknown): FailuresFile {
  const file = z.object({ failures: z.array(z.unknown()) }).parse(data);
  const failures: FailuresFile['failures'] = [];
  for (const entry of file.failures) {
    const parsed = entrySchema.safeParse(entry);
    if (parsed.success) failures.push(parsed.data);
  }
  return { failures };
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
    isBlocked: (keys) =>
      guard(async () => {
        const live = inWindow((await db.read()).failures, clock().getTime());
        return keys.some((key) => (live.get(key)?.length ?? 0) >= maxFailures);
      }),

    recordFailure: (keys) =>
      guard(() =>
        db.update(({ failures }) => {
          const now = clock();
          const live = inWindow(failures, now.getTime());
          for (const key of new Set(keys)) {
            // Only the latest `maxFailures` decide whether a key is blocked: older ones need not be kept.
            live.set(key, [...(live.get(key) ?? []), now.toISOString()].slice(-maxFailures));
          }
          return { result: undefined, next: toFile(live) };
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

/**
 * The limiter keys of one sign-in attempt: the Teams user (`teams:<tenant>:<aadObjectId>`) and the
 * account tried (`account:<login>`), the login normalised as the directory resolves it
 * (src/directory/ldap-directory.ts): trimmed and lower-cased; with an `@` it is a UPN and kept
 * whole (`jmus@x.nl`); otherwise a `DOMAIN\` prefix is dropped (`CORP\jmus` → `jmus`).
 *
 * The UPN's local part is deliberately not added as a key: it is usually not the sAMAccountName
 * (`joman.mus@…` vs `sbf_jmus`), so it would not join the two forms of one account, and it would
 * join different accounts (`admin@a.nl`, `admin@b.nl`, or a sAMAccountName equal to another's local
 * part), letting failures against one customer's account block another's. So one account has two
 * account keys (sAMAccountName, UPN), each allowing `maxFailures` per window; the Teams key caps a
 * Teams user at `maxFailures` per window over every form, and AD's own lockout policy stays the
 * backstop.
 */
export function signInKeys(teamsTenantId: string, aadObjectId: string, login: string): string[] {
  const keys = [`teams:${teamsTenantId.toLowerCase()}:${aadObjectId.toLowerCase()}`];
  const account = normaliseLogin(login);
  if (account !== '') keys.push(`account:${account}`);
  return keys;
}

/** `CORP\jmus` → `jmus`; `JMus@X.nl` → `jmus@x.nl`; trimmed, NFC, lower-cased. */
export function normaliseLogin(login: string): string {
  const name = login.trim().normalize('NFC');
  const backslash = name.indexOf('\\');
  const account = name.includes('@') || backslash < 0 ? name : name.slice(backslash + 1);
  return account.toLowerCase();
}
