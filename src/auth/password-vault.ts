/**
 * Holds a temporary password in memory for "Show password" after its mail failed: readable once,
 * by the admin who reset it (Teams tenant + user) for that employee, for 10 minutes by default.
 * Never written anywhere: a restart forgets it (the admin then resets again).
 *
 * - The id is 128 random bits (node:crypto), base64url; it is not a secret by itself, since
 *   `take` also needs the binding.
 * - `take` with another binding returns null and leaves the entry for its owner.
 * - Expired entries are dropped lazily (on every put/take) and by an unref'd timer at expiry, so a
 *   password does not outlive its TTL in the map even when nobody calls again.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors/catalog.js';

export interface VaultBinding {
  teamsTenantId: string;
  aadObjectId: string;
  targetGuid: string;
}

export interface PasswordVault {
  /** Stores the password; returns the id to put in the "Show password" button. */
  put(binding: VaultBinding, password: string): string;
  /** The password, once, for the same binding before expiry; otherwise null. */
  take(id: string, binding: VaultBinding): string | null;
}

interface VaultEntry {
  readonly binding: VaultBinding;
  readonly password: string;
  readonly expiresAtMs: number;
  readonly timer: NodeJS.Timeout;
}

export function createPasswordVault(options: { ttlMs?: number; clock?: () => Date } = {}): PasswordVault {
  const { ttlMs = 10 * 60_000, clock = () => new Date() } = options;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new AppError('CONFIG_INVALID', { detail: 'vault ttlMs' });
  const entries = new Map<string, VaultEntry>();

  const remove = (id: string): void => {
    const entry = entries.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entries.delete(id);
  };
  const prune = (nowMs: number): void => {
    for (const [id, entry] of entries) if (nowMs >= entry.expiresAtMs) remove(id);
  };

  return {
    put(binding, password) {
      if (password === '') throw new AppError('INPUT_INVALID', { detail: 'empty password' });
      const nowMs = clock().getTime();
      prune(nowMs);
      const id = randomBytes(16).toString('base64url');
      const timer = setTimeout(() => remove(id), ttlMs);
      timer.unref();
      entries.set(id, {
        binding: { teamsTenantId: binding.teamsTenantId, aadObjectId: binding.aadObjectId, targetGuid: binding.targetGuid },
        password,
        expiresAtMs: nowMs + ttlMs,
        timer,
      });
      return id;
    },

    take(id, binding) {
      prune(clock().getTime());
      const entry = entries.get(id);
      if (
        entry === undefined ||
        entry.binding.teamsTenantId !== binding.teamsTenantId ||
        entry.binding.aadObjectId !== binding.aadObjectId ||
        entry.binding.targetGuid !== binding.targetGuid
      ) {
        return null;
      }
      remove(id);
      return entry.password;
    },
  };
}
