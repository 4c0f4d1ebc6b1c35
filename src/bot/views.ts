/**
 * Cards built for an acting admin: lists, employee cards and mail forms carry single-use
 * confirmations (src/auth/confirmations.ts); the mail outcome may keep a password for one showing.
 */
import type { ActingAdmin } from '../auth/acting-admin.js';
import { issueConfirmations } from '../auth/confirmations.js';
import type { AdminSession } from '../auth/session-store.js';
import type { Tenant } from '../config/config.js';
import type { Person } from '../directory/directory.js';
import type { EmployeePage } from '../employees/browse.js';
import { fill, type Language } from '../i18n/translations.js';
import { maskMailAddress } from '../mail/address.js';
import type { CheckResult } from '../reset/reconcile.js';
import { ResetOutcomeUnknownError, type MailResult } from '../reset/reset-password.js';
import type { Caller } from './caller.js';
import * as cards from './cards.js';
import { errorCard, tenantsForCaller, type BotDeps, type Card } from './context.js';
import { TEXTS } from './texts.js';

export function pickerFor(deps: BotDeps, caller: Caller, session: AdminSession): Card {
  const tenants = tenantsForCaller(deps, caller).filter((t) => session.tenantKeys.includes(t.key));
  return cards.environmentPickerCard(caller.language, {
    tenants: tenants.map((t) => ({ key: t.key, name: t.name })),
    ...(session.activeTenantKey ? { activeKey: session.activeTenantKey } : {}),
  });
}

export async function listCard(deps: BotDeps, caller: Caller, a: ActingAdmin, page: EmployeePage, search?: string): Promise<Card> {
  const nonces = await issueConfirmations(deps.nonces, caller, a, page.people.map((p) => p.guid), 'reset');
  return cards.employeeListCard(caller.language, {
    environmentName: a.tenant.name,
    people: page.people.map((person, i) => ({ person, nonce: nonces[i] as string })),
    ...(search ? { search } : {}),
    ...(page.previous ? { previous: page.previous } : {}),
    ...(page.next ? { next: page.next } : {}),
    pageNumber: page.pageNumber,
  });
}

export async function employeeCard(deps: BotDeps, caller: Caller, a: ActingAdmin, person: Person): Promise<Card> {
  const [nonce] = await issueConfirmations(deps.nonces, caller, a, [person.guid], 'reset');
  return cards.employeeCard(caller.language, { environmentName: a.tenant.name, person, nonce: nonce as string });
}

export interface MailFormInput {
  readonly address?: string | undefined;
  readonly language?: Language | undefined;
  readonly error?: string;
  /** Kept when the form comes back for a corrected address. */
  readonly nonce?: string;
}

export async function mailFormCard(deps: BotDeps, caller: Caller, a: ActingAdmin, person: Person, input: MailFormInput = {}): Promise<Card> {
  const nonce = input.nonce ?? (await issueConfirmations(deps.nonces, caller, a, [person.guid], 'mail'))[0];
  return cards.mailFormCard(caller.language, {
    environmentName: a.tenant.name,
    person,
    address: input.address ?? person.mail ?? '',
    language: input.language ?? a.tenant.language,
    nonce: nonce as string,
    ...(input.error ? { error: input.error } : {}),
  });
}

export function environmentChosenCard(caller: Caller, tenant: Tenant): Card {
  return cards.messageCard(caller.language, { kind: 'info', text: fill(TEXTS[caller.language].chat.environmentChosen, { environment: tenant.name }) });
}

export async function mailOutcome(deps: BotDeps, caller: Caller, a: ActingAdmin, result: MailResult): Promise<Card> {
  const common = { person: result.person, maskedRecipient: maskMailAddress(result.recipient), at: new Date(), timeZone: caller.timeZone };
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
