/**
 * The implementations the state contract tests run against, behind one shape: an "instance" is
 * what one bot process would open. A store that may be shared (PostgreSQL) is tested with two
 * instances on the same state, two pools as two processes behind a load balancer would have; the
 * embedded store belongs to one process (it locks DATA_DIR), so there both names are that one
 * instance.
 *
 * Every subject takes the tests' clock, so that expiry and windows are tested without waiting.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { pino } from 'pino';
import { createFileAuditLog, type AuditLog } from '../../src/audit/audit-log.js';
import type { NonceStore } from '../../src/auth/nonce-store.js';
import { createLowdbSessionStore, type SessionStore } from '../../src/auth/session-store.js';
import { createLowdbSignInLimiter, type SignInLimiter } from '../../src/auth/sign-in-limiter.js';
import type { ConversationStore, PendingCommandStore, PendingResetStore } from '../../src/state/chat.js';
import { createLowdbConversationStore, createLowdbPendingCommandStore, createLowdbPendingResetStore } from '../../src/state/embedded/chat.js';
import { createSignedConfirmations } from '../../src/state/embedded/confirmations.js';
import { createLowdbLinkTokenStore, createLowdbPortalAttempts } from '../../src/state/embedded/portal.js';
import type { LinkTokenStore, PortalAttempts } from '../../src/state/portal.js';
import { createEmbeddedState } from '../../src/state/embedded/index.js';
import { createPostgresState } from '../../src/state/postgres/index.js';
import type { StateStore } from '../../src/state/state.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

export interface InstanceOptions {
  sessionTtlMinutes?: number;
  confirmationTtlMinutes?: number;
  maxFailures?: number;
  windowMinutes?: number;
  auditRetentionDays?: number;
}

export interface Instance {
  sessions: SessionStore;
  confirmations: NonceStore;
  signInAttempts: SignInLimiter;
  audit: AuditLog;
  runExclusive: StateStore['runExclusive'];
  conversations: ConversationStore;
  pendingCommands: PendingCommandStore;
  pendingResets: PendingResetStore;
  linkTokens: LinkTokenStore;
  portalAttempts: PortalAttempts;
  close(): Promise<void>;
}

export interface Subject {
  readonly name: string;
  /** Whether several instances (processes) may share the state. */
  readonly shared: boolean;
  /** Once per file. */
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** Before each test: empty state. */
  reset(): Promise<void>;
  open(clock: () => Date, options?: InstanceOptions): Promise<Instance>;
  /** Everything stored, as text (to check that no token is kept). */
  dump(): Promise<string>;
}

const defaults = { sessionTtlMinutes: 60, confirmationTtlMinutes: 10, maxFailures: 5, windowMinutes: 15, auditRetentionDays: 30 };

export const silentLog = pino({ level: 'silent' });

/**
 * The embedded store (src/state/embedded) in a fresh DATA_DIR per test. createEmbeddedState takes
 * no clock, so the subject builds the same parts from the same factories and files with the tests'
 * clock; runExclusive is the real store's (it needs no clock). Another open() is that process
 * restarted, possibly with other settings.
 */
