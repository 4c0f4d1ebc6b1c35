/**
 * The two things an admin does to an employee's password, as plain functions:
 *   resetPassword: set a temporary password and hand it to the admin;
 *   mailPassword:  set one and mail it to the employee (or another address).
 * The order never changes: authorize (the admin re-checked, the target re-read and checked) →
 * (mail: check the mail server) → read the password's version and audit the intent → reset in the
 * directory at once → send → audit the outcome. Everything up to the reset runs on one directory
 * connection. The audit must be writable before the directory changes; nothing may wait between
 * the intent and the modify, or reconciliation could settle a change still on its way.
 *
 * The intent records the target's password version (msDS-KeyVersionNumber, pwdLastSet), read on
 * that connection just before. A modify sent without an answer is neither success nor failure:
 * the audit records `unknown`, the caller gets ResetOutcomeUnknownError (no password: nobody sees
 * it), and reconciliation (reconcile.ts) compares the version to record `applied` or `not-applied`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Tenant } from '../config/config.js';
import type { AuditLog, AuditRecordInput } from '../audit/audit-log.js';
import { assertStillAdmin } from '../auth/admin-check.js';
import type { AdminIdentity, Directory, DirectoryConnection, PasswordVersion, Person } from '../directory/directory.js';
import { AppError } from '../errors/catalog.js';
import type { Language } from '../i18n/translations.js';
import type { Logger } from '../log/logger.js';
import { maskMailAddress, parseMailAddress } from '../mail/address.js';
import type { Mailer } from '../mail/mailer.js';
import { renderPasswordMail, renderResetNoticeMail } from '../mail/templates.js';
import { forbiddenPartsFor, generateTemporaryPassword } from '../passwords/generate.js';
import type { PendingResetStore } from '../state/chat.js';

export interface ResetDeps {
  readonly directory: Directory;
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly log: Logger;
  /** Random characters in a temporary password. */
  readonly passwordLength: number;
  /** Where each temporary password set is followed until the employee replaces it (follow-up.ts). */
  readonly pendingResets: PendingResetStore;
}

export interface Admin {
  readonly identity: AdminIdentity;
  /** The Teams user (aadObjectId), when the action came from Teams. */
  readonly teamsId?: string | null;
  /** Their Teams tenant: with `teamsId`, whom the follow-up of a temporary password tells. */
  readonly teamsTenantId?: string | null;
}

/** Which employee: by objectGUID (from a card) or by what the admin typed. */
export type TargetRef = { readonly guid: string } | { readonly reference: string };

export interface ResetResult {
  readonly person: Person;
  readonly password: string;
  /** The outcome's audit entry, written without delaying the result; never rejects (a failure is logged). */
  readonly audited: Promise<void>;
}

export type MailResult =
  | {
      readonly status: 'mailed';
      readonly person: Person;
      readonly recipient: string;
      readonly messageId: string;
      /** A notice (without the password) went to the employee's own mail. */
      readonly noticeSent: boolean;
    }
  | {
      /**
       * The password was reset but the mail failed. Nobody has seen that password and nothing keeps
       * it: the admin sets a fresh one with `resetPassword(…, { replacesFailedMail: true })`.
       */
      readonly status: 'reset-mail-failed';
      readonly person: Person;
      readonly recipient: string;
      readonly error: AppError;
    };

/**
 * The password change was sent to the directory but no answer came: it may or may not have been
 * applied. The audit holds `unknown` under `correlationId`; `checkReset` (reconcile.ts) finds out.
 * The password that was tried is gone: nobody has seen it.
 */
export class ResetOutcomeUnknownError extends AppError {
  constructor(
    readonly person: Person,
    readonly correlationId: string,
    cause: unknown,
  ) {
    super('DIRECTORY_OUTCOME_UNKNOWN', { cause });
  }
}

/**
 * Between a caller that cannot wait for ever (a Teams dialog must be answered within seconds) and
 * the reset it waits for. Both sides move it synchronously, so exactly one of them decides:
 * - the caller gives up before the change began: the reset stops there, nothing changes;
 * - the caller gives up once the change began: it tells the admin the outcome is being checked,
 *   and the reset, when the directory answers, records `applied` (set, never shown), not `success`;
 * - the change finished first: the caller shows the password.
 */
