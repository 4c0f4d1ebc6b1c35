/**
 * What the Password Change Portal keeps: single-use links (link mode) and its rate limits.
 *
 * A link token is 32 random bytes (256 bits), base64url; every implementation keeps only its
 * SHA-256, so the store never holds a usable link. A token is used by one atomic step (of two
 * uses at once, one wins), stops working when it expires, and issuing a new one for an account
 * revokes the earlier ones. A link also records the account's password version
 * (msDS-KeyVersionNumber) when it was issued: any reset of the account since then makes the portal
 * refuse it (src/portal/link.ts compares it with the directory).
 *
 * The shapes are validated with zod when written and read back (src/state/embedded/portal.ts,
 * src/state/postgres/portal.ts): a stored entry that does not validate counts as absent.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SignInLimiter } from '../auth/sign-in-limiter.js';

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** What a link lets its holder do: choose the password of this one account. */
export const linkGrantSchema = z
  .object({
    accountGuid: guid,
    tenantKey: z.string().min(1).max(64),
    /** The account's DN when the link was issued (the portal re-reads the account by GUID). */
    accountDn: z.string().min(1).max(2048),
    /** How the page greets the employee (display name, else the pre-Windows name). */
    accountName: z.string().min(1).max(512),
    /** msDS-KeyVersionNumber when the link was issued: a later password set makes the link stale. */
    keyVersion: z.number().int().min(0),
    language: z.enum(['nl', 'en']),
    /** The admin who sent it, for the audit of its use. */
    admin: z.object({ dn: z.string().min(1).max(2048), upn: z.string().max(1024).nullable() }).strict(),
  })
  .strict();
export type LinkGrant = z.infer<typeof linkGrantSchema>;

/** A grant as stored: with when it was issued and until when it works. */
export interface IssuedLink extends LinkGrant {
  readonly issuedAt: string;
  readonly expiresAt: string;
}

export type LinkUse = { readonly status: 'ok'; readonly link: IssuedLink } | { readonly status: 'used' | 'expired' | 'unknown' };

/** 32 random bytes, base64url: 43 characters. */
export const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function linkTokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export interface LinkTokenStore {
  /**
   * A new token for this grant, valid for `ttlMinutes`; every earlier token of the same account
   * stops working (one step). Throws INPUT_INVALID for a malformed grant.
   */
  issue(grant: LinkGrant, ttlMinutes: number): Promise<string>;
  /** The link, if the token is known, unused and not expired; reading changes nothing. */
  peek(token: string): Promise<IssuedLink | null>;
  /** Uses the token, once: of several calls at once, exactly one gets 'ok'. */
  consume(token: string): Promise<LinkUse>;
  /**
   * Makes a used token usable again, when the directory refused the password chosen with it (too
   * short, not complex): the holder may try another. Nothing happens to an unknown or expired token.
   */
  release(token: string): Promise<void>;
  /** Every link of this account stops working (a mail that failed, a reset). Returns how many. */
  revoke(accountGuid: string): Promise<number>;
}

/** The portal's attempts, each limited on its own: per user name typed, and per client address. */
export interface PortalAttempts {
  readonly byName: SignInLimiter;
  readonly byAddress: SignInLimiter;
}

/** Attempts per user name, and per client address, within PORTAL_WINDOW_MINUTES. */
export const PORTAL_LIMITS = { perName: 5, perAddress: 30, windowMinutes: 15 } as const;
