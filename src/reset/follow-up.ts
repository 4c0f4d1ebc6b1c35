/**
 * What becomes of a temporary password after the admin handed it on. Every temporary password the
 * bot sets (password mode) is kept as a pending reset (src/state/chat.ts: the account, the admin,
 * when); this timed job looks at each one, on one instance at a time:
 *
 * - the account's `pwdLastSet` is no longer 0: the employee has chosen their own password (at the
 *   Password Change Portal or at a Windows sign-in) → audited `password-chosen`, the admin is told;
 * - still 0 after `tempPasswordMaxMinutes`: the temporary password was not used → replaced by a
 *   random one nobody knows, must-change kept (the same single modify as a reset, with an audited
 *   intent before it, so reconciliation covers a crash) → audited `expire`, the admin is told;
 * - link mode (a link to the portal was mailed, no password set): the key version rising past the
 *   one read at issue is the employee's choice → told as above; the link's expiry passing unused →
 *   the entry is dropped and the admin told (nothing to replace);
 * - the account is gone, has left the environment, or its environment is no longer configured →
 *   the entry is dropped (logged).
 *
 * An entry is settled only after what it led to is done: a crash repeats the step (a second
 * replacement of a password nobody knows changes nothing anyone sees) and the admin is told once,
 * by the call that settled it. A password the employee sets between the last read and the
 * replacement (milliseconds apart) would be replaced: the directory offers no compare-and-set on
 * pwdLastSet, so the read is made on the same connection just before the modify.
 */
import { randomUUID } from 'node:crypto';
import type { AuditLog, AuditRecordInput } from '../audit/audit-log.js';
import type { Tenant } from '../config/config.js';
import type { Directory, DirectoryConnection, PasswordVersion, Person } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import { generateTemporaryPassword, MAX_RANDOM_LENGTH } from '../passwords/generate.js';
import type { PendingReset, PendingResetStore } from '../state/chat.js';

/** The name of the timed job for `StateStore.runExclusive`. */
export const FOLLOW_UP_JOB = 'follow-up';

/** What the admin who reset a password is told. */
export type FollowUpEvent =
  | { readonly kind: 'chosen'; readonly reset: PendingReset }
  | { readonly kind: 'expired'; readonly reset: PendingReset; readonly afterMinutes: number }
  /** Link mode: the link was not used before it expired (nothing changed in the directory). */
  | { readonly kind: 'link-expired'; readonly reset: PendingReset };

export interface FollowUpDeps {
  readonly directory: Directory;
  readonly audit: AuditLog;
  readonly log: Logger;
  readonly pendingResets: PendingResetStore;
  readonly tenants: readonly Tenant[];
  /** A temporary password unused this long is replaced. */
  readonly tempPasswordMaxMinutes: number;
  /** Tells the admin; a failure is logged (the event is audited either way). */
  readonly tell: (event: FollowUpEvent) => Promise<void>;
  readonly clock?: () => Date;
}

export interface FollowUpSummary {
  readonly chosen: number;
  readonly expired: number;
  readonly dropped: number;
  readonly waiting: number;
}

function entry(reset: PendingReset, person: Pick<Person, 'dn' | 'sam' | 'guid'>, fields: Pick<AuditRecordInput, 'action' | 'outcome'> & Partial<AuditRecordInput>): AuditRecordInput {
  return {
    environment: reset.tenantKey,
    admin: { dn: reset.admin.dn, upn: null, teamsId: reset.admin.aadObjectId },
    target: { dn: person.dn, sam: person.sam, guid: person.guid },
    ...fields,
  };
}

/** Looks at every pending reset once. */
export async function followUpResets(deps: FollowUpDeps): Promise<FollowUpSummary> {
  const pending = await deps.pendingResets.list();
  const counts = { chosen: 0, expired: 0, dropped: 0, waiting: 0 };
  if (pending.length === 0) return counts;
  await deps.directory.withConnection(async (connection) => {
    for (const reset of pending) {
      try {
        counts[await followUp(reset, connection, deps)]++;
      } catch (error) {
        // One account's failure (a directory error) leaves it for the next round; the others go on.
        counts.waiting++;
        deps.log.warn({ code: error instanceof AppError ? error.code : 'INTERNAL', target: reset.accountGuid, cause: String(error) }, 'follow-up of a temporary password failed; tried again later');
      }
    }
  });
  return counts;
}

