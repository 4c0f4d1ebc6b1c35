/**
 * Unlock without a reset: ends a lock-out (lockoutTime = 0), the employee's own password stays.
 * The same order and rules as a reset (reset-password.ts): authorize on one connection (the admin
 * re-checked, the target re-read and refused when protected or outside the environment), audit the
 * intent, one modify at once, audit the outcome. An account that is not locked is left alone.
 */
import { randomUUID } from 'node:crypto';
import type { Tenant } from '../config/config.js';
import type { Person } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import { authorize, entry, type Action, type Admin, type ResetDeps, type TargetRef } from './reset-password.js';

export type UnlockResult =
  | { readonly status: 'unlocked'; readonly person: Person }
  /** Not locked out (any more: a lock-out also ends by itself after the domain's duration): nothing changed. */
  | { readonly status: 'not-locked'; readonly person: Person };

/** The directory's failure as the admin reads it: no answer speaks of the unlock, not of a password. */
function unlockFailure(error: unknown): AppError {
  if (!(error instanceof AppError)) return new AppError('INTERNAL', { cause: error });
  return error.code === 'DIRECTORY_OUTCOME_UNKNOWN' ? new AppError('UNLOCK_OUTCOME_UNKNOWN', { cause: error, ...(error.detail === undefined ? {} : { detail: error.detail }) }) : error;
}

export async function unlockAccount(admin: Admin, tenant: Tenant, target: TargetRef, deps: Pick<ResetDeps, 'directory' | 'audit' | 'log'>): Promise<UnlockResult> {
  const action: Action = { admin, tenant, correlationId: randomUUID() };
  return deps.directory.withConnection(async (directory) => {
    const person = await authorize(action, target, 'unlock', directory, deps);
    if (!person.status.lockedOut) return { status: 'not-locked', person };
    // The audit must be writable before the directory changes.
    await deps.audit.record(entry(action, { action: 'unlock', outcome: 'intent' }));
    try {
      await directory.unlockAccount(tenant, person);
    } catch (error) {
      const failure = unlockFailure(error);
      const outcome = failure.code === 'UNLOCK_OUTCOME_UNKNOWN' ? 'unknown' : failure.code.startsWith('TARGET_') ? 'refused' : 'failed';
      await deps.audit.record(entry(action, { action: 'unlock', outcome, errorCode: failure.code, detail: failure.detail ?? null })).catch(() => {
        deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId }, 'unlock failure not audited (the intent is)');
      });
      deps.log.warn({ code: failure.code, correlationId: action.correlationId, target: person.dn }, 'unlock failed in the directory');
      throw failure;
    }
    await deps.audit.record(entry(action, { action: 'unlock', outcome: 'success' })).catch(() => {
      deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId }, 'unlock done but not audited');
    });
    deps.log.info({ code: 'UNLOCK_DONE', correlationId: action.correlationId, environment: tenant.key, target: person.dn }, 'account unlocked');
    return { status: 'unlocked', person: { ...person, status: { ...person.status, lockedOut: false, lockedSince: null } } };
  });
}
