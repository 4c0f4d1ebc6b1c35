/**
 * What the bot keeps to speak first, later: the reference of each admin's personal conversation
 * (for proactive messages), the one command an admin typed before signing in (run once they have),
 * and the temporary passwords this bot set that the employee has not replaced yet (the follow-up
 * job tells the admin when they have, and replaces one left unused too long).
 *
 * The shapes are validated with zod when written and when read back, by every implementation
 * (src/state/embedded/chat.ts, src/state/postgres/chat.ts): a stored entry that does not validate
 * counts as absent.
 */
import { z } from 'zod';

/** A Teams user, the key of what is kept per person (both ids lower-case, as `Caller` has them). */
export interface TeamsUser {
  readonly teamsTenantId: string;
  readonly aadObjectId: string;
}

const id = z.string().min(1).max(256);
const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const isoTime = z.string().datetime();

export const teamsUserSchema = z.object({ teamsTenantId: id, aadObjectId: id });

/**
 * The fields of a Bot Framework conversation reference that a proactive message needs (what
 * `TurnContext.getConversationReference` gives, less the activity id). Unknown fields are dropped.
 */
export const conversationReferenceSchema = z.object({
  channelId: z.string().min(1).max(64),
  serviceUrl: z.string().url().max(2048),
  locale: z.string().max(35).optional(),
  conversation: z.object({
    id: z.string().min(1).max(1024),
    tenantId: z.string().max(256).optional(),
    conversationType: z.string().max(32).optional(),
  }),
  bot: z.object({ id: z.string().min(1).max(256), name: z.string().max(256).optional() }),
  user: z.object({ id: z.string().min(1).max(256), aadObjectId: z.string().max(256).optional() }).optional(),
});
export type StoredConversationReference = z.infer<typeof conversationReferenceSchema>;

export interface ConversationStore {
  /** Keeps the reference of this Teams user's personal conversation, replacing an older one. Throws INPUT_INVALID for a malformed one. */
  save(user: TeamsUser, reference: StoredConversationReference): Promise<void>;
  /** The last reference saved for this user, or null. */
  get(user: TeamsUser): Promise<StoredConversationReference | null>;
}

/** How long a command typed before signing in waits for the sign-in. */
export const PENDING_COMMAND_MINUTES = 10;
/** The longest command kept (what the chat parser reads is at most 1000 characters). */
export const PENDING_COMMAND_MAX_LENGTH = 1000;
export const pendingCommandSchema = z.string().min(1).max(PENDING_COMMAND_MAX_LENGTH);

export interface PendingCommandStore {
  /** Keeps `text` as this user's pending command (the latest replaces an earlier one) for PENDING_COMMAND_MINUTES. */
  put(user: TeamsUser, text: string): Promise<void>;
  /** Removes and returns the pending command if it has not expired: of several calls at once, one gets it. */
  take(user: TeamsUser): Promise<string | null>;
}

/** A temporary password set by this bot (or a link to the portal it mailed) that the employee has not replaced yet. */
export const pendingResetSchema = z.object({
  accountGuid: guid,
  tenantKey: id,
  /** How the admin knows the employee (display name, else the pre-Windows name). */
  accountName: z.string().min(1).max(512),
  /** The admin who reset it, to tell them; and who they were in the directory, for the audit. */
  admin: z.object({ teamsTenantId: id, aadObjectId: id, dn: z.string().min(1).max(2048), sam: z.string().min(1).max(256) }),
  /** UTC ISO 8601: when the directory took the temporary password (link mode: when the link was mailed). */
  resetAt: isoTime,
  /**
   * Link mode: no temporary password was set, a single-use link to the portal was mailed. The
   * employee's choice shows as msDS-KeyVersionNumber rising past `keyVersion` (read when the link
   * was issued); after `expiresAt` the link no longer works and nothing is followed.
   */
  link: z.object({ keyVersion: z.number().int().min(0), expiresAt: isoTime }).strict().optional(),
});
export type PendingReset = z.infer<typeof pendingResetSchema>;

export interface PendingResetStore {
  /** Records a reset, replacing one of the same account. Throws INPUT_INVALID for a malformed one. */
  put(reset: PendingReset): Promise<void>;
  /** The pending reset of this account, or null. */
  get(accountGuid: string): Promise<PendingReset | null>;
  /** Every pending reset, oldest first (at most `limit`, default 1000). */
  list(limit?: number): Promise<PendingReset[]>;
  /**
   * Removes the pending reset of this account if it is still the one made at `resetAt` (a newer
   * reset stays). True for the one call that removed it: of several at once, one wins.
   */
  settle(accountGuid: string, resetAt: string): Promise<boolean>;
}
