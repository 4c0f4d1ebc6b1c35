/**
 * Cards built for an acting admin: lists, employee cards and mail forms carry single-use
 * confirmations (src/auth/confirmations.ts); the mail outcome may keep a password for one showing.
 */
import type { ActingAdmin } from '../auth/acting-admin.js';
import { issueConfirmations } from '../auth/confirmations.js';
import type { AdminSession } from '../auth/session-store.js';
import type { Tenant } from '../config/config.js';
import type { Person } from '../directory/directory.js';
import type { RefusalMark } from '../directory/protection.js';
import { listEmployees, recentActionsBy, refusalMarks, type EmployeePage, type RecentAction } from '../employees/browse.js';
import { fill, type Language } from '../i18n/translations.js';
import { maskMailAddress } from '../mail/address.js';
import type { CheckResult } from '../reset/reconcile.js';
import type { LinkMailResult } from '../reset/mail-link.js';
import { ResetOutcomeUnknownError, type MailResult } from '../reset/reset-password.js';
import type { UnlockResult } from '../reset/unlock.js';
import type { Caller } from './caller.js';
import type { ListOrigin } from './card-actions.js';
import * as cards from './cards.js';
import { errorCard, tenantsForCaller, type BotDeps, type Card } from './context.js';
import { TEXTS } from './texts.js';

/** Help, its example in the pre-Windows form of the admin's environment (or the first their Teams tenant reaches). */
export async function helpFor(deps: BotDeps, caller: Caller, notice?: string): Promise<Card> {
  const reachable = tenantsForCaller(deps, caller);
  const session = await deps.sessions.get(caller.teamsTenantId, caller.aadObjectId).catch(() => null);
  const tenant = reachable.find((t) => t.key === session?.activeTenantKey) ?? reachable[0];
  return cards.helpCard(caller.language, { ...(notice ? { notice } : {}), ...(tenant?.samPrefix ? { samPrefix: tenant.samPrefix } : {}) });
}

/**
 * `env` and `env <name>` without a match: with one environment, which one they work in (no picker of
 * one); a name that is unknown or not theirs says so (the same words for both), then the choice.
 */
export function environmentCard(deps: BotDeps, caller: Caller, session: AdminSession, typed?: string): Card {
  const t = TEXTS[caller.language].environmentPicker;
  const mine = tenantsForCaller(deps, caller).filter((x) => session.tenantKeys.includes(x.key));
  const notYours = typed ? fill(t.notYours, { typed: typed.slice(0, 100) }) : undefined;
  const only = mine.length === 1 ? mine[0] : undefined;
  if (only) {
    const text = fill(t.onlyOne, { environment: only.name });
    return cards.messageCard(caller.language, { kind: notYours ? 'warning' : 'info', text: notYours ? `${notYours} ${text}` : text });
  }
  return pickerFor(deps, caller, session, notYours);
}

export function pickerFor(deps: BotDeps, caller: Caller, session: AdminSession, notice?: string): Card {
  const tenants = tenantsForCaller(deps, caller).filter((t) => session.tenantKeys.includes(t.key));
  return cards.environmentPickerCard(caller.language, {
    tenants: tenants.map((t) => ({ key: t.key, name: t.name })),
    ...(session.activeTenantKey ? { activeKey: session.activeTenantKey } : {}),
    ...(notice ? { notice } : {}),
  });
}

export async function listCard(deps: BotDeps, caller: Caller, a: ActingAdmin, page: EmployeePage, search?: string, note?: string): Promise<Card> {
  const [refusals, recent] = await Promise.all([refusalMarks(deps.core.people, a, page.people), recentActionsBy(deps.core.audit, a, page.people.map((p) => p.guid))]);
  // Confirmations only for the rows that get buttons: Reset and Mail password, or Unlock.
  const open = page.people.filter((p) => !refusals.has(p.guid));
  const locked = page.people.filter((p) => isUnlockable(p, refusals.get(p.guid)));
  const [nonces, unlockNonces] = await Promise.all([
    issueConfirmations(deps.nonces, caller, a, open.map((p) => p.guid), 'reset'),
    issueConfirmations(deps.nonces, caller, a, locked.map((p) => p.guid), 'unlock'),
  ]);
  const nonceOf = new Map(open.map((p, i) => [p.guid, nonces[i] as string]));
  const unlockNonceOf = new Map(locked.map((p, i) => [p.guid, unlockNonces[i] as string]));
  return cards.employeeListCard(caller.language, {
    environmentName: a.tenant.name,
    people: page.people.map((person) => {
      const mark = markOf(caller, recent.get(person.guid));
      const refusal = refusals.get(person.guid);
      const nonce = nonceOf.get(person.guid);
      const unlockNonce = unlockNonceOf.get(person.guid);
      return {
        person,
        ...(nonce ? { nonce } : {}),
        ...(unlockNonce ? { unlockNonce } : {}),
        ...(mark ? { mark } : {}),
        ...(refusal ? { refusal: refusalText(caller, refusal) } : {}),
      };
    }),
    origin: page.origin,
    ...(search ? { search } : {}),
    ...(page.previous ? { previous: page.previous } : {}),
    ...(page.next ? { next: page.next } : {}),
    pageNumber: page.pageNumber,
    mailMode: a.tenant.mailMode,
    ...(note ? { note } : {}),
    timeZone: caller.timeZone,
  });
}