export function embeddedSubject(): Subject {
  let root: string | undefined;
  let store: StateStore | undefined;
  const dir = (): string => {
    if (root === undefined) throw new Error('reset() first');
    return root;
  };
  const cleanUp = async (): Promise<void> => {
    await store?.close();
    store = undefined;
    if (root !== undefined) await rm(root, { recursive: true, force: true });
    root = undefined;
  };
  return {
    name: 'embedded',
    shared: false,
    async setUp() {},
    tearDown: cleanUp,
    async reset() {
      await cleanUp();
      root = await mkdtemp(join(tmpdir(), 'state-contract-'));
      store = await createEmbeddedState({ dataDir: root, ...defaults, signIn: defaults });
    },
    async open(clock, options = {}) {
      const o = { ...defaults, ...options };
      const data = dir();
      const whole = store;
      if (whole === undefined) throw new Error('reset() first');
      return {
        sessions: createLowdbSessionStore({ file: join(data, 'sessions.json'), ttlMinutes: o.sessionTtlMinutes, clock }),
        confirmations: await createSignedConfirmations({ dataDir: data, ttlMinutes: o.confirmationTtlMinutes, clock }),
        signInAttempts: createLowdbSignInLimiter({ file: join(data, 'sign-in-failures.json'), maxFailures: o.maxFailures, windowMinutes: o.windowMinutes, clock }),
        audit: createFileAuditLog({ dir: join(data, 'audit'), retentionDays: o.auditRetentionDays, clock }),
        runExclusive: (job, work) => whole.runExclusive(job, work),
        conversations: createLowdbConversationStore(data),
        pendingCommands: createLowdbPendingCommandStore(data, clock),
        pendingResets: createLowdbPendingResetStore(data),
        linkTokens: createLowdbLinkTokenStore(data, clock),
        portalAttempts: createLowdbPortalAttempts(data, clock),
        close: async () => undefined,
      };
    },
    async dump() {
      const data = dir();
      const texts: string[] = [];
      for (const name of await readdir(data, { recursive: true })) {
        texts.push(await readFile(join(data, name), 'utf8').catch(() => ''));
      }
      return texts.join('\n');
    },
  };
}

/** PostgreSQL: a database of this test file on the run's server; every instance is a pool of its own. */
export function postgresSubject(label: string): Subject {
  let database: TestDatabase | undefined;
  let admin: Pool | undefined;
  const opened = new Set<StateStore>();
  const db = (): { database: TestDatabase; admin: Pool } => {
    if (database === undefined || admin === undefined) throw new Error('setUp() first');
    return { database, admin };
  };
  return {
    name: 'postgres',
    shared: true,
    async setUp() {
      database = await createTestDatabase(label);
      admin = new Pool({ connectionString: database.url, max: 2 });
      admin.on('error', () => undefined);
      // The schema, once: later instances find it migrated.
      await (await createPostgresState({ url: database.url, ...defaults, signIn: defaults, log: silentLog })).close();
    },
    async tearDown() {
      for (const store of opened) await store.close().catch(() => undefined);
      await admin?.end();
      await database?.drop();
    },
    async reset() {
      for (const store of opened) await store.close().catch(() => undefined);
      opened.clear();
      await db().admin.query('TRUNCATE sessions, confirmations, sign_in_attempts, audit_entries, conversation_references, pending_commands, pending_resets, link_tokens, portal_attempts');
    },
    async open(clock, options = {}) {
      const o = { ...defaults, ...options };
      const store = await createPostgresState({
        url: db().database.url,
        sessionTtlMinutes: o.sessionTtlMinutes,
        confirmationTtlMinutes: o.confirmationTtlMinutes,
        signIn: { maxFailures: o.maxFailures, windowMinutes: o.windowMinutes },
        auditRetentionDays: o.auditRetentionDays,
        log: silentLog,
        clock,
      });
      opened.add(store);
      return {
        sessions: store.sessions,
        confirmations: store.confirmations,
        signInAttempts: store.signInAttempts,
        audit: store.audit,
        runExclusive: (job, work) => store.runExclusive(job, work),
        conversations: store.conversations,
        pendingCommands: store.pendingCommands,
        pendingResets: store.pendingResets,
        linkTokens: store.linkTokens,
        portalAttempts: store.portalAttempts,
        close: async () => {
          opened.delete(store);
          await store.close();
        },
      };
    },
    async dump() {
      const tables = ['sessions', 'confirmations', 'sign_in_attempts', 'audit_entries', 'conversation_references', 'pending_commands', 'pending_resets', 'link_tokens', 'portal_attempts'];
      const texts: string[] = [];
      for (const table of tables) {
        const { rows } = await db().admin.query(`SELECT t::text AS row FROM ${table} t`);
        texts.push(...rows.map((r: { row: string }) => r.row));
      }
      return texts.join('\n');
    },
  };
}
