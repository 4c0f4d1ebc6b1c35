/**
 * Temporary passwords that a helpdesk admin reads to an employee (often over the phone), who types
 * it once and must change it at the next sign-in.
 *
 * Everything random comes from node:crypto. `randomInt` draws by rejection internally, so each
 * character is exactly uniform; a non-cryptographic generator or `byte % 56` would be predictable or biased.
 */
import { randomInt } from 'node:crypto';

import { AppError } from '../errors/catalog.js';

// Look-alikes (0/O/o, 1/l/I) are left out: a misread character costs a second helpdesk call.
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnpqrstuvwxyz';
const DIGITS = '23456789';

/** The 56 characters a random position can hold (24 upper, 24 lower, 8 digits). */
export const PASSWORD_ALPHABET = `${UPPER}${LOWER}${DIGITS}`;

export const DEFAULT_RANDOM_LENGTH = 16;
/** 12 characters of 56 give ~70 bits, far beyond what online guessing against AD can try. */
export const MIN_RANDOM_LENGTH = 12;
/** Nobody reads more than this aloud; the bound also keeps a caller's typo from building megabytes. */
export const MAX_RANDOM_LENGTH = 64;

const GROUP_SIZE = 4;
const SEPARATOR = '-';
/** AD ignores name parts shorter than this, and so do we (else "Bo" would forbid half the space). */
const MIN_FORBIDDEN_LENGTH = 3;
/**
 * Every attempt is a fresh, independent draw, so the loop ends almost at once for any sane input
 * (at least ~84% of draws have all three classes). The cap only turns an absurd `forbidden` list
 * into an error instead of a hung bot.
 */
const MAX_ATTEMPTS = 10_000;

/** AD's delimiters for splitting displayName into the tokens a password may not contain. */
const DISPLAY_NAME_DELIMITERS = /[\s,.\-_#]+/u;

export interface PasswordOptions {
  /** Number of random characters, excluding the dashes. Default 16. */
  readonly randomLength?: number;
  /** Strings the password must not contain, case-insensitively; those under 3 characters are ignored. */
  readonly forbidden?: readonly string[];
}

/**
 * The strings AD's complexity rule forbids for this account: the whole sAMAccountName, and each
 * displayName token of 3+ characters. Lower-cased and de-duplicated.
 */
export function forbiddenPartsFor(accountName: string, displayName?: string): string[] {
  const tokens = (displayName ?? '').split(DISPLAY_NAME_DELIMITERS);
  const parts = [accountName.trim(), ...tokens]
    .map((part) => part.toLowerCase())
    .filter((part) => part.length >= MIN_FORBIDDEN_LENGTH);
  return [...new Set(parts)];
}

/**
 * A new temporary password: `randomLength` characters from PASSWORD_ALPHABET in dash-separated
 * groups of four (`Kx7q-Rm4t-Wp9z-Hb3n`), with at least one upper-case letter, lower-case letter
 * and digit, and none of the `forbidden` strings.
 *
 * Those guarantees come from redrawing the whole password until it satisfies them, never from
 * patching characters in: patching would make some positions predictable, while redrawing leaves
 * the result uniform over every password that satisfies the rules.
 */
export function generateTemporaryPassword(options: PasswordOptions = {}): string {
  const randomLength = checkedRandomLength(options.randomLength);
  const forbidden = normalizedForbidden(options.forbidden ?? []);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    let random = '';
    for (let i = 0; i < randomLength; i += 1) {
      random += PASSWORD_ALPHABET.charAt(randomInt(PASSWORD_ALPHABET.length));
    }
    const password = inGroups(random);
    if (hasEveryClass(random) && !containsForbidden(password, forbidden)) {
      return password;
    }
  }
  throw new AppError('INPUT_INVALID', {
    detail: 'the forbidden parts rule out nearly every password',
  });
}

/**
 * Whether `password` has the shape and content generateTemporaryPassword promises for these
 * options. Exported for tests and for checking a password before it is sent to AD.
 */
export function meetsPasswordRules(password: string, options: PasswordOptions = {}): boolean {
  const randomLength = checkedRandomLength(options.randomLength);
  const random = password.split(SEPARATOR).join('');
  return (
    random.length === randomLength &&
    [...random].every((char) => PASSWORD_ALPHABET.includes(char)) &&
    // Rebuilding the grouping and comparing checks every dash position in one go.
    inGroups(random) === password &&
    hasEveryClass(random) &&
    !containsForbidden(password, normalizedForbidden(options.forbidden ?? []))
  );
}

function checkedRandomLength(randomLength: number | undefined): number {
  const length = randomLength ?? DEFAULT_RANDOM_LENGTH;
  if (!Number.isInteger(length) || length < MIN_RANDOM_LENGTH || length > MAX_RANDOM_LENGTH) {
    throw new AppError('INPUT_INVALID', {
      detail: `randomLength must be a whole number from ${MIN_RANDOM_LENGTH} to ${MAX_RANDOM_LENGTH}`,
    });
  }
  return length;
}

function inGroups(random: string): string {
  const groups: string[] = [];
  for (let i = 0; i < random.length; i += GROUP_SIZE) {
    groups.push(random.slice(i, i + GROUP_SIZE));
  }
  return groups.join(SEPARATOR);
}

function hasEveryClass(random: string): boolean {
  const has = (set: string): boolean => [...random].some((char) => set.includes(char));
  return has(UPPER) && has(LOWER) && has(DIGITS);
}

function normalizedForbidden(forbidden: readonly string[]): string[] {
  return forbidden
    .map((part) => part.toLowerCase())
    .filter((part) => part.length >= MIN_FORBIDDEN_LENGTH);
}

/**
 * AD matches against the string as typed, dashes included. The dash-free form is checked as well,
 * so a name cut by a group boundary ("jm-us") is caught too: a reader would still see it.
 */
function containsForbidden(password: string, forbidden: readonly string[]): boolean {
  if (forbidden.length === 0) return false;
  const typed = password.toLowerCase();
  const joined = typed.split(SEPARATOR).join('');
  return forbidden.some((part) => {
    const partJoined = part.split(SEPARATOR).join('');
    return (
      typed.includes(part) ||
      (partJoined.length >= MIN_FORBIDDEN_LENGTH && joined.includes(partJoined))
    );
  });
}