/** The one-line reason, in plain words. */
function refusalText(caller: Caller, mark: RefusalMark): string {
  const t = TEXTS[caller.language].common.refusal;
  return mark === 'own' ? t.own : mark === 'protected' ? t.protected : t.neverExpires;
}

/** "reset by you at 10:42", "password mailed by you at 10:42 to jo…@…", "unlocked by you at 10:42". */
function markOf(caller: Caller, recent: RecentAction | undefined): string | undefined {
  if (!recent) return undefined;
  const t = TEXTS[caller.language].employeeList;
  const time = cards.formatTime(recent.at, caller.language, caller.timeZone);
  if (recent.action === 'mail') return fill(t.markMail, { time, recipient: maskMailAddress(recent.recipient ?? '') });
  return fill(recent.action === 'unlock' ? t.markUnlock : t.markReset, { time });
}

/**
 * The list page a row's button was pressed on, read again: that row marked, every row's buttons
 * fresh. `changed`: the employee as the action left them, shown over the list's copy, which
 * catches up with the directory only at its next read of changes.
 */
export async function listAgain(deps: BotDeps, caller: Caller, a: ActingAdmin, origin: ListOrigin, options: { note?: string; changed?: Person } = {}): Promise<Card> {
  const page = await listEmployees(deps.core, a, origin);
  const { changed } = options;
  const people = changed ? page.people.map((p) => (p.guid === changed.guid ? changed : p)) : page.people;
  return listCard(deps, caller, a, { ...page, people }, origin.search, options.note);
}

/** A locked-out account the bot may unlock: Unlock changes no password, so "never expires" is no reason not to offer it. */
function isUnlockable(person: Person, refusal: RefusalMark | undefined): boolean {
  return person.status.lockedOut && (refusal === undefined || refusal === 'never-expires');
}

/** The employee card with the account's status; a locked-out account gets Unlock (its own confirmation). */
export async function employeeCard(deps: BotDeps, caller: Caller, a: ActingAdmin, person: Person, notice?: string): Promise<Card> {
  const refusal = (await refusalMarks(deps.core.directory, a, [person])).get(person.guid);
  const unlockable = isUnlockable(person, refusal);
  const [nonce] = refusal ? [] : await issueConfirmations(deps.nonces, caller, a, [person.guid], 'reset');
  const [unlockNonce] = unlockable ? await issueConfirmations(deps.nonces, caller, a, [person.guid], 'unlock') : [];
  return cards.employeeCard(caller.language, {
    environmentName: a.tenant.name,
    person,
    ...(nonce ? { nonce } : {}),
    ...(unlockNonce ? { unlockNonce } : {}),
    ...(notice ? { notice } : {}),
    ...(refusal ? { refusal: refusalText(caller, refusal) } : {}),
    timeZone: caller.timeZone,
    mailMode: a.tenant.mailMode,
  });
}

/**
 * Unlock's answer: the employee card as it is now, saying what was done; pressed in a list, that
 * list page again (the row marked "unlocked by you at …", or a line when it was not locked).
 */
export function unlockedCard(deps: BotDeps, caller: Caller, a: ActingAdmin, result: UnlockResult, origin?: ListOrigin): Promise<Card> {
  const t = TEXTS[caller.language].unlock;
  const name = result.person.displayName;
  if (origin) return listAgain(deps, caller, a, origin, { changed: result.person, ...(result.status === 'unlocked' ? {} : { note: fill(t.notLocked, { name }) }) });
  const notice = result.status === 'unlocked' ? fill(t.done, { name, time: cards.formatTime(new Date(), caller.language, caller.timeZone) }) : fill(t.notLocked, { name });
  return employeeCard(deps, caller, a, result.person, notice);
}

export interface MailFormInput {
  readonly address?: string | undefined;
  /** null: the form was sent without a language, and comes back with that field marked. */
  readonly language?: Language | null | undefined;
  readonly error?: string;
  /** Kept when the form comes back for a corrected address. */
  readonly nonce?: string;
  /** The list page the form came from. */
  readonly origin?: ListOrigin | undefined;
}

export async function mailFormCard(deps: BotDeps, caller: Caller, a: ActingAdmin, person: Person, input: MailFormInput = {}): Promise<Card> {
  const nonce = input.nonce ?? (await issueConfirmations(deps.nonces, caller, a, [person.guid], 'mail'))[0];
  return cards.mailFormCard(caller.language, {
    environmentName: a.tenant.name,
    person,
    address: input.address ?? person.mail ?? '',
    language: input.language === undefined ? a.tenant.language : input.language,
    languageMissing: input.language === null,
    ...(input.origin ? { origin: input.origin } : {}),
    nonce: nonce as string,
    ...(input.error ? { error: input.error } : {}),
    mailMode: a.tenant.mailMode,
  });
}

