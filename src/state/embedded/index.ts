/**
 * The embedded state store: files in DATA_DIR, for one instance (the folder is locked).
 * Sessions, sign-in attempts, conversation references and what is pending are small lowdb files
 * written rarely; confirmations are signed
 * and only their use is appended; the audit is appended one line per entry.
 */
import { join } from 'node:path';
import { createFileAuditLog } from '../../audit/audit-log.js';
import { createLowdbSessionStore } from '../../auth/session-store.js';
import { createLowdbSignInLimiter } from '../../auth/sign-in-limiter.js';
import type { Logger } from '../../log/logger.js';
import { ensurePrivateDir } from '../../storage/json-file.js';
import type { StateStore } from '../state.js';
import { createLowdbConversationStore, createLowdbPendingCommandStore, createLowdbPendingResetStore } from './chat.js';
import { createSignedConfirmations } from './confirmations.js';
import { lockDataDir } from './lock.js';
import { createLowdbLinkTokenStore, createLowdbPortalAttempts } from './portal.js';

export interface EmbeddedStateOptions {
  readonly dataDir: string;
  readonly sessionTtlMinutes: number;
  readonly signIn: { readonly maxFailures: number; readonly windowMinutes: number };
  readonly auditRetentionDays: number;
  readonly log?: Logger;
}

/** Where the embedded audit log's month files are. */
export function embeddedAuditDir(dataDir: string): string {
  return join(dataDir, 'audit');
}

export async function createEmbeddedState(options: EmbeddedStateOptions): Promise<StateStore> {
  const { dataDir } = options;
  await ensurePrivateDir(dataDir);
  const lock = lockDataDir(dataDir);
  try {
    const confirmations = await createSignedConfirmations({ dataDir });
    const running = new Map<string, Promise<unknown>>();
    return {
      kind: 'embedded',
      sessions: createLowdbSessionStore({ file: join(dataDir, 'sessions.json'), ttlMinutes: options.sessionTtlMinutes }),
      confirmations,
      signInAttempts: createLowdbSignInLimiter({ file: join(dataDir, 'sign-in-failures.json'), ...options.signIn }),
      audit: createFileAuditLog({
        dir: embeddedAuditDir(dataDir),
        retentionDays: options.auditRetentionDays,
        onEvent: (event) => options.log?.warn({ code: 'AUDIT_FILE', ...event, cause: 'cause' in event ? String(event.cause) : undefined }, 'audit file event'),
      }),
      conversations: createLowdbConversationStore(dataDir),
      pendingCommands: createLowdbPendingCommandStore(dataDir),
      pendingResets: createLowdbPendingResetStore(dataDir),
      linkTokens: createLowdbLinkTokenStore(dataDir),
      portalAttempts: createLowdbPortalAttempts(dataDir),
      // One process per folder: a job is exclusive when this process is not already running it.
      async runExclusive(job, work) {
        if (running.has(job)) return undefined;
        const run = work();
        running.set(job, run);
        try {
          return await run;
        } finally {
          running.delete(job);
        }
      },
      async ping() {
        await ensurePrivateDir(dataDir);
      },
      async close() {
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
