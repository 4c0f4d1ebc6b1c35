/**
 * Every directory change is audited, whatever happens: reconciliation settles the changes whose
 * outcome was never seen.
 *
 * An intent is recorded (with the target's msDS-KeyVersionNumber and pwdLastSet, read just before)
 * before every password change. When the process dies before the outcome is written, or the
 * directory takes the modify but never answers (the audit then says `unknown`), the intent stays
 * open. Reconciliation reads the account's version again by objectGUID: it rose since the intent →
 * `applied`, it did not → `not-applied`, recorded under the same correlation id. A password that
 * was applied this way was never shown to anyone; the account has "must change" set with it.
 *
 * - `reconcileOpenIntents`: every open intent older than the grace period; at start-up and on a
 *   timer (src/core.ts), through `StateStore.runExclusive(RECONCILE_JOB, …)`.
 * - `checkReset`: the admin's **Check again** for one correlation id.
 *
 * The grace period (2 × the LDAP timeout) leaves alone a change that may still be on its way.
 * Beyond it, a modify that a hung directory still holds could in principle land after the check
 * (the check can only see what the directory has applied when it answers).
 */
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';
import { assertStillAdmin } from '../auth/admin-check.js';
import type { Tenant } from '../config/config.js';
import type { Directory, DirectoryConnection, PasswordVersion, Person } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import type { Admin } from './reset-password.js';

/** The name of the timed job (and of the check) for `StateStore.runExclusive`. */
export const RECONCILE_JOB = 'reconcile';

export interface ReconcileDeps {
  readonly directory: Directory;
  readonly audit: AuditLog;
  readonly log: Logger;
  /** Intents younger than this are left alone: their change may still be on its way (2 × LDAP_TIMEOUT_MS). */
  readonly reconcileGraceMs: number;
  readonly clock?: () => Date;
}

export interface CheckDeps extends ReconcileDeps {
  /** `StateStore.runExclusive`: the check never runs beside the timed job, on any instance. */
  runExclusive<T>(job: string, work: () => Promise<T>): Promise<T | undefined>;
}

export interface ReconcileSummary {
  readonly applied: number;
  readonly notApplied: number;
  /** Left open: the account is gone, or the intent carries nothing to compare with. */
  readonly unresolved: number;
}

/** What Check again tells the admin. Never a password. */
export type CheckResult =
  /** The change was applied: `at` is when the password was set (directory's clock), if known. */
  | { readonly status: 'applied'; readonly person: Person; readonly at: Date | null }
  | { readonly status: 'not-applied'; readonly person: Person }
  /** Too early to tell, or another check is running: ask again in a moment. */
  | { readonly status: 'pending'; readonly person: Person; readonly correlationId: string }
  /** The directory could not be asked. */
  | { readonly status: 'unchecked'; readonly guid: string; readonly correlationId: string; readonly error: AppError };

const SETTLING: ReadonlySet<string> = new Set(['success', 'refused', 'failed', 'applied', 'not-applied']);
const APPLIED: ReadonlySet<string> = new Set(['success', 'applied']);
const CHANGING: ReadonlySet<string> = new Set(['reset', 'mail', 'expire']);
/** An account's entries within which Check again looks for its correlation id. */
const CHECK_HISTORY = 200;

const nowOf = (deps: ReconcileDeps) => (deps.clock ?? (() => new Date()))();

/** Applied or not, from the version recorded with the intent and the version now. Null: nothing to compare. */
function verdict(intent: AuditEntry, now: PasswordVersion): { applied: boolean; detail: string } | null {
  if (intent.keyVersion !== undefined) {
    const applied = now.keyVersion > intent.keyVersion;
    return {
      applied,
      detail: applied ? `msDS-KeyVersionNumber rose from ${intent.keyVersion} to ${now.keyVersion}` : `msDS-KeyVersionNumber still ${now.keyVersion}`,
    };
  }
  // An intent of an earlier version of the bot carries no version: the time of the last set decides.
  if (!now.passwordSetAt) return null;
  const intentSecond = Math.floor(Date.parse(intent.time) / 1000) * 1000;
  const applied = now.passwordSetAt.getTime() >= intentSecond;
  return { applied, detail: `no version with the intent: password last set ${now.passwordSetAt.toISOString()} (directory clock)` };
}

/**
 * Reads the account now and records `applied` or `not-applied` for the intent. Null (nothing
 * recorded, the intent stays open) when the account is gone or there is nothing to compare.
 */