export class ResetWatch {
  private state: 'waiting' | 'changing' | 'done' | 'gave-up-before' | 'gave-up-changing' = 'waiting';
  private changing: { person: Person; correlationId: string } | undefined;

  /** The caller stops waiting: what the reset had reached by then. */
  giveUp(): { phase: 'before' } | { phase: 'changing'; person: Person; correlationId: string } | { phase: 'done' } {
    if (this.state === 'waiting') {
      this.state = 'gave-up-before';
      return { phase: 'before' };
    }
    if (this.state === 'changing' && this.changing) {
      this.state = 'gave-up-changing';
      return { phase: 'changing', ...this.changing };
    }
    return { phase: 'done' };
  }

  /** The reset is about to record its intent: false when the caller no longer waits. */
  begin(person: Person, correlationId: string): boolean {
    if (this.state !== 'waiting') return false;
    this.state = 'changing';
    this.changing = { person, correlationId };
    return true;
  }

  /** The directory confirmed the change: true when the caller still waits to show it. */
  finish(): boolean {
    if (this.state !== 'changing') return false;
    this.state = 'done';
    return true;
  }
}

/** What an admin may type to name an employee: one line of visible text. */
export const referenceSchema = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(/^[^\u0000-\u001f\u007f]+$/);

/** One action on one account: the admin, the environment, the audit's correlation id, the target once known. */
export interface Action {
  readonly admin: Admin;
  readonly tenant: Tenant;
  readonly correlationId: string;
  person?: Person;
  reference?: string;
}

export function entry(action: Action, fields: Omit<AuditRecordInput, 'environment' | 'admin' | 'target' | 'correlationId'>): AuditRecordInput {
  const { person } = action;
  return {
    environment: action.tenant.key,
    admin: { dn: action.admin.identity.dn, upn: action.admin.identity.upn, teamsId: action.admin.teamsId ?? null },
    target: {
      dn: person?.dn ?? null,
      sam: person?.sam ?? null,
      guid: person?.guid ?? null,
      ...(action.reference !== undefined ? { reference: action.reference.slice(0, 256) } : {}),
    },
    correlationId: action.correlationId,
    ...fields,
  };
}

async function findTarget(action: Action, target: TargetRef, directory: DirectoryConnection): Promise<Person> {
  if ('guid' in target) {
    const person = await directory.findPersonByGuid(action.tenant, target.guid);
    // Not found inside this environment: another environment's account, or none at all.
    if (!person) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
    return person;
  }
  action.reference = target.reference;
  const reference = referenceSchema.safeParse(target.reference);
  if (!reference.success) throw new AppError('INPUT_INVALID');
  const people = await directory.resolvePeople(action.tenant, reference.data);
  if (people.length === 0) throw new AppError('DIRECTORY_USER_NOT_FOUND');
  if (people.length > 1) throw new AppError('DIRECTORY_USER_AMBIGUOUS');
  return people[0] as Person;
}

type ChangeAction = 'reset' | 'mail' | 'unlock' | 'link-mail';

/** Admin still holds the environment, target is inside it and resettable (or unlockable). Refusals are audited. */
export async function authorize(
  action: Action,
  target: TargetRef,
  auditAction: ChangeAction,
  directory: DirectoryConnection,
  deps: Pick<ResetDeps, 'audit' | 'log'>,
  mail?: { recipient: string; language: Language },
) {
  try {
    await assertStillAdmin(directory, action.admin.identity, action.tenant);
    const purpose = auditAction === 'unlock' ? 'unlock' : 'reset';
    // Known before it is checked, so that a refusal names whom it refused.
    action.person = await findTarget(action, target, directory);
    action.person = await directory.assertResettable(action.tenant, action.person, purpose);
  } catch (error) {
    const refusal = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
    await recordRefusal(action, auditAction, refusal, deps, mail);
    throw refusal;
  }
  return action.person;
}

