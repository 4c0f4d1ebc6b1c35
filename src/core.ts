/**
 * The composition root of the reset core: the real directory, mailer and audit log, wired from the
 * validated config. The bot (and the tests) build on this; nothing else constructs these.
 */
import { readFileSync } from 'node:fs';
import type { AuditLog } from './audit/audit-log.js';
import type { Config } from './config/config.js';
import { LdapDirectory, ldapDirectoryOptions } from './directory/ldap-directory.js';
import type { Directory } from './directory/directory.js';
import { PeopleIndex } from './employees/people-index.js';
import type { Logger } from './log/logger.js';
import { createSmtpMailer, type Mailer } from './mail/mailer.js';
import { RECONCILE_JOB, reconcileOpenIntents, type CheckDeps, type ReconcileDeps } from './reset/reconcile.js';
import type { ResetDeps } from './reset/reset-password.js';
import type { LinkTokenStore } from './state/portal.js';
import type { StateStore } from './state/state.js';

export interface Core extends ResetDeps, CheckDeps {
  readonly config: Config;
  readonly directory: Directory;
  /** The environments' people in memory: pages, `find` and the picker (src/employees/people-index.ts). */
  readonly people: PeopleIndex;
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  /** Link mode's single-use links (src/reset/mail-link.ts). */
  readonly linkTokens: LinkTokenStore;
  close(): void;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often open intents are reconciled (also once at start). */
const RECONCILE_EVERY_MS = 5 * 60 * 1000;

export function createCore(config: Config, log: Logger, state: StateStore): Core {
  const directory = new LdapDirectory(ldapDirectoryOptions(config), config.tenants, { protectedGroupDns: config.protectedGroupDns, log });
  const people = new PeopleIndex(directory, { pollMs: config.list.pollSeconds * 1000, reloadMs: config.list.reloadMinutes * 60_000, log });
  const mailer = createSmtpMailer({
    url: config.smtp.url,
    from: config.smtp.from,
    ca: config.smtp.caFile ? readFileSync(config.smtp.caFile) : undefined,
    allowPlaintext: config.smtp.allowPlaintext,
  });
  const { audit } = state;

  // On one instance at a time, when several share the store.
  const purge = () =>
    state.runExclusive('audit-purge', () => audit.purge()).then(
      (removed) => removed !== undefined && removed > 0 && log.info({ code: 'AUDIT_PURGED', removed }, 'old audit entries removed'),
      (error: unknown) => log.error({ code: 'AUDIT_PURGE_FAILED', cause: String(error) }, 'audit purge failed'),
    );
  void purge();
  const timer = setInterval(() => void purge(), DAY_MS);
  timer.unref();

  // Directory changes whose outcome was never seen (a crash, a directory that did not answer):
  // settled as applied or not-applied, at start and on a timer, on one instance at a time.
  const reconcileDeps: ReconcileDeps = { directory, audit, log, reconcileGraceMs: 2 * config.ldap.timeoutMs };
  const reconcile = () =>
    state.runExclusive(RECONCILE_JOB, () => reconcileOpenIntents(reconcileDeps)).then(
      (summary) =>
        summary !== undefined &&
        summary.applied + summary.notApplied + summary.unresolved > 0 &&
        log.info({ code: 'RECONCILED', ...summary }, 'open audit intents reconciled with the directory'),
      (error: unknown) => log.error({ code: 'RECONCILE_FAILED', cause: String(error) }, 'reconciliation failed; it runs again later'),
    );
  void reconcile();
  // Intents a crash left just before this start are too young at start: settle them once the grace has passed.
  const afterGrace = setTimeout(() => void reconcile(), reconcileDeps.reconcileGraceMs + 1000);
  afterGrace.unref();
  const reconcileTimer = setInterval(() => void reconcile(), RECONCILE_EVERY_MS);
  reconcileTimer.unref();

  return {
    config,
    directory,
    people,
    mailer,
    audit,
    linkTokens: state.linkTokens,
    log,
    passwordLength: config.passwordLength,
    pendingResets: state.pendingResets,
    reconcileGraceMs: reconcileDeps.reconcileGraceMs,
    runExclusive: (job, work) => state.runExclusive(job, work),
    close() {
      clearInterval(timer);
      clearTimeout(afterGrace);
      clearInterval(reconcileTimer);
      people.close();
      mailer.close();
      directory.close();
    },
  };
}
