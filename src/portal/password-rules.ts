/**
 * What the portal checks of a new password before the directory is asked: the two entries match,
 * the policy's minimum length, not a common password, not the user's name. The directory checks the
 * policy again (complexity, history) when it changes the password.
 *
 * The common-password list is the 49,000-entry list of `@zxcvbn-ts/language-common` (MIT), read
 * once from the package, compared case-insensitively.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import type { PasswordPolicy } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import { forbiddenPartsFor } from '../passwords/generate.js';

let common: ReadonlySet<string> | undefined;

/** The shipped list of common passwords, lower-cased. */
export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const file = createRequire(import.meta.url).resolve('@zxcvbn-ts/language-common/src/passwords.json');
    const list = z.array(z.string()).parse(JSON.parse(readFileSync(file, 'utf8')));
    common = new Set(list.map((p) => p.toLowerCase()));
  }
  return common;
}

/** A common password, also with a digit or symbol tail (`Welcome2024!` is `welcome`). */
export function isCommonPassword(password: string): boolean {
  const lower = password.toLowerCase();
  const set = commonPasswords();
  if (set.has(lower)) return true;
  const stem = lower.replace(/[\d\W_]+$/u, '');
  return stem.length >= 4 && stem !== lower && set.has(stem);
}

/** The parts of a person's names that a password must not contain (3 characters or more). */
export function nameParts(names: { sam: string; displayName?: string; samPrefix?: string | undefined; upn?: string | null }): string[] {
  const sam = names.sam;
  const bare = names.samPrefix && sam.toLowerCase().startsWith(names.samPrefix.toLowerCase()) ? sam.slice(names.samPrefix.length) : sam;
  const upnName = names.upn?.split('@')[0];
  const parts = [...forbiddenPartsFor(sam, names.displayName), ...forbiddenPartsFor(bare), ...(upnName ? forbiddenPartsFor(upnName, upnName.replace(/[._-]+/g, ' ')) : [])];
  return [...new Set(parts)];
}

/** Throws the first rule the new password breaks that needs nothing of the account. */
export function checkNewPassword(next: string, confirm: string, policy: Pick<PasswordPolicy, 'minLength'>): void {
  if (next !== confirm) throw new AppError('PASSWORD_MISMATCH');
  if ([...next].length < Math.max(policy.minLength, 1)) throw new AppError('PASSWORD_TOO_SHORT');
  if (isCommonPassword(next)) throw new AppError('PASSWORD_COMMON');
}

/** Throws when the new password contains one of these name parts. */
export function checkNotName(next: string, parts: readonly string[]): void {
  const lower = next.toLowerCase();
  if (parts.some((part) => lower.includes(part))) throw new AppError('PASSWORD_CONTAINS_NAME');
}
