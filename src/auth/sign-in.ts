/**
 * Sign-in as a use case: an admin of an environment this Teams tenant may reach proves who they
 * are with their own directory password.
 *
 * It must not become an oracle for anyone's password:
 * - the typed name is looked up only among the members (nesting included) of the admin groups of
 *   the environments the caller's Teams tenant may reach; for any other account nothing is bound,
 *   so its password is never tried and its bad-password count never moves;
 * - an attempt is reserved before the bind, in one step, against the Teams user and against the
 *   admin's objectGUID within this Teams tenant (see sign-in-limiter.ts);
 * - every failure (unknown name, not an admin, wrong password, disabled, locked, expired, a spent
 *   limit on the account) answers the same `AUTH_SIGN_IN_FAILED`, after the same minimum time; the
 *   audit keeps the real reason. Only a spent limit on the Teams user itself says so, since it
 *   does not depend on the name typed.
 * - what was typed as the name is never recorded unless it resolved to an admin account (people
 *   type passwords into user-name fields).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import type { Tenant } from '../config/config.js';
import type { AdminIdentity, Directory } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import { adminAccountKey, teamsUserKey, type SignInLimiter } from './sign-in-limiter.js';

export interface SignInDeps {
  readonly directory: Directory;
  readonly limiter: SignInLimiter;
  readonly audit: AuditLog;
  readonly log: Logger;
  /** Every failure answers after at least this many milliseconds from the start of the attempt. */
  readonly failureMinMs: number;
}

export interface SignInRequest {
  readonly teamsTenantId: string;
  readonly aadObjectId: string;
  readonly login: string;
  readonly password: string;
  /** The environments the caller's Teams tenant may reach. */
  readonly reachable: readonly Tenant[];
}

export interface SignedIn {
  readonly identity: AdminIdentity;
  /** The reachable environments whose admin group holds them; never empty. */
  readonly tenants: readonly Tenant[];
}

const loginSchema = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(/^[^\u0000-\u001f\u007f]+$/);
const passwordSchema = z.string().min(1).max(512);

export async function signIn(request: SignInRequest, deps: SignInDeps): Promise<SignedIn> {
  const started = performance.now();
  const login = loginSchema.safeParse(request.login);
  const password = passwordSchema.safeParse(request.password);
  // An empty field is a form error, not an attempt (and an empty password never reaches a bind).
  if (request.login.trim() === '' || request.password === '') throw new AppError('AUTH_EMPTY_PASSWORD');

  let identity: AdminIdentity | null = null;
  const fail = async (reason: string, code: 'AUTH_SIGN_IN_FAILED' | 'SIGN_IN_RATE_LIMITED' = 'AUTH_SIGN_IN_FAILED', limitSpent = code === 'SIGN_IN_RATE_LIMITED'): Promise<never> => {
    // Attempts refused by a spent limit are logged, not audited: they must not grow the audit without bound.
    if (!limitSpent) await deps.audit.record({
      environment: null,
      admin: { dn: identity?.dn ?? null, upn: identity?.upn ?? null, teamsId: request.aadObjectId },
      action: 'sign-in',
      outcome: 'refused',
      errorCode: code,
      detail: reason,
    });
    deps.log.info({ code, reason, teamsUser: request.aadObjectId, admin: identity?.dn ?? null }, 'sign-in refused');
    // The same answer after the same time, whatever the reason.
    const wait = deps.failureMinMs - (performance.now() - started);
    if (wait > 0) await sleep(wait);
    throw new AppError(code);
  };

  const teamsKey = teamsUserKey(request.teamsTenantId, request.aadObjectId);
  if (!login.success || !password.success) {
    const reservation = await deps.limiter.reserve([teamsKey]);
    return reservation.ok ? fail('malformed name or password') : fail('too many attempts from this Teams user', 'SIGN_IN_RATE_LIMITED');
  }

  identity = await deps.directory.findAdmin(login.data, request.reachable);
  const keys = identity ? [teamsKey, adminAccountKey(request.teamsTenantId, identity.guid)] : [teamsKey];
  const reservation = await deps.limiter.reserve(keys);
  if (!reservation.ok) {
    if (reservation.blocked.includes(teamsKey)) return fail('too many attempts from this Teams user', 'SIGN_IN_RATE_LIMITED');
    // The same answer as a wrong password (the name must not be told to be an admin's), not audited.
    return fail('too many attempts on this admin account from this Teams tenant', 'AUTH_SIGN_IN_FAILED', true);
  }
  if (!identity) {
    // Not bound: unknown, ambiguous, or not an admin of an environment this Teams tenant reaches.
    return fail('no admin of a reachable environment has that name');
  }

  try {
    await deps.directory.verifyPassword(identity.dn, password.data);
  } catch (error) {
    if (error instanceof AppError && error.code.startsWith('AUTH_')) return fail(error.code);
    throw error;
  }
  const tenants = await deps.directory.administeredTenants(identity.guid, request.reachable);
  if (tenants.length === 0) return fail('no longer an admin of a reachable environment');

  // The attempts are forgotten beside the audit's write, not before it: a clear that fails only
  // leaves them counted (stricter, never looser), so it is logged and the sign-in stands.
  const cleared = deps.limiter.clear(keys).catch((cause: unknown) => {
    deps.log.warn({ code: 'SIGN_IN_ATTEMPTS_NOT_CLEARED', admin: identity.dn, cause: String(cause) }, 'the attempts of a successful sign-in stay counted');
  });
  await deps.audit.record({
    environment: null,
    admin: { dn: identity.dn, upn: identity.upn, teamsId: request.aadObjectId },
    action: 'sign-in',
    outcome: 'success',
    errorCode: null,
  });
  await cleared;
  deps.log.info({ code: 'SIGNED_IN', admin: identity.dn, environments: tenants.map((t) => t.key) }, 'admin signed in');
  return { identity, tenants };
}
