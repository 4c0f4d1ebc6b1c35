/**
 * Single-use confirmations for card buttons ("Reset", "Mail password", "Show password"): a card
 * carries a token bound to who may use it, for what; the action runs only if `consume` answers
 * 'ok', once. Implemented by the state store (src/state): signed tokens in the embedded store,
 * a table in PostgreSQL.
 *
 * - A token presented with another binding (another Teams user, admin, environment, target or
 *   purpose) answers 'mismatch' and is NOT consumed: a card forged or replayed by someone else
 *   cannot burn the real admin's confirmation. The caller refuses (and audits) the attempt.
 * - Of any number of concurrent consumes of one token (across instances where the store is
 *   shared), exactly one gets 'ok'. A used token answers 'used' until it expires, so a double
 *   click or a Teams retry is told so.
 * - 'unknown': not a token (malformed, never issued, or forgotten after it expired). A store that
 *   signs its tokens cannot tell a forged token from one presented with another binding: it
 *   answers 'mismatch' for both. Either way nothing is consumed and the caller refuses.
 */
import { z } from 'zod';
import { AppError } from '../errors/catalog.js';

export interface NonceBinding {
  teamsTenantId: string;
  aadObjectId: string;
  adminDn: string;
  tenantKey: string;
  targetGuid: string;
  /**
   * 'reveal': Show password after a failed mail (a fresh reset, audited as replacing the unseen one).
   * 'unlock': Unlock, which ends a lock-out and changes no password.
   */
  purpose: 'reset' | 'mail' | 'reveal' | 'unlock';
}

/** What `issue` accepts: exactly a NonceBinding, checked before anything is signed or stored. */
export const nonceBindingSchema = z
  .object({
    teamsTenantId: z.string().min(1),
    aadObjectId: z.string().min(1),
    adminDn: z.string().min(1),
    tenantKey: z.string().min(1),
    targetGuid: z.string().min(1),
    purpose: z.enum(['reset', 'mail', 'reveal', 'unlock']),
  })
  .strict();

/** At most this many tokens per issue() (a list card has up to 20 rows). */
export const MAX_TOKENS_PER_ISSUE = 100;

/** The bindings of one `issue`, checked; throws INPUT_INVALID for too many or a malformed one. */
export function parseBindings(bindings: readonly NonceBinding[]): NonceBinding[] {
  if (bindings.length > MAX_TOKENS_PER_ISSUE) throw new AppError('INPUT_INVALID', { detail: 'too many confirmations' });
  const parsed = z.array(nonceBindingSchema).safeParse(bindings);
  if (!parsed.success) throw new AppError('INPUT_INVALID', { detail: 'confirmation binding' });
  return parsed.data;
}

export type ConsumeResult = 'ok' | 'used' | 'expired' | 'mismatch' | 'unknown';

export interface NonceStore {
  /** One token per binding, in the same order. */
  issue(bindings: NonceBinding[]): Promise<string[]>;
  consume(nonce: string, binding: NonceBinding): Promise<ConsumeResult>;
}
