/**
 * Everything the product remembers between requests, behind one interface with two
 * implementations chosen by config:
 * - embedded (default): files in DATA_DIR, for one instance (src/state/embedded.ts);
 * - PostgreSQL when DATABASE_URL is set, for one or several instances (src/state/postgres/).
 * Nothing in src/bot or the use cases knows which one runs. The same contract tests
 * (test/state/contract.test.ts) run against both.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { NonceStore } from '../auth/nonce-store.js';
import type { SessionStore } from '../auth/session-store.js';
import type { SignInLimiter } from '../auth/sign-in-limiter.js';
import type { ConversationStore, PendingCommandStore, PendingResetStore } from './chat.js';
import type { LinkTokenStore, PortalAttempts } from './portal.js';

export interface StateStore {
  readonly kind: 'embedded' | 'postgres';
  readonly sessions: SessionStore;
  /** Single-use confirmations carried by card buttons. */
  readonly confirmations: NonceStore;
  readonly signInAttempts: SignInLimiter;
  readonly audit: AuditLog;
  /** Each admin's personal conversation, to message them later (src/state/chat.ts). */
  readonly conversations: ConversationStore;
  /** The command an admin typed before signing in. */
  readonly pendingCommands: PendingCommandStore;
  /** Temporary passwords set by the bot that the employee has not replaced yet. */
  readonly pendingResets: PendingResetStore;
  /** The Password Change Portal's single-use links (link mode), stored hashed (src/state/portal.ts). */
  readonly linkTokens: LinkTokenStore;
  /** The Password Change Portal's attempts, per user name and per client address. */
  readonly portalAttempts: PortalAttempts;
  /**
   * Runs a timed job (audit purge, reconciliation) on exactly one instance at a time: resolves
   * `undefined` without running it when another instance holds it.
   */
  runExclusive<T>(job: string, work: () => Promise<T>): Promise<T | undefined>;
  /** Throws when the store cannot be used (for readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