/** A refusal is the product saying no; anything else is a failure to answer. */
function isRefusal(error: AppError): boolean {
  return /^(AUTH_|TARGET_|INPUT_|ADMIN_)/.test(error.code) || error.code === 'DIRECTORY_USER_NOT_FOUND' || error.code === 'DIRECTORY_USER_AMBIGUOUS';
}

async function recordRefusal(action: Action, auditAction: ChangeAction, refusal: AppError, deps: Pick<ResetDeps, 'audit' | 'log'>, mail?: { recipient: string; language: Language }) {
  const outcome = isRefusal(refusal) ? 'refused' : 'failed';
  try {
    await deps.audit.record(
      entry(action, { action: auditAction, outcome, errorCode: refusal.code, detail: refusal.detail ?? null, ...(mail ? { mail } : {}) }),
    );
  } catch (auditError) {
    deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId }, 'refusal could not be audited');
    throw auditError;
  }
  deps.log.warn({ code: refusal.code, correlationId: action.correlationId, environment: action.tenant.key, admin: action.admin.identity.dn, target: action.person?.dn ?? null }, `${auditAction} refused`);
}

/** The target's password version, for the intent entry; a failure here is audited and nothing changes. */
async function versionBefore(action: Action, auditAction: ChangeAction, person: Person, directory: DirectoryConnection, deps: ResetDeps, mail?: { recipient: string; language: Language }) {
  let version: PasswordVersion | null;
  try {
    version = await directory.passwordVersion(person.guid);
  } catch (error) {
    const failure = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
    await recordRefusal(action, auditAction, failure, deps, mail);
    throw failure;
  }
  if (!version) {
    const gone = new AppError('TARGET_OUTSIDE_ENVIRONMENT');
    await recordRefusal(action, auditAction, gone, deps, mail);
    throw gone;
  }
  return { keyVersion: version.keyVersion, pwdLastSet: version.pwdLastSet };
}

function newPassword(person: Person, deps: ResetDeps): string {
  return generateTemporaryPassword({
    randomLength: deps.passwordLength,
    forbidden: forbiddenPartsFor(person.sam, person.displayName),
  });
}

/**
 * Sets the password in the directory; a failure there is audited and nothing else happens. The
 * outcome entry of a change is written without waiting for it (the caller answers at once); its
 * failure is logged, and reconciliation settles the intent from the directory.
 */
async function setInDirectory(
  action: Action,
  person: Person,
  password: string,
  directory: DirectoryConnection,
  deps: ResetDeps,
  watch?: ResetWatch,
): Promise<{ shown: boolean; audited: Promise<void> }> {
  try {
    await directory.setTemporaryPassword(action.tenant, person, password);
  } catch (error) {
    const failure = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
    if (failure.code === 'DIRECTORY_OUTCOME_UNKNOWN') {
      // Sent, unanswered: maybe applied. Never "failed"; the intent stays open for reconciliation.
      await deps.audit.record(entry(action, { action: 'reset', outcome: 'unknown', errorCode: failure.code })).catch((auditError: unknown) => {
        deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId, cause: String(auditError) }, 'unknown reset outcome not audited (the intent is)');
      });
      deps.log.warn({ code: failure.code, correlationId: action.correlationId, target: person.dn }, 'the directory did not answer the password change: outcome unknown');
      throw new ResetOutcomeUnknownError(person, action.correlationId, failure.cause);
    }
    const outcome = failure.code.startsWith('TARGET_') ? 'refused' : 'failed';
    await deps.audit.record(entry(action, { action: 'reset', outcome, errorCode: failure.code, detail: failure.detail ?? null }));
    deps.log.warn({ code: failure.code, correlationId: action.correlationId, target: person.dn }, 'reset failed in the directory');
    throw failure;
  }
  // The directory has changed. Nobody waits for the audit: a failure to write it must not lose the
  // password, so it is logged, not thrown. A change the caller gave up on was never shown.
  const shown = watch ? watch.finish() : true;
  const outcome = shown
    ? entry(action, { action: 'reset', outcome: 'success' })
    : entry(action, { action: 'reset', outcome: 'applied', detail: 'set after the admin was told the outcome was being checked: never shown' });
  const audited = deps.audit.record(outcome).then(
    () => undefined,
    (error: unknown) => {
      deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId, cause: String(error) }, 'reset done but not audited');
    },
  );
  deps.log.info({ code: shown ? 'RESET_DONE' : 'RESET_DONE_UNSEEN', correlationId: action.correlationId, environment: action.tenant.key, target: person.dn }, 'temporary password set');
  // The follow-up of the temporary password is recorded the same way.
  const followed = recordFollowUp(action, person, deps);
  return { shown, audited: Promise.all([audited, followed]).then(() => undefined) };
}

