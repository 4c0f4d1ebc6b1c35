/**
 * The re-check every action makes before it reads or changes anything: the signed-in admin is
 * still a member (nesting included) of the environment's admin group, enabled, not locked, not
 * expired, and their password has not changed since they signed in. Made on the connection that
 * then does the work. A failure ends the session (ADMIN_SESSION_ENDED, with the reason as detail
 * for the log and the audit; the admin reads only that they must sign in again).
 */
import type { Tenant } from '../config/config.js';
import type { AdminIdentity, DirectoryConnection } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';

export async function assertStillAdmin(directory: DirectoryConnection, admin: AdminIdentity, tenant: Tenant): Promise<void> {
  const account = await directory.adminAccount(admin.guid, tenant);
  const reason = !account
    ? 'no longer in the admin group'
    : account.disabled
      ? 'account disabled'
      : account.lockedOut
        ? 'account locked out'
        : account.accountExpired
          ? 'account expired'
          : account.passwordExpired
            ? 'password expired'
            : account.pwdLastSet !== admin.pwdLastSet
              ? 'password changed since sign-in'
              : null;
  if (reason) throw new AppError('ADMIN_SESSION_ENDED', { detail: reason });
}