async function settle(intent: AuditEntry, connection: DirectoryConnection, deps: ReconcileDeps): Promise<{ applied: boolean; at: Date | null } | null> {
  const guid = intent.target?.guid;
  const correlationId = intent.correlationId;
  if (!guid || !correlationId) return null;
  const now = await connection.passwordVersion(guid);
  if (!now) {
    deps.log.warn({ code: 'RECONCILE_ACCOUNT_GONE', correlationId, target: intent.target?.dn ?? null }, 'open intent: the account is no longer in the directory');
    return null;
  }
  const found = verdict(intent, now);
  if (!found) {
    deps.log.warn({ code: 'RECONCILE_NO_BASELINE', correlationId }, 'open intent: nothing to compare it with');
    return null;
  }
  await deps.audit.record({
    environment: intent.environment,
    admin: intent.admin,
    ...(intent.target ? { target: intent.target } : {}),
    action: 'reset',
    outcome: found.applied ? 'applied' : 'not-applied',
    correlationId,
    keyVersion: now.keyVersion,
    pwdLastSet: now.pwdLastSet,
    detail: `reconciled: ${found.detail}`,
  });
  deps.log.info(
    { code: found.applied ? 'RECONCILE_APPLIED' : 'RECONCILE_NOT_APPLIED', correlationId, target: intent.target?.dn ?? null },
    found.applied ? 'open intent: the password was changed (never shown)' : 'open intent: the password was not changed',
  );
  return { applied: found.applied, at: found.applied ? now.passwordSetAt : null };
}

/**
 * Settles every open intent older than the grace period (`AuditLog.openIntents`), on one
 * directory connection. A directory or audit failure stops the run (the next run tries again).
 * The caller runs it through `runExclusive(RECONCILE_JOB, …)`.
 */
export async function reconcileOpenIntents(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const intents = await deps.audit.openIntents(new Date(nowOf(deps).getTime() - deps.reconcileGraceMs));
  let applied = 0;
  let notApplied = 0;
  let unresolved = 0;
  if (intents.length > 0) {
    await deps.directory.withConnection(async (connection) => {
      for (const intent of intents) {
        const result = await settle(intent, connection, deps);
        if (!result) unresolved++;
        else if (result.applied) applied++;
        else notApplied++;
      }
    });
  }
  return { applied, notApplied, unresolved };
}

/** The entries of one action about one account, newest first. */
async function entriesOf(deps: ReconcileDeps, tenant: Tenant, person: Person, correlationId: string): Promise<AuditEntry[]> {
  const entries = await deps.audit.recent({ environment: tenant.key, targetSam: person.sam, limit: CHECK_HISTORY });
  return entries.filter((e) => e.correlationId === correlationId);
}

/** What a settled action tells: when applied, the time of the set if no other set came since. */
async function fromSettled(settled: AuditEntry, person: Person, connection: DirectoryConnection): Promise<CheckResult> {
  if (!APPLIED.has(settled.outcome)) return { status: 'not-applied', person };
  const now = await connection.passwordVersion(person.guid);
  const same = now !== null && settled.keyVersion !== undefined && now.keyVersion === settled.keyVersion;
  return { status: 'applied', person, at: same ? now.passwordSetAt : null };
}

/**
 * Check again: what became of the admin's own password change `correlationId` on employee `guid`
 * (both from the card, so untrusted): the admin is re-checked, the employee must be in the
 * environment, and the intent must be that admin's, about that employee. Settles the intent now
 * when it is open and older than the grace period. Changes nothing in the directory.
 */
export async function checkReset(admin: Admin, tenant: Tenant, ref: { guid: string; correlationId: string }, deps: CheckDeps): Promise<CheckResult> {
  try {
    return await deps.directory.withConnection(async (connection) => {
      await assertStillAdmin(connection, admin.identity, tenant);
      const person = await connection.findPersonByGuid(tenant, ref.guid);
      if (!person) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
      const entries = await entriesOf(deps, tenant, person, ref.correlationId);
      const intent = entries.find((e) => e.outcome === 'intent' && CHANGING.has(e.action));
      if (!intent || intent.target?.guid !== person.guid || intent.admin.dn !== admin.identity.dn) throw new AppError('CARD_NOT_VALID');
      const pending: CheckResult = { status: 'pending', person, correlationId: ref.correlationId };
      const settled = entries.find((e) => SETTLING.has(e.outcome));
      if (settled) return fromSettled(settled, person, connection);
      if (nowOf(deps).getTime() - Date.parse(intent.time) < deps.reconcileGraceMs) return pending;
      const result = await deps.runExclusive(RECONCILE_JOB, async (): Promise<CheckResult> => {
        // The timed job may have settled it meanwhile.
        const again = (await entriesOf(deps, tenant, person, ref.correlationId)).find((e) => SETTLING.has(e.outcome));
        if (again) return fromSettled(again, person, connection);
        const done = await settle(intent, connection, deps);
        if (!done) return pending;
        return done.applied ? { status: 'applied', person, at: done.at } : { status: 'not-applied', person };
      });
      return result ?? pending;
    });
  } catch (error) {
    // The directory cannot be asked: say so, and keep the button.
    if (error instanceof AppError && /^DIRECTORY_(UNREACHABLE|ERROR|TLS_FAILED)$/.test(error.code)) {
      deps.log.warn({ code: error.code, correlationId: ref.correlationId }, 'check again: the directory could not be asked');
      return { status: 'unchecked', guid: ref.guid, correlationId: ref.correlationId, error };
    }
    throw error;
  }
}