/**
 * From now on the follow-up job (follow-up.ts) watches this temporary password, or with `link` the
 * link mailed instead, to tell the admin what became of it. A failure here loses nothing: logged.
 */
export async function recordFollowUp(
  action: { readonly admin: Admin; readonly tenant: Tenant; readonly correlationId: string },
  person: Person,
  deps: Pick<ResetDeps, 'pendingResets' | 'log'>,
  link?: { readonly keyVersion: number; readonly expiresAt: Date },
): Promise<void> {
  const { teamsId, teamsTenantId, identity } = action.admin;
  if (!teamsId || !teamsTenantId) return;
  await deps.pendingResets
    .put({
      accountGuid: person.guid,
      tenantKey: action.tenant.key,
      accountName: (person.displayName || person.sam).slice(0, 512),
      admin: { teamsTenantId, aadObjectId: teamsId, dn: identity.dn, sam: identity.sam },
      resetAt: new Date().toISOString(),
      ...(link ? { link: { keyVersion: link.keyVersion, expiresAt: link.expiresAt.toISOString() } } : {}),
    })
    .catch((error: unknown) => {
      deps.log.error({ code: 'FOLLOW_UP_NOT_RECORDED', correlationId: action.correlationId, cause: String(error) }, 'done; its follow-up was not recorded');
    });
}

/**
 * Resets and returns the temporary password, for the admin to pass on (shown in a dialog only).
 * `replacesFailedMail`: the reset that follows a mail that failed after its reset; the audit says so.
 */
export async function resetPassword(
  admin: Admin,
  tenant: Tenant,
  target: TargetRef,
  deps: ResetDeps,
  options: { replacesFailedMail?: boolean; watch?: ResetWatch } = {},
): Promise<ResetResult> {
  const action: Action = { admin, tenant, correlationId: randomUUID() };
  const { watch } = options;
  return deps.directory.withConnection(async (directory) => {
    const person = await authorize(action, target, 'reset', directory, deps);
    const version = await versionBefore(action, 'reset', person, directory, deps);
    if (watch && !watch.begin(person, action.correlationId)) {
      const slow = new AppError('DIRECTORY_TOO_SLOW');
      await recordRefusal(action, 'reset', slow, deps);
      throw slow;
    }
    const note = options.replacesFailedMail ? { detail: 'replaces a password whose mail failed (never seen by anyone)' } : {};
    await deps.audit.record(entry(action, { action: 'reset', outcome: 'intent', ...version, ...note }));
    const password = newPassword(person, deps);
    const { shown, audited } = await setInDirectory(action, person, password, directory, deps, watch);
    // The caller gave up meanwhile: a password nobody will see goes no further than the directory.
    if (!shown) throw new AppError('DIRECTORY_TOO_SLOW');
    return { person, password, audited };
  });
}

