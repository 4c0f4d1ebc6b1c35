/**
 * The composition root of the reset core: the real directory, mailer and audit log, wired from the
 * validated config. The bot (and the tests) build on this; nothing else constructs these.
 */
import { readFileSync } from 'node:fs';
import type { AuditLog } from './audit/audit-log.js';
import type { Config } from './config/config.js';
import { LdapDirectory, ldapDirectoryOptions } from './directory/ldap-directory.js';
import type { Directory } from './directory/directory.js';
import type { Logger } from './log/logger.js';
import { createSmtpMailer, type Mailer } from './mail/mailer.js';
import type { ResetDeps } from './reset/reset-password.js';
import type { StateStore } from './state/state.js';

export interface Core extends ResetDeps {
  readonly config: Config;
  readonly directory: Directory;
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  close(): void;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function createCore(config: Config, log: Logger, state: StateStore): Core {
  const directory = new LdapDirectory(ldapDirectoryOptions(config), config.tenants, { protectedGroupDns: config.protectedGroupDns, log });
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

  return {
    config,
    directory,
    mailer,
    audit,
    log,
    passwordLength: config.passwordLength,
    close() {
      clearInterval(timer);
      mailer.close();
    },
  };
}
