/**
 * Mail password in link mode (an environment's `mailMode: "link"`): instead of a temporary
 * password, the employee gets a single-use link to the Password Change Portal, where they choose
 * their own (OWASP's advice for reset mails: no password in a mail at all).
 *
 * Sending the link changes nothing in the directory: the account keeps working until the employee
 * uses the link. The order: authorize (as for every reset) → check the mail server → read the
 * account's password version (the link is refused once it changes) → issue the link (stored only as
 * a hash) → send → audit. If the mail fails, the link is revoked: nothing changed, the admin may
 * try again. The token exists only in this call, in the mail and (hashed) in the store.
 */
import { randomUUID } from 'node:crypto';
import { ownPortalUrl, type Config, type Tenant } from '../config/config.js';
import type { Person } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import type { Language } from '../i18n/translations.js';
import { parseMailAddress } from '../mail/address.js';
import { renderLinkMail } from '../mail/templates.js';
import type { LinkTokenStore } from '../state/portal.js';
import { auditEntryFor, authorizeTarget, passwordVersionBefore, recordFollowUp, type Admin, type ResetDeps, type TargetRef } from './reset-password.js';

export interface LinkMailDeps extends ResetDeps {
  readonly linkTokens: LinkTokenStore;
  /** PUBLIC_URL: the portal the link opens. */
  readonly publicUrl: string;
  readonly linkTtlHours: number;
}

export interface LinkMailResult {
  readonly status: 'link-mailed';
  readonly person: Person;
  readonly recipient: string;
  readonly messageId: string;
  readonly expiresAt: Date;
}

/** The link in the mail: the portal with the token (the page takes it out of the address bar). */
export function linkUrl(publicUrl: string, token: string): string {
  const url = new URL(ownPortalUrl(publicUrl, 'x'));
  url.search = '';
  url.searchParams.set('token', token);
  return url.toString();
}

export async function mailLink(admin: Admin, tenant: Tenant, target: TargetRef, address: string, language: Language, deps: LinkMailDeps): Promise<LinkMailResult> {
  const action = { admin, tenant, correlationId: randomUUID() };
  const recipient = parseMailAddress(address);
  const mail = { recipient, language };
  const { person, token, expiresAt, keyVersion } = await deps.directory.withConnection(async (directory) => {
    const found = await authorizeTarget(action, target, 'link-mail', directory, deps, mail);
    try {
      await deps.mailer.verify();
    } catch (error) {
      const failure = error instanceof AppError ? error : new AppError('MAIL_UNREACHABLE', { cause: error });
      await deps.audit.record(auditEntryFor(action, { action: 'link-mail', outcome: 'failed', errorCode: failure.code, detail: failure.detail ?? null, mail }));
      throw failure;
    }
    const version = await passwordVersionBefore(action, 'link-mail', found, directory, deps, mail);
    const ttlMinutes = deps.linkTtlHours * 60;
    const issued = await deps.linkTokens.issue(
      {
        accountGuid: found.guid,
        tenantKey: tenant.key,
        accountDn: found.dn,
        accountName: (found.displayName || found.sam).slice(0, 512),
        keyVersion: version.keyVersion,
        language,
        admin: { dn: admin.identity.dn, upn: admin.identity.upn },
      },
      ttlMinutes,
    );
    return { person: found, token: issued, expiresAt: new Date(Date.now() + ttlMinutes * 60_000), keyVersion: version.keyVersion };
  });

  const message = renderLinkMail({
    language,
    displayName: person.displayName,
    accountName: person.upn ?? person.sam,
    environmentName: tenant.name,
    link: linkUrl(deps.publicUrl, token),
    expiresAt,
  });
  let sent: { messageId: string; response: string };
  try {
    sent = await deps.mailer.send({ to: recipient, ...message });
  } catch (error) {
    const failure = error instanceof AppError ? error : new AppError('MAIL_SEND_FAILED', { cause: error });
    // Nothing was changed; a link nobody received must not work later.
    await deps.linkTokens.revoke(person.guid).catch((cause: unknown) => deps.log.error({ code: 'LINK_NOT_REVOKED', correlationId: action.correlationId, cause: String(cause) }, 'a link whose mail failed could not be revoked'));
    await deps.audit
      .record(auditEntryFor(action, { action: 'link-mail', outcome: 'failed', errorCode: failure.code, detail: failure.detail ?? null, mail }))
      .catch(() => deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId }, 'link mail failure not audited'));
    deps.log.warn({ code: failure.code, correlationId: action.correlationId }, 'link mail failed; nothing was changed');
    throw failure;
  }
  await deps.audit
    .record(auditEntryFor(action, { action: 'link-mail', outcome: 'success', mail: { ...mail, messageId: sent.messageId, smtpResponse: sent.response.slice(0, 200) } }))
    .catch(() => deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId }, 'link mail not audited'));
  deps.log.info({ code: 'LINK_MAILED', correlationId: action.correlationId, messageId: sent.messageId }, 'single-use link mailed');
  await recordFollowUp(action, person, deps, { keyVersion, expiresAt });
  return { status: 'link-mailed', person, recipient, messageId: sent.messageId, expiresAt };
}

/** Link mode's dependencies from the core; the config guarantees PUBLIC_URL wherever link mode is on. */
export function linkMailDeps(core: ResetDeps & { readonly linkTokens: LinkTokenStore; readonly config: Config }): LinkMailDeps {
  const { publicUrl, linkTtlHours } = core.config;
  if (publicUrl === undefined) throw new AppError('CONFIG_INVALID', { detail: 'PUBLIC_URL' });
  return { ...core, publicUrl, linkTtlHours };
}
