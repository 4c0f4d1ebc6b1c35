/**
 * The employee's half, password mode: they change the temporary password that this bot set for
 * them to one of their own, as plain functions (the HTTP layer is src/portal/routes.ts).
 *
 * The portal must never let anyone test a password. It serves only a person inside an
 * environment's base DN, not protected (the same rules as a reset), with a reset by this bot still
 * pending (state.pendingResets) and must-change still set (pwdLastSet = 0, read now). Everyone else
 * gets the same answer as a wrong current password, and for them the directory is asked nothing
 * but reads: no bind, no modify. The change itself is the directory's own (delete the old password,
 * add the new one) over the service connection; the directory checks the current password.
 *
 * Order: the form → the rate limit per client address → the rules that need no account (match,
 * length, common) → who it is, with the rate limit per account (or per name typed, when it names
 * none) → the rules that need the account (name) → the change.
 * Every refusal takes at least `failureMinMs`, so the answer time tells nothing either.
 */
import { z } from 'zod';
import type { AuditLog, AuditRecordInput } from '../audit/audit-log.js';
import type { Tenant } from '../config/config.js';
import type { Directory, DirectoryConnection, PasswordPolicy, Person } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import type { PendingResetStore } from '../state/chat.js';
import type { PortalAttempts } from '../state/portal.js';
import { checkNewPassword, checkNotName, nameParts } from './password-rules.js';

export interface PortalDeps {
  readonly directory: Directory;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly pendingResets: PendingResetStore;
  readonly attempts: PortalAttempts;
  readonly tenants: readonly Tenant[];
  /** Every refusal answers after at least this long. */
  readonly failureMinMs: number;
}

const visible = /^[^\u0000-\u001f\u007f]+$/;
/** A password as a form sends it: not empty, at most 256 characters (AD's limit). */
const passwordField = z.string().min(1).max(256);

export const changeInputSchema = z.object({
  login: z.string().trim().min(1).max(256).regex(visible),
  current: passwordField,
  next: passwordField,
  confirm: passwordField,
  /** The environment the link in the mail named; absent: every environment. */
  tenantKey: z.string().max(64).optional(),
  clientAddress: z.string().min(1).max(64),
});
export type ChangeInput = z.infer<typeof changeInputSchema>;

export interface ChangeResult {
  readonly accountName: string;
}

/** The environments a page serves: the one named, or all (an unknown name serves none). */
export function tenantsFor(tenants: readonly Tenant[], tenantKey: string | undefined): readonly Tenant[] {
  return tenantKey === undefined || tenantKey === '' ? tenants : tenants.filter((t) => t.key === tenantKey);
}

/** Reserves one attempt for the client address; throws PORTAL_RATE_LIMITED when its budget is spent. */
export async function reserveAddressAttempt(attempts: PortalAttempts, clientAddress: string): Promise<void> {
  const address = await attempts.byAddress.reserve([`address:${clientAddress}`]);
  if (!address.ok) throw new AppError('PORTAL_RATE_LIMITED');
}

/**
 * The user name's key: the account's objectGUID when the name found one (so that `jmus`, `sbf_jmus`,
 * `CORP\\sbf_jmus` and the UPN share one budget), else the name as typed.
 */
function nameKey(login: string, found: Person | undefined): string {
  return found ? `account:${found.guid}` : `name:${login.trim().toLowerCase()}`;
}

/** Runs `work`; a refusal is delayed until `minMs` have passed since the start. */
export async function withMinimumFailureTime<T>(minMs: number, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } catch (error) {
    const wait = minMs - (Date.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    throw error;
  }
}

/** The person the portal serves under this name, or null: the environment, protection, a pending reset and must-change all hold. */
async function servedPerson(login: string, tenants: readonly Tenant[], directory: DirectoryConnection, deps: PortalDeps): Promise<{ tenant: Tenant; person: Person } | { refused: string; tenant?: Tenant; person?: Person }> {
  for (const tenant of tenants) {
    const found = await directory.findPersonByLogin(tenant, login);
    if (!found) continue;
    await reserveName(deps.attempts, nameKey(login, found));
    let person: Person;
    try {
      person = await directory.assertResettable(tenant, found);
    } catch (error) {
      if (error instanceof AppError && error.code.startsWith('TARGET_')) return { refused: error.code, tenant, person: found };
      throw error;
    }
    const pending = await deps.pendingResets.get(person.guid);
    if (pending === null || pending.tenantKey !== tenant.key) return { refused: 'no reset by this bot pending', tenant, person };
    // A link pending (link mode) set no temporary password: the link is the way in, not this form.
    if (pending.link !== undefined) return { refused: 'a link is pending, not a temporary password', tenant, person };
    if (!person.status.mustChange) return { refused: 'the temporary password was already changed', tenant, person };
    return { tenant, person };
  }
  await reserveName(deps.attempts, nameKey(login, undefined));
  return { refused: 'no such account in the environments served' };
}

