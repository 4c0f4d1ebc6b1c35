/**
 * The one way an e-mail address enters the mail module: a single bare `local@domain`.
 *
 * Deliberately stricter than RFC 5322. An admin types the address the temporary password goes
 * to, so anything a mail library would read as *more* than one plain mailbox (a list, a display
 * name, a comment, a quoted local part, a header smuggled in after a line break) is refused here
 * rather than interpreted: the password must reach exactly the address the admin saw.
 */
import { z } from 'zod';
import { AppError } from '../errors/catalog.js';

/** RFC 5321 4.5.3.1: path ≤ 256 including the angle brackets, so the address itself ≤ 254. */
export const MAX_ADDRESS_LENGTH = 254;
/** RFC 5321 4.5.3.1.1. */
const MAX_LOCAL_LENGTH = 64;
/** RFC 1035 2.3.4. */
const MAX_LABEL_LENGTH = 63;

// RFC 5322 3.2.3 dot-atom of atext: no quotes, no spaces, no "(", ")", "<", ">", ",", ";", ":",
// "@", "[", "]", "\" — so quoted strings, comments, lists and display names cannot pass.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
// LDH label (RFC 1123): letters, digits, hyphens; not starting or ending with a hyphen. ASCII
// only: an IDN must be typed as punycode (xn--...), so what the admin sees is what is sent.
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
// The top-level domain is letters (nl, com), or an IDN TLD in punycode (xn--p1ai). A TLD of
// digits would make "a@1.2.3.4" look like a domain.
const TOP_LEVEL_LABEL = /^(?:[A-Za-z]{2,}|xn--[A-Za-z0-9-]+)$/;

/** Why an address is refused, in plain words for the log (never echoes the input). */
function findProblem(address: string): string | undefined {
  if (address.length === 0) return 'empty';
  if (address.length > MAX_ADDRESS_LENGTH) return `longer than ${MAX_ADDRESS_LENGTH} characters`;
  // Checked before anything else so the reason for a header-injection attempt is explicit.
  if (/[\u0000-\u001f\u007f]/.test(address)) return 'contains a control character (line break)';
  if (/[^\u0021-\u007e]/.test(address)) return 'contains a space or a non-ASCII character';

  const at = address.indexOf('@');
  if (at === -1) return 'has no "@"';
  if (address.indexOf('@', at + 1) !== -1) return 'has more than one "@"';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);

  if (local.length === 0) return 'has an empty local part';
  if (local.length > MAX_LOCAL_LENGTH) return `local part longer than ${MAX_LOCAL_LENGTH} characters`;
  if (!LOCAL_PART.test(local)) return 'local part is not a dot-atom';

  const labels = domain.split('.');
  if (labels.length < 2) return 'domain has no dot';
  for (const label of labels) {
    if (label.length === 0) return 'domain has an empty label';
    if (label.length > MAX_LABEL_LENGTH) return `domain label longer than ${MAX_LABEL_LENGTH} characters`;
    if (!DOMAIN_LABEL.test(label)) return 'domain label is not letters, digits and inner hyphens';
  }
  const tld = labels[labels.length - 1] ?? '';
  if (!TOP_LEVEL_LABEL.test(tld)) return 'top-level domain is not letters';
  return undefined;
}

/** Domains are case-insensitive (lower-cased for display and audit); the local part may not be. */
function normalize(address: string): string {
  const at = address.indexOf('@');
  return `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`;
}

/** zod schema for one bare mail address: trims, validates, lower-cases the domain. */
export const mailAddressSchema = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const problem = findProblem(value);
    if (problem !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a single plain mail address: ${problem}` });
    }
  })
  .transform(normalize);

/**
 * Parses one bare address (`local@domain`) or throws AppError('MAIL_ADDRESS_INVALID').
 * The input is not echoed into the error: the reason goes to `cause` for the log.
 */
export function parseMailAddress(input: string): string {
  const result = mailAddressSchema.safeParse(input);
  if (!result.success) {
    throw new AppError('MAIL_ADDRESS_INVALID', { cause: result.error });
  }
  return result.data;
}

/**
 * An address as shown in outcomes and the reset notice: 'joman.mus@mijnsynergy.nl' →
 * 'jo…@mijnsynergy.nl'. Never shows the whole local part (at most two characters, and always one
 * fewer than it has), so it confirms the destination to whoever knows it without disclosing it.
 */
export function maskMailAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '…';
  const local = address.slice(0, at);
  const shown = Math.min(2, local.length - 1);
  return `${local.slice(0, shown)}…${address.slice(at).toLowerCase()}`;
}