/** Resets and mails the temporary password; when the mail fails after the reset, hands it back. */
export async function mailPassword(
  admin: Admin,
  tenant: Tenant,
  target: TargetRef,
  address: string,
  language: Language,
  deps: ResetDeps,
): Promise<MailResult> {
  const action: Action = { admin, tenant, correlationId: randomUUID() };
  // A bad address changes nothing and is not an attempt on the account.
  const recipient = parseMailAddress(address);
  const mail = { recipient, language };
  const { person, password } = await deps.directory.withConnection(async (directory) => {
    const found = await authorize(action, target, 'mail', directory, deps, mail);
    // The mail server is asked before the intent: between the intent and the modify nothing may wait.
    try {
      await deps.mailer.verify();
    } catch (error) {
      const failure = error instanceof AppError ? error : new AppError('MAIL_UNREACHABLE', { cause: error });
      await deps.audit.record(entry(action, { action: 'mail', outcome: 'failed', errorCode: failure.code, detail: failure.detail ?? null, mail }));
      deps.log.warn({ code: failure.code, correlationId: action.correlationId }, 'mail server not ready: nothing reset');
      throw failure;
    }
    const version = await versionBefore(action, 'mail', found, directory, deps, mail);
    await deps.audit.record(entry(action, { action: 'mail', outcome: 'intent', mail, ...version }));
    const temporary = newPassword(found, deps);
    // The mail waits for the reset's outcome entry, so that the mail's entries follow it.
    await (await setInDirectory(action, found, temporary, directory, deps)).audited;
    return { person: found, password: temporary };
  });

  const message = renderPasswordMail({
    language,
    displayName: person.displayName,
    accountName: person.upn ?? person.sam,
    password,
    environmentName: tenant.name,
    changePortalUrl: tenant.changePortalUrl,
  });
  let sent: { messageId: string; response: string };
  try {
    sent = await deps.mailer.send({ to: recipient, ...message });
  } catch (error) {
    const failure = error instanceof AppError ? error : new AppError('MAIL_SEND_FAILED', { cause: error });
    await deps.audit
      .record(entry(action, { action: 'mail', outcome: 'failed', errorCode: failure.code, detail: failure.detail ?? null, mail }))
      .catch(() => deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId }, 'mail failure not audited'));
    deps.log.warn({ code: failure.code, correlationId: action.correlationId }, 'password reset but the mail failed');
    return { status: 'reset-mail-failed', person, recipient, error: failure };
  }
  await deps.audit
    .record(entry(action, { action: 'mail', outcome: 'success', mail: { ...mail, messageId: sent.messageId, smtpResponse: sent.response.slice(0, 200) } }))
    .catch(() => deps.log.error({ code: 'AUDIT_WRITE_FAILED', correlationId: action.correlationId }, 'mail not audited'));
  deps.log.info({ code: 'MAIL_SENT', correlationId: action.correlationId, messageId: sent.messageId }, 'temporary password mailed');

  const noticeSent = await sendNotice(action, person, recipient, language, deps);
  return { status: 'mailed', person, recipient, messageId: sent.messageId, noticeSent };
}

/** When the password went elsewhere, the employee's own mailbox hears that it was reset (no password). */
async function sendNotice(action: Action, person: Person, recipient: string, language: Language, deps: ResetDeps): Promise<boolean> {
  if (!person.mail || person.mail.toLowerCase() === recipient.toLowerCase()) return false;
  let own: string;
  try {
    own = parseMailAddress(person.mail);
  } catch {
    return false;
  }
  const mail = { recipient: own, language };
  try {
    const notice = renderResetNoticeMail({
      language,
      displayName: person.displayName,
      environmentName: action.tenant.name,
      maskedRecipient: maskMailAddress(recipient),
    });
    const sent = await deps.mailer.send({ to: own, ...notice });
    await deps.audit.record(entry(action, { action: 'notice-mail', outcome: 'success', mail: { ...mail, messageId: sent.messageId, smtpResponse: sent.response.slice(0, 200) } }));
    return true;
  } catch (error) {
    const failure = error instanceof AppError ? error : new AppError('MAIL_SEND_FAILED', { cause: error });
    await deps.audit
      .record(entry(action, { action: 'notice-mail', outcome: 'failed', errorCode: failure.code, mail }))
      .catch(() => undefined);
    deps.log.warn({ code: failure.code, correlationId: action.correlationId }, 'notice mail failed');
    return false;
  }
}

/** For the other use cases on an employee (src/reset/mail-link.ts): the same checks and audit entries. */
export { authorize as authorizeTarget, entry as auditEntryFor, versionBefore as passwordVersionBefore };