/**
 * A typed name that matches nobody: what was typed, and how to search. A typo, not a failure: no
 * error reference, and logged at info.
 */
export function notFoundCard(deps: BotDeps, caller: Caller, a: ActingAdmin, typed: string): Card {
  deps.log.info({ code: 'DIRECTORY_USER_NOT_FOUND', environment: a.tenant.key, teamsUser: caller.aadObjectId }, 'no employee matches the typed name');
  const text = fill(TEXTS[caller.language].chat.notFound, { environment: a.tenant.name, typed: typed.slice(0, 100) });
  return cards.messageCard(caller.language, { kind: 'info', text });
}

/** `list N` past the end: the last page, saying how many there are. */
export async function listPageCard(deps: BotDeps, caller: Caller, a: ActingAdmin, page: EmployeePage, asked: number): Promise<Card> {
  const t = TEXTS[caller.language].chat;
  const past = asked > page.pageNumber && !page.next;
  const note = past ? fill(page.pageNumber === 1 ? t.pastLastPageOne : t.pastLastPage, { asked, pages: page.pageNumber, environment: a.tenant.name }) : undefined;
  return listCard(deps, caller, a, page, undefined, note);
}

export function environmentChosenCard(caller: Caller, tenant: Tenant): Card {
  return cards.messageCard(caller.language, { kind: 'info', text: fill(TEXTS[caller.language].chat.environmentChosen, { environment: tenant.name }) });
}

export async function mailOutcome(deps: BotDeps, caller: Caller, a: ActingAdmin, result: MailResult | LinkMailResult): Promise<Card> {
  const common = { person: result.person, maskedRecipient: maskMailAddress(result.recipient), at: new Date(), timeZone: caller.timeZone };
  if (result.status === 'link-mailed') return cards.linkOutcomeCard(caller.language, { ...common, expiresAt: result.expiresAt });
  if (result.status === 'mailed') return cards.mailOutcomeCard(caller.language, { ...common, noticeSent: result.noticeSent });
  // The mail failed after the reset: nothing keeps that password; Show password sets a fresh one.
  const [nonce] = await issueConfirmations(deps.nonces, caller, a, [result.person.guid], 'reveal');
  return cards.mailFailedCard(caller.language, { ...common, errorText: result.error.userMessage(caller.language), nonce: nonce as string });
}


/** A password change the directory did not confirm: Check again, never "failed". */
export function outcomeUnknownCard(caller: Caller, error: ResetOutcomeUnknownError): Card {
  return cards.resetStatusCard(caller.language, { kind: 'unknown', person: error.person, correlationId: error.correlationId });
}

/** What the admin sees when an action failed: an unconfirmed change keeps its Check again button. */
export function failureCard(deps: BotDeps, caller: Caller, error: unknown): Card {
  return error instanceof ResetOutcomeUnknownError ? outcomeUnknownCard(caller, error) : errorCard(deps, caller, error);
}

/**
 * A reset from a dialog whose outcome is unknown: the chat card becomes the one with Check again
 * (a dialog closes, the chat stays; the update does not delay the dialog), and the dialog says so.
 * Any other error is thrown on.
 */
export function unknownInDialog(deps: BotDeps, caller: Caller, error: unknown, replaceChatCard: (card: Card) => Promise<void>): Card {
  if (!(error instanceof ResetOutcomeUnknownError)) throw error;
  void replaceChatCard(outcomeUnknownCard(caller, error)).catch((cause: unknown) =>
    deps.log.warn({ code: 'CARD_UPDATE_FAILED', correlationId: error.correlationId, cause: String(cause) }, 'outcome unknown; the chat card was not updated'),
  );
  const t = TEXTS[caller.language].resetStatus;
  return cards.messageCard(caller.language, { kind: 'warning', text: `${fill(t.unknownBody, { name: error.person.displayName })} ${t.unknownInDialog}` });
}

/** Check again's answer. Once it is known, Reset again carries a fresh confirmation. */
export async function resetCheckCard(deps: BotDeps, caller: Caller, a: ActingAdmin, result: CheckResult): Promise<Card> {
  const lang = caller.language;
  if (result.status === 'pending') return cards.resetStatusCard(lang, { kind: 'pending', person: result.person, correlationId: result.correlationId });
  if (result.status === 'unchecked') {
    return cards.resetStatusCard(lang, { kind: 'unchecked', guid: result.guid, correlationId: result.correlationId, errorText: result.error.userMessage(lang) });
  }
  const [nonce] = await issueConfirmations(deps.nonces, caller, a, [result.person.guid], 'reset');
  return result.status === 'applied'
    ? cards.resetStatusCard(lang, { kind: 'applied', person: result.person, at: result.at, nonce: nonce as string, timeZone: caller.timeZone })
    : cards.resetStatusCard(lang, { kind: 'not-applied', person: result.person, nonce: nonce as string });
}