async function followUp(reset: PendingReset, connection: DirectoryConnection, deps: FollowUpDeps): Promise<keyof FollowUpSummary> {
  const now = (deps.clock ?? (() => new Date()))();
  const drop = async (why: string): Promise<'dropped'> => {
    if (await deps.pendingResets.settle(reset.accountGuid, reset.resetAt)) {
      deps.log.info({ code: 'FOLLOW_UP_DROPPED', target: reset.accountGuid, environment: reset.tenantKey, why }, 'temporary password no longer followed');
    }
    return 'dropped';
  };
  const tenant = deps.tenants.find((t) => t.key === reset.tenantKey);
  if (!tenant) return drop('environment no longer configured');
  const person = await connection.findPersonByGuid(tenant, reset.accountGuid);
  if (!person) return drop('account gone or outside the environment');
  const version = await connection.passwordVersion(person.guid);
  if (!version) return drop('account gone');

  if (reset.link) return followUpLink(reset, reset.link, person, version, now, deps);

  if (version.pwdLastSet !== '0') return chosen(reset, person, version, deps);

  const ageMinutes = (now.getTime() - Date.parse(reset.resetAt)) / 60_000;
  if (ageMinutes < deps.tempPasswordMaxMinutes) return 'waiting';

  // Not used in time: replaced by a password nobody knows, with the rules of any reset.
  let target: Person;
  try {
    target = await connection.assertResettable(tenant, person);
  } catch (error) {
    if (error instanceof AppError && error.code.startsWith('TARGET_')) return drop(`no longer resettable (${error.code})`);
    throw error;
  }
  // A newer reset of the account (by any instance) since the list was read is not this one's to replace.
  if ((await deps.pendingResets.get(reset.accountGuid))?.resetAt !== reset.resetAt) return 'waiting';
  const correlationId = randomUUID();
  await deps.audit.record(entry(reset, target, { action: 'expire', outcome: 'intent', correlationId, keyVersion: version.keyVersion, pwdLastSet: version.pwdLastSet }));
  const password = generateTemporaryPassword({ randomLength: MAX_RANDOM_LENGTH, forbidden: [] });
  try {
    await connection.setTemporaryPassword(tenant, target, password);
  } catch (error) {
    const failure = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
    // Unknown: the intent stays open and reconciliation settles it; the entry is tried again.
    if (failure.code !== 'DIRECTORY_OUTCOME_UNKNOWN') {
      await deps.audit.record(entry(reset, target, { action: 'expire', outcome: 'failed', correlationId, errorCode: failure.code }));
    }
    throw failure;
  }
  await deps.audit.record(entry(reset, target, { action: 'expire', outcome: 'success', correlationId, detail: `unused for ${Math.floor(ageMinutes)} minutes` }));
  deps.log.info({ code: 'TEMP_PASSWORD_EXPIRED', correlationId, environment: tenant.key, target: target.dn }, 'an unused temporary password was replaced');
  if (!(await deps.pendingResets.settle(reset.accountGuid, reset.resetAt))) return 'waiting';
  await tell(deps, { kind: 'expired', reset, afterMinutes: deps.tempPasswordMaxMinutes });
  return 'expired';
}

/** A mailed link: the key version rising means a password was set since (through the link or otherwise). */
async function followUpLink(
  reset: PendingReset,
  link: NonNullable<PendingReset['link']>,
  person: Person,
  version: PasswordVersion,
  now: Date,
  deps: FollowUpDeps,
): Promise<keyof FollowUpSummary> {
  if (version.keyVersion > link.keyVersion) return chosen(reset, person, version, deps);
  if (now.getTime() < Date.parse(link.expiresAt)) return 'waiting';
  if (!(await deps.pendingResets.settle(reset.accountGuid, reset.resetAt))) return 'waiting';
  deps.log.info({ code: 'LINK_EXPIRED_UNUSED', environment: reset.tenantKey, target: person.dn }, 'a mailed link expired unused');
  await tell(deps, { kind: 'link-expired', reset });
  return 'expired';
}

async function chosen(reset: PendingReset, person: Person, version: PasswordVersion, deps: FollowUpDeps): Promise<'chosen' | 'waiting'> {
  if (!(await deps.pendingResets.settle(reset.accountGuid, reset.resetAt))) return 'waiting';
  await deps.audit.record(entry(reset, person, { action: 'password-chosen', outcome: 'success', keyVersion: version.keyVersion, pwdLastSet: version.pwdLastSet }));
  deps.log.info({ code: 'PASSWORD_CHOSEN', environment: reset.tenantKey, target: person.dn }, 'the employee has chosen a new password');
  await tell(deps, { kind: 'chosen', reset });
  return 'chosen';
}

async function tell(deps: FollowUpDeps, event: FollowUpEvent): Promise<void> {
  await deps.tell(event).catch((error: unknown) => {
    deps.log.warn({ code: 'NOTIFY_FAILED', kind: event.kind, target: event.reset.accountGuid, cause: String(error) }, 'the admin could not be told');
  });
}
