/**
 * The admin behind a request: their live session and chosen environment, and the re-check every
 * action makes before it reads or changes anything (see admin-check.ts). A failed re-check ends
 * the session here, audited with its reason.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { Tenant } from '../config/config.js';
import type { Directory, DirectoryConnection } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import type { Admin } from '../reset/reset-password.js';
import { assertStillAdmin } from './admin-check.js';
import type { AdminSession, SessionStore } from './session-store.js';

/** Who asks: one Teams user of one Teams tenant. */
export interface Requester {
  readonly teamsTenantId: string;
  readonly aadObjectId: string;
}

/** A signed-in admin working in their chosen environment. */
export interface ActingAdmin {
  readonly session: AdminSession;
  readonly tenant: Tenant;
  readonly admin: Admin;
}

export async function sessionOf(sessions: SessionStore, who: Requester): Promise<AdminSession> {
  const session = await sessions.get(who.teamsTenantId, who.aadObjectId);
  if (!session) throw new AppError('SIGN_IN_REQUIRED');
  return session;
}

/** The session and its chosen environment, which must be one this Teams tenant still reaches. */
export async function actingAdmin(sessions: SessionStore, who: Requester, reachable: readonly Tenant[]): Promise<ActingAdmin> {
  const session = await sessionOf(sessions, who);
  const tenant = reachable.find((t) => t.key === session.activeTenantKey);
  if (!tenant || !session.tenantKeys.includes(tenant.key)) throw new AppError('ENVIRONMENT_REQUIRED');
  return { session, tenant, admin: { identity: session.admin, teamsId: who.aadObjectId, teamsTenantId: who.teamsTenantId } };
}

/** Runs `work` on one directory connection, after re-checking the admin on it. */
export function asAdmin<T>(directory: Directory, acting: Pick<ActingAdmin, 'session' | 'tenant'>, work: (connection: DirectoryConnection) => Promise<T>): Promise<T> {
  return directory.withConnection(async (connection) => {
    await assertStillAdmin(connection, acting.session.admin, acting.tenant);
    return work(connection);
  });
}

/** Switching environment re-checks the admin for the one chosen. */
export async function switchEnvironment(
  deps: { directory: Directory; sessions: SessionStore },
  who: Requester,
  session: AdminSession,
  tenant: Tenant,
): Promise<void> {
  await asAdmin(deps.directory, { session, tenant }, async () => undefined);
  await deps.sessions.setActiveTenant(who.teamsTenantId, who.aadObjectId, tenant.key);
}

/** The admin failed a re-check: the session ends and the audit says why. */
export async function endSession(deps: { sessions: SessionStore; audit: AuditLog; log: Logger }, who: Requester, error: AppError): Promise<void> {
  const session = await deps.sessions.get(who.teamsTenantId, who.aadObjectId).catch(() => null);
  await deps.sessions.end(who.teamsTenantId, who.aadObjectId);
  await deps.audit
    .record({
      environment: session?.activeTenantKey ?? null,
      admin: { dn: session?.admin.dn ?? null, upn: session?.admin.upn ?? null, teamsId: who.aadObjectId },
      action: 'sign-in',
      outcome: 'refused',
      errorCode: error.code,
      detail: error.detail ?? null,
    })
    .catch((auditError: unknown) => deps.log.error({ code: 'AUDIT_WRITE_FAILED', cause: String(auditError) }, 'session end not audited'));
  deps.log.warn({ code: error.code, reason: error.detail, admin: session?.admin.dn ?? null, teamsUser: who.aadObjectId }, 'admin session ended');
}
