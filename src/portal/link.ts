/**
 * The employee's half, link mode: with the single-use link from the mail they choose their own
 * password, which the service account then sets (a reset without a forced change: the directory
 * checks length and complexity, not history). The link works once, until it expires, and only
 * while the account's password is as it was when the link was sent: any reset since (by this bot
 * or anyone) raises msDS-KeyVersionNumber, and the link is refused.
 */
import { z } from 'zod';
import type { Tenant } from '../config/config.js';
import type { PasswordPolicy, Person } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import type { IssuedLink, LinkTokenStore } from '../state/portal.js';
import { reserveAddressAttempt, withMinimumFailureTime, type PortalDeps } from './change-password.js';
import { checkNewPassword, checkNotName, nameParts } from './password-rules.js';

export interface LinkDeps extends PortalDeps {
  readonly linkTokens: LinkTokenStore;
}

export const linkInputSchema = z.object({
  token: z.string().min(1).max(128),
  next: z.string().min(1).max(256),
  confirm: z.string().min(1).max(256),
  clientAddress: z.string().min(1).max(64),
});

export interface OpenLink {
  readonly link: IssuedLink;
  readonly tenant: Tenant;
  readonly policy: PasswordPolicy;
}

/** The link behind a token as the page shows it, with the rules for that account; null when it does not work (any more). */
export async function openLink(token: string, deps: LinkDeps): Promise<OpenLink | null> {
  const link = await deps.linkTokens.peek(token);
  const tenant = link && deps.tenants.find((t) => t.key === link.tenantKey);
  if (!link || !tenant) return null;
  return deps.directory.withConnection(async (directory) => {
    const person = await directory.findPersonByGuid(tenant, link.accountGuid);
    return { link, tenant, policy: await directory.passwordPolicy(person ?? undefined) };
  });
}

/** Sets the password chosen with the link. Throws PORTAL_LINK_INVALID for a link that does not work (any more). */
export async function setPasswordWithLink(raw: unknown, deps: LinkDeps): Promise<{ accountName: string }> {
  const parsed = linkInputSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('INPUT_INVALID');
  const input = parsed.data;
  return withMinimumFailureTime(deps.failureMinMs, async () => {
    await reserveAddressAttempt(deps.attempts, input.clientAddress);
    const opened = await openLink(input.token, deps);
    if (!opened) throw new AppError('PORTAL_LINK_INVALID');
    const { link, tenant, policy } = opened;
    // The rules that need nothing but the link are checked before the link is used up.
    checkNewPassword(input.next, input.confirm, policy);
    const use = await deps.linkTokens.consume(input.token);
    if (use.status !== 'ok') throw new AppError('PORTAL_LINK_INVALID');

    const audit = (person: Person | null, outcome: 'success' | 'refused' | 'failed' | 'unknown', error?: AppError) =>
      deps.audit.record({
        environment: tenant.key,
        admin: { dn: link.admin.dn, upn: link.admin.upn },
        target: { dn: person?.dn ?? link.accountDn, sam: person?.sam ?? null, guid: link.accountGuid },
        action: 'link-change',
        outcome,
        client: { address: input.clientAddress.slice(0, 64) },
        ...(error ? { errorCode: error.code, detail: error.detail?.slice(0, 500) ?? null } : {}),
      });

    let person: Person | null = null;
    let keepUsed = true;
    try {
      await deps.directory.withConnection(async (directory) => {
        const found = await directory.findPersonByGuid(tenant, link.accountGuid);
        if (!found) throw new AppError('PORTAL_LINK_INVALID', { detail: 'the account is no longer in the environment' });
        person = await directory.assertResettable(tenant, found);
        const version = await directory.passwordVersion(person.guid);
        if (!version || version.keyVersion !== link.keyVersion) throw new AppError('PORTAL_LINK_INVALID', { detail: 'the password was set since the link was sent' });
        keepUsed = false;
        checkNotName(input.next, nameParts({ sam: person.sam, displayName: person.displayName, samPrefix: tenant.samPrefix, upn: person.upn }));
        keepUsed = true;
        try {
          await directory.setChosenPassword(tenant, person, input.next);
        } catch (error) {
          // The directory refused this password (policy): nothing changed, the holder may try another.
          if (error instanceof AppError && (error.code.startsWith('PASSWORD_') || error.code === 'DIRECTORY_POLICY_VIOLATION')) keepUsed = false;
          throw error;
        }
      });
    } catch (error) {
      const failure = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
      if (!keepUsed) await deps.linkTokens.release(input.token);
      const outcome = failure.code === 'DIRECTORY_OUTCOME_UNKNOWN' ? 'unknown' : /^(PORTAL_|PASSWORD_|TARGET_)|DIRECTORY_POLICY_VIOLATION/.test(failure.code) ? 'refused' : 'failed';
      await audit(person, outcome, failure).catch(() => deps.log.error({ code: 'AUDIT_WRITE_FAILED', target: link.accountDn }, 'link use not audited'));
      deps.log.warn({ code: failure.code, environment: tenant.key, target: link.accountDn }, 'link: password not set');
      // A protected or vanished account reads as a link that does not work: nothing more to tell.
      throw failure.code.startsWith('TARGET_') ? new AppError('PORTAL_LINK_INVALID', { cause: failure }) : failure;
    }
    await audit(person, 'success').catch(() => deps.log.error({ code: 'AUDIT_WRITE_FAILED', target: link.accountDn }, 'link use done but not audited'));
    deps.log.info({ code: 'PORTAL_LINK_USED', environment: tenant.key, target: link.accountDn }, 'the employee chose a password with a link');
    return { accountName: link.accountName };
  });
}