async function reserveName(attempts: PortalAttempts, key: string): Promise<void> {
  const reserved = await attempts.byName.reserve([key]);
  if (!reserved.ok) throw new AppError('PORTAL_RATE_LIMITED');
}

function entry(fields: { tenant?: Tenant | undefined; person?: Person | undefined; clientAddress: string }, rest: Pick<AuditRecordInput, 'action' | 'outcome'> & Partial<AuditRecordInput>): AuditRecordInput {
  const { tenant, person, clientAddress } = fields;
  return {
    environment: tenant?.key ?? null,
    admin: { dn: null, upn: null },
    ...(person ? { target: { dn: person.dn, sam: person.sam, guid: person.guid } } : {}),
    client: { address: clientAddress.slice(0, 64) },
    ...rest,
  };
}

/** Answers every account the portal does not serve, and every wrong current password, alike. */
const CREDENTIALS_INVALID = (): AppError => new AppError('PORTAL_CREDENTIALS_INVALID');

/**
 * Changes the password of the person `login` names from `current` (the temporary password) to
 * `next`. Throws an AppError whose sentence the page shows; PORTAL_CREDENTIALS_INVALID for anyone
 * it does not serve and for a wrong current password.
 */
export async function changePassword(raw: unknown, deps: PortalDeps): Promise<ChangeResult> {
  const parsed = changeInputSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('INPUT_INVALID');
  const input = parsed.data;
  return withMinimumFailureTime(deps.failureMinMs, async () => {
    await reserveAddressAttempt(deps.attempts, input.clientAddress);
    const tenants = tenantsFor(deps.tenants, input.tenantKey);
    return deps.directory.withConnection(async (directory) => {
      const domainPolicy: PasswordPolicy = await directory.passwordPolicy();
      checkNewPassword(input.next, input.confirm, domainPolicy);
      const served = await servedPerson(input.login, tenants, directory, deps);
      if ('refused' in served) {
        await deps.audit.record(entry({ ...served, clientAddress: input.clientAddress }, { action: 'portal-change', outcome: 'refused', errorCode: 'PORTAL_CREDENTIALS_INVALID', detail: served.refused }));
        deps.log.warn({ code: 'PORTAL_REFUSED', environment: served.tenant?.key ?? null, target: served.person?.dn ?? null }, 'portal change refused');
        throw CREDENTIALS_INVALID();
      }
      const { tenant, person } = served;
      const where = { tenant, person, clientAddress: input.clientAddress };
      try {
        checkNotName(input.next, nameParts({ sam: person.sam, displayName: person.displayName, samPrefix: tenant.samPrefix, upn: person.upn }));
        checkNewPassword(input.next, input.confirm, await directory.passwordPolicy(person));
        await directory.changePassword(tenant, person, input.current, input.next);
      } catch (error) {
        const failure = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
        const outcome = failure.code === 'DIRECTORY_OUTCOME_UNKNOWN' ? 'unknown' : failure.code.startsWith('PORTAL_') || failure.code.startsWith('PASSWORD_') || failure.code === 'DIRECTORY_POLICY_VIOLATION' ? 'refused' : 'failed';
        await deps.audit.record(entry(where, { action: 'portal-change', outcome, errorCode: failure.code, detail: failure.detail?.slice(0, 500) ?? null }));
        deps.log.warn({ code: failure.code, environment: tenant.key, target: person.dn }, 'portal change not done');
        throw failure;
      }
      await deps.audit.record(entry(where, { action: 'portal-change', outcome: 'success' })).catch((error: unknown) => {
        deps.log.error({ code: 'AUDIT_WRITE_FAILED', target: person.dn, cause: String(error) }, 'portal change done but not audited');
      });
      await deps.attempts.byName.clear([nameKey(input.login, person)]).catch(() => undefined);
      deps.log.info({ code: 'PORTAL_CHANGED', environment: tenant.key, target: person.dn }, 'the employee chose a new password');
      return { accountName: person.displayName };
    });
  });
}
