/**
 * What the bot does with each command and card action. No Teams SDK here: handlers get the
 * validated caller and return cards; src/bot/app.ts wires them to teams-ai. No business rule
 * here either: authorization and resets live in the use cases; this layer parses, checks the
 * session and the card's nonce, calls a use case and renders the result.
 */
import { randomBytes } from 'node:crypto';
import type { NonceBinding, NonceStore } from '../auth/nonce-store.js';
import type { PasswordVault } from '../auth/password-vault.js';
import { assertStillAdmin } from '../auth/admin-check.js';
import type { AdminSession, SessionStore } from '../auth/session-store.js';
import { signIn as signInUseCase } from '../auth/sign-in.js';
import type { SignInLimiter } from '../auth/sign-in-limiter.js';
import type { Tenant } from '../config/config.js';
import type { Core } from '../core.js';
import type { DirectoryConnection, PageCursor, Person } from '../directory/directory.js';
import { AppError, type Language } from '../errors/catalog.js';
import type { Logger } from '../log/logger.js';
import { maskMailAddress, parseMailAddress } from '../mail/address.js';
import { mailPassword, resetPassword, type Admin, type MailResult } from '../reset/reset-password.js';
import type { Caller } from './caller.js';
import type { CardAction } from './card-actions.js';
import * as cards from './cards.js';
import { parseCommand } from './commands.js';
import { fill, TEXTS } from './texts.js';

export type Card = ReturnType<typeof cards.messageCard>;
export type TaskResponse = ReturnType<typeof cards.passwordDialog>;

export interface BotDeps {
  readonly core: Core;
  readonly sessions: SessionStore;
  readonly limiter: SignInLimiter;
  readonly nonces: NonceStore;
  readonly vault: PasswordVault;
  readonly log: Logger;
  /** How long a card action may take before the bot answers "working…" and updates the card later. */
  readonly answerWithinMs: number;
  /** Every failed sign-in answers after at least this long. */
  readonly signInFailureMinMs: number;
}

const PAGE_SIZE = 20;

/** A refusal or failure shown to the admin: catalog text plus a reference to find the log line. */
function errorCard(deps: BotDeps, caller: Caller, error: unknown): Card {
  const appError = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
  const reference = randomBytes(4).toString('hex');
  const cause = appError.cause instanceof Error ? { name: appError.cause.name, message: appError.cause.message } : undefined;
  const level = appError.code === 'INTERNAL' || appError.code.startsWith('DIRECTORY_') || appError.code.startsWith('MAIL_') ? 'error' : 'info';
  deps.log[level]({ code: appError.code, reference, detail: appError.detail, cause, teamsUser: caller.aadObjectId }, 'request refused or failed');
  return cards.messageCard(caller.language, { kind: 'error', text: appError.userMessage(caller.language), reference });
}

/** Environments this Teams tenant may reach. */
function tenantsForCaller(deps: BotDeps, caller: Caller): Tenant[] {
  return deps.core.config.tenants.filter((t) => t.teamsTenantIds.some((id) => id.toLowerCase() === caller.teamsTenantId));
}

/** Refuses a Teams tenant that no environment lists, before anything touches the directory. */
export function assertCallerAllowed(deps: BotDeps, caller: Caller): void {
  if (!caller.personal) throw new AppError('PERSONAL_CHAT_ONLY');
  if (tenantsForCaller(deps, caller).length === 0) throw new AppError('TEAMS_TENANT_NOT_ALLOWED');
}

interface Working {
  readonly session: AdminSession;
  readonly tenant: Tenant;
  readonly admin: Admin;
}

async function sessionOf(deps: BotDeps, caller: Caller): Promise<AdminSession> {
  const session = await deps.sessions.get(caller.teamsTenantId, caller.aadObjectId);
  if (!session) throw new AppError('SIGN_IN_REQUIRED');
  return session;
}

async function working(deps: BotDeps, caller: Caller): Promise<Working> {
  const session = await sessionOf(deps, caller);
  const tenant = tenantsForCaller(deps, caller).find((t) => t.key === session.activeTenantKey);
  if (!tenant || !session.tenantKeys.includes(tenant.key)) throw new AppError('ENVIRONMENT_REQUIRED');
  return { session, tenant, admin: { identity: session.admin, teamsId: caller.aadObjectId } };
}

/** Runs `work` on one directory connection, after re-checking the admin on it. */
function asAdmin<T>(deps: BotDeps, w: Working, work: (directory: DirectoryConnection) => Promise<T>): Promise<T> {
  return deps.core.directory.withConnection(async (directory) => {
    await assertStillAdmin(directory, w.session.admin, w.tenant);
    return work(directory);
  });
}

/** The admin failed a re-check: the session ends, the audit says why, and they must sign in again. */
async function endSession(deps: BotDeps, caller: Caller, error: AppError): Promise<Card> {
  const session = await deps.sessions.get(caller.teamsTenantId, caller.aadObjectId).catch(() => null);
  await deps.sessions.end(caller.teamsTenantId, caller.aadObjectId);
  await deps.core.audit
    .record({
      environment: session?.activeTenantKey ?? null,
      admin: { dn: session?.admin.dn ?? null, upn: session?.admin.upn ?? null, teamsId: caller.aadObjectId },
      action: 'sign-in',
      outcome: 'refused',
      errorCode: error.code,
      detail: error.detail ?? null,
    })
    .catch((auditError: unknown) => deps.log.error({ code: 'AUDIT_WRITE_FAILED', cause: String(auditError) }, 'session end not audited'));
  deps.log.warn({ code: error.code, reason: error.detail, admin: session?.admin.dn ?? null, teamsUser: caller.aadObjectId }, 'admin session ended');
  return cards.signInCard(caller.language, { error: new AppError('ADMIN_SESSION_ENDED').userMessage(caller.language) });
}

function pickerFor(deps: BotDeps, caller: Caller, session: AdminSession): Card {
  const tenants = tenantsForCaller(deps, caller).filter((t) => session.tenantKeys.includes(t.key));
  return cards.environmentPickerCard(caller.language, {
    tenants: tenants.map((t) => ({ key: t.key, name: t.name })),
    ...(session.activeTenantKey ? { activeKey: session.activeTenantKey } : {}),
  });
}

/** Turns "no session" and "no environment" into the card that fixes them; other errors into an error card. */
async function guarded(deps: BotDeps, caller: Caller, work: () => Promise<Card>): Promise<Card> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && error.code === 'SIGN_IN_REQUIRED') return cards.signInCard(caller.language, {});
    if (error instanceof AppError && error.code === 'ADMIN_SESSION_ENDED') return endSession(deps, caller, error);
    if (error instanceof AppError && error.code === 'ENVIRONMENT_REQUIRED') {
      const session = await deps.sessions.get(caller.teamsTenantId, caller.aadObjectId).catch(() => null);
      if (session) return pickerFor(deps, caller, session);
    }
    return errorCard(deps, caller, error);
  }
}

function binding(caller: Caller, w: Working, targetGuid: string, purpose: NonceBinding['purpose']): NonceBinding {
  return {
    teamsTenantId: caller.teamsTenantId,
    aadObjectId: caller.aadObjectId,
    adminDn: w.session.admin.dn,
    tenantKey: w.tenant.key,
    targetGuid,
    purpose,
  };
}

/** A card button works once, for the admin, environment and employee it was shown for; refusals are audited. */
async function consumeNonce(deps: BotDeps, w: Working, nonce: string, bound: NonceBinding): Promise<void> {
  const result = await deps.nonces.consume(nonce, bound);
  if (result === 'ok') return;
  const code = result === 'used' ? 'CARD_ALREADY_USED' : result === 'expired' ? 'CARD_EXPIRED' : 'CARD_NOT_VALID';
  await deps.core.audit.record({
    environment: w.tenant.key,
    admin: { dn: w.admin.identity.dn, upn: w.admin.identity.upn, teamsId: bound.aadObjectId },
    target: { dn: null, sam: null, guid: bound.targetGuid },
    action: bound.purpose,
    outcome: 'refused',
    errorCode: code,
  });
  throw new AppError(code);
}

// ---------------------------------------------------------------- cards built from the directory

const cursorAt = (p: Person): PageCursor => ({ displayName: p.displayName, guid: p.guid });

async function listCard(deps: BotDeps, caller: Caller, w: Working, directory: DirectoryConnection, request: { search?: string | undefined; after?: PageCursor | undefined; before?: PageCursor | undefined; page: number }): Promise<Card> {
  const page = await directory.listPeople(w.tenant, { pageSize: PAGE_SIZE, search: request.search, after: request.after, before: request.before });
  const nonces = await deps.nonces.issue(page.people.map((p) => binding(caller, w, p.guid, 'reset')));
  const first = page.people[0];
  const last = page.people[page.people.length - 1];
  // Going forward, more follows when the directory says so; going back, when there were more before.
  const hasNext = request.before ? Boolean(last) : page.hasMore;
  const hasPrevious = request.before ? page.hasMore : request.page > 1;
  return cards.employeeListCard(caller.language, {
    environmentName: w.tenant.name,
    people: page.people.map((person, i) => ({ person, nonce: nonces[i] as string })),
    ...(request.search ? { search: request.search } : {}),
    ...(hasPrevious && first ? { previous: cursorAt(first) } : {}),
    ...(hasNext && last ? { next: cursorAt(last) } : {}),
    pageNumber: request.page,
  });
}

/** `list N`: walks forward page by page (keyset paging cannot jump). */
async function listPageCard(deps: BotDeps, caller: Caller, w: Working, directory: DirectoryConnection, pageNumber: number, search?: string): Promise<Card> {
  let after: PageCursor | undefined;
  for (let page = 1; page < pageNumber; page++) {
    const result = await directory.listPeople(w.tenant, { pageSize: PAGE_SIZE, search, after });
    const last = result.people[result.people.length - 1];
    if (!result.hasMore || !last) return listCard(deps, caller, w, directory, { search, after, page });
    after = cursorAt(last);
  }
  return listCard(deps, caller, w, directory, { search, after, page: pageNumber });
}

async function employeeCard(deps: BotDeps, caller: Caller, w: Working, person: Person): Promise<Card> {
  const [nonce] = await deps.nonces.issue([binding(caller, w, person.guid, 'reset')]);
  return cards.employeeCard(caller.language, { environmentName: w.tenant.name, person, nonce: nonce as string });
}

async function mailFormCard(deps: BotDeps, caller: Caller, w: Working, person: Person, address?: string, language?: Language, error?: string, nonce?: string): Promise<Card> {
  const formNonce = nonce ?? (await deps.nonces.issue([binding(caller, w, person.guid, 'mail')]))[0];
  return cards.mailFormCard(caller.language, {
    environmentName: w.tenant.name,
    person,
    address: address ?? person.mail ?? '',
    language: language ?? w.tenant.language,
    nonce: formNonce as string,
    ...(error ? { error } : {}),
  });
}

/** One hit acts, several show a picker, none says so. */
async function resolveOne(caller: Caller, w: Working, directory: DirectoryConnection, reference: string, intent: 'reset' | 'mail', act: (p: Person) => Promise<Card>): Promise<Card> {
  const people = await directory.resolvePeople(w.tenant, reference);
  if (people.length === 1) return act(people[0] as Person);
  if (people.length === 0) throw new AppError('DIRECTORY_USER_NOT_FOUND');
  return cards.pickerCard(caller.language, { people: [...people], intent });
}

async function personByGuid(directory: DirectoryConnection, w: Working, guid: string): Promise<Person> {
  const person = await directory.findPersonByGuid(w.tenant, guid);
  if (!person) throw new AppError('TARGET_OUTSIDE_ENVIRONMENT');
  return person;
}

// ---------------------------------------------------------------- commands typed in the chat

export async function handleMessage(deps: BotDeps, caller: Caller, text: string): Promise<Card> {
  const command = parseCommand(text);
  return guarded(deps, caller, async () => {
    switch (command.name) {
      case 'help':
        return cards.helpCard(caller.language);
      case 'signin':
        return cards.signInCard(caller.language, {});
      case 'signout':
        await deps.sessions.end(caller.teamsTenantId, caller.aadObjectId);
        return cards.messageCard(caller.language, { kind: 'info', text: TEXTS[caller.language].chat.signedOut });
      case 'env': {
        const session = await sessionOf(deps, caller);
        if (!command.environment) return pickerFor(deps, caller, session);
        const wanted = command.environment.toLowerCase();
        const tenant = tenantsForCaller(deps, caller).find((t) => session.tenantKeys.includes(t.key) && (t.key === wanted || t.name.toLowerCase() === wanted));
        if (!tenant) return pickerFor(deps, caller, session);
        return chooseEnvironment(deps, caller, session, tenant);
      }
      case 'list': {
        const w = await working(deps, caller);
        return asAdmin(deps, w, (directory) => listPageCard(deps, caller, w, directory, command.page));
      }
      case 'find': {
        const w = await working(deps, caller);
        return asAdmin(deps, w, (directory) => listCard(deps, caller, w, directory, { search: command.text.slice(0, 100), page: 1 }));
      }
      case 'reset': {
        const w = await working(deps, caller);
        return asAdmin(deps, w, (directory) => resolveOne(caller, w, directory, command.user, 'reset', (p) => employeeCard(deps, caller, w, p)));
      }
      case 'mail': {
        const w = await working(deps, caller);
        return asAdmin(deps, w, (directory) =>
          resolveOne(caller, w, directory, command.user, 'mail', (p) => mailFormCard(deps, caller, w, p, command.address, command.language)),
        );
      }
      case 'history': {
        const w = await working(deps, caller);
        const user = command.user;
        const targetSam = await asAdmin(deps, w, async (directory) => {
          if (!user) return undefined;
          const people = await directory.resolvePeople(w.tenant, user);
          return people.length === 1 ? people[0]?.sam : user;
        });
        const entries = await deps.core.audit.recent({ environment: w.tenant.key, ...(targetSam ? { targetSam } : {}), limit: 15 });
        return cards.historyCard(caller.language, { environmentName: w.tenant.name, entries, timeZone: caller.timeZone });
      }
      case 'incomplete':
        return cards.messageCard(caller.language, { kind: 'info', text: incompleteText(caller.language, command.command) });
      case 'unknown': {
        // Anything else: the sign-in card without a session, help with one.
        await sessionOf(deps, caller);
        return cards.helpCard(caller.language);
      }
    }
  });
}

function incompleteText(language: Language, command: 'find' | 'reset' | 'mail'): string {
  const t = TEXTS[language].chat;
  return fill(t.incomplete, { example: t.incompleteExamples[command] });
}

/** Switching environment re-checks the admin for the one chosen. */
async function chooseEnvironment(deps: BotDeps, caller: Caller, session: AdminSession, tenant: Tenant): Promise<Card> {
  await deps.core.directory.withConnection((directory) => assertStillAdmin(directory, session.admin, tenant));
  await deps.sessions.setActiveTenant(caller.teamsTenantId, caller.aadObjectId, tenant.key);
  return environmentChosenCard(caller, tenant);
}

function environmentChosenCard(caller: Caller, tenant: Tenant): Card {
  return cards.messageCard(caller.language, { kind: 'info', text: fill(TEXTS[caller.language].chat.environmentChosen, { environment: tenant.name }) });
}

// ---------------------------------------------------------------- sign-in

async function signIn(deps: BotDeps, caller: Caller, login: string, password: string): Promise<Card> {
  let signedIn;
  try {
    signedIn = await signInUseCase(
      { teamsTenantId: caller.teamsTenantId, aadObjectId: caller.aadObjectId, login, password, reachable: tenantsForCaller(deps, caller) },
      { directory: deps.core.directory, limiter: deps.limiter, audit: deps.core.audit, log: deps.log, failureMinMs: deps.signInFailureMinMs },
    );
  } catch (error) {
    if (!(error instanceof AppError) || !/^(AUTH_|SIGN_IN_)/.test(error.code)) throw error;
    // What was typed as the name is not echoed back: it may be a password typed in the wrong field.
    return cards.signInCard(caller.language, { error: error.userMessage(caller.language) });
  }
  const { identity, tenants } = signedIn;
  const only = tenants.length === 1 ? (tenants[0] as Tenant) : undefined;
  const session = await deps.sessions.start({
    teamsTenantId: caller.teamsTenantId,
    aadObjectId: caller.aadObjectId,
    admin: identity,
    tenantKeys: tenants.map((t) => t.key),
    activeTenantKey: only?.key ?? null,
  });
  return only ? environmentChosenCard(caller, only) : pickerFor(deps, caller, session);
}

// ---------------------------------------------------------------- card actions (Action.Execute)

/** `later` updates the clicked card after the invoke was answered (slow mail server). */
export async function handleExecute(deps: BotDeps, caller: Caller, action: CardAction, later: (card: Card) => Promise<void>): Promise<Card> {
  return guarded(deps, caller, async () => {
    switch (action.verb) {
      case 'signin':
        return signIn(deps, caller, action.data.login, action.data.password);
      case 'env.choose': {
        const session = await sessionOf(deps, caller);
        const tenant = tenantsForCaller(deps, caller).find((t) => t.key === action.data.tenantKey && session.tenantKeys.includes(t.key));
        if (!tenant) throw new AppError('AUTH_NOT_ADMIN');
        return chooseEnvironment(deps, caller, session, tenant);
      }
      case 'list': {
        const w = await working(deps, caller);
        const search = action.data.search?.trim() || undefined;
        const page = action.data.after ? (action.data.page ?? 1) + 1 : action.data.before ? Math.max(1, (action.data.page ?? 2) - 1) : 1;
        return asAdmin(deps, w, (directory) => listCard(deps, caller, w, directory, { search, after: action.data.after, before: action.data.before, page }));
      }
      case 'mail.form': {
        const w = await working(deps, caller);
        const person = await asAdmin(deps, w, (directory) => personByGuid(directory, w, action.data.guid));
        return mailFormCard(deps, caller, w, person);
      }
      case 'pick': {
        const w = await working(deps, caller);
        const person = await asAdmin(deps, w, (directory) => personByGuid(directory, w, action.data.guid));
        return action.data.intent === 'reset' ? employeeCard(deps, caller, w, person) : mailFormCard(deps, caller, w, person);
      }
      case 'mail.send':
        return sendMail(deps, caller, action.data, later);
      default:
        throw new AppError('CARD_NOT_VALID');
    }
  });
}

async function sendMail(
  deps: BotDeps,
  caller: Caller,
  data: { guid: string; nonce: string; address: string; language: Language },
  later: (card: Card) => Promise<void>,
): Promise<Card> {
  const w = await working(deps, caller);
  const person = await asAdmin(deps, w, (directory) => personByGuid(directory, w, data.guid));
  try {
    parseMailAddress(data.address);
  } catch (error) {
    // The form comes back with the message; its nonce stays valid for the corrected address.
    const message = error instanceof AppError ? error.userMessage(caller.language) : String(error);
    return mailFormCard(deps, caller, w, person, data.address.slice(0, 320), data.language, message, data.nonce);
  }
  await consumeNonce(deps, w, data.nonce, binding(caller, w, data.guid, 'mail'));

  const run = mailPassword(w.admin, w.tenant, { guid: data.guid }, data.address, data.language, deps.core).then(
    (result) => mailOutcome(deps, caller, result),
    (error: unknown) => errorCard(deps, caller, error),
  );
  // Teams waits only a few seconds for an invoke: answer "working…" and update the card when done.
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), deps.answerWithinMs);
  });
  const first = await Promise.race([run, slow]);
  clearTimeout(timer);
  if (first !== 'slow') return first;
  void run.then((card) => later(card)).catch((error: unknown) => deps.log.error({ code: 'CARD_UPDATE_FAILED', cause: String(error) }, 'could not update the card'));
  return cards.messageCard(caller.language, { kind: 'info', text: fill(TEXTS[caller.language].chat.working, { name: person.displayName }) });
}

function mailOutcome(deps: BotDeps, caller: Caller, result: MailResult): Card {
  const at = new Date();
  if (result.status === 'mailed') {
    return cards.mailOutcomeCard(caller.language, { person: result.person, maskedRecipient: maskMailAddress(result.recipient), at, noticeSent: result.noticeSent, timeZone: caller.timeZone });
  }
  const vaultId = deps.vault.put({ teamsTenantId: caller.teamsTenantId, aadObjectId: caller.aadObjectId, targetGuid: result.person.guid }, result.password);
  return cards.mailFailedCard(caller.language, {
    person: result.person,
    maskedRecipient: maskMailAddress(result.recipient),
    at,
    errorText: result.error.userMessage(caller.language),
    vaultId,
    timeZone: caller.timeZone,
  });
}

// ---------------------------------------------------------------- dialogs (task/fetch)

function dialogMessage(deps: BotDeps, caller: Caller, error: unknown): TaskResponse {
  const card = errorCard(deps, caller, error);
  return { task: { type: 'continue', value: { title: TEXTS[caller.language].chat.dialogTitle, card } } } as TaskResponse;
}

/**
 * Reset (and Show password) open a Teams dialog: the password is shown there and nowhere else.
 * `replaceChatCard` then turns the clicked chat card into "reset by you at HH:MM".
 */
export async function handleTaskFetch(deps: BotDeps, caller: Caller, action: CardAction, replaceChatCard: (card: Card) => Promise<void>): Promise<TaskResponse> {
  try {
    if (action.verb === 'reset') {
      const w = await working(deps, caller);
      await consumeNonce(deps, w, action.data.nonce, binding(caller, w, action.data.guid, 'reset'));
      const { person, password } = await resetPassword(w.admin, w.tenant, { guid: action.data.guid }, deps.core);
      await replaceChatCard(cards.resetDoneCard(caller.language, { person, at: new Date(), timeZone: caller.timeZone })).catch((error: unknown) =>
        deps.log.warn({ code: 'CARD_UPDATE_FAILED', cause: String(error) }, 'reset done; the chat card was not updated'),
      );
      return cards.passwordDialog(caller.language, { person, password });
    }
    if (action.verb === 'reveal') {
      const w = await working(deps, caller);
      const bound = { teamsTenantId: caller.teamsTenantId, aadObjectId: caller.aadObjectId, targetGuid: action.data.guid };
      // The admin is re-checked before the password is taken out: a disabled admin sees nothing.
      const person = await asAdmin(deps, w, (directory) => personByGuid(directory, w, action.data.guid));
      const password = deps.vault.take(action.data.vaultId, bound);
      if (!password) throw new AppError('PASSWORD_NO_LONGER_AVAILABLE');
      return cards.passwordDialog(caller.language, { person, password });
    }
    throw new AppError('CARD_NOT_VALID');
  } catch (error) {
    const inDialog = (card: Card) => ({ task: { type: 'continue', value: { title: TEXTS[caller.language].chat.dialogTitle, card } } }) as TaskResponse;
    if (error instanceof AppError && error.code === 'SIGN_IN_REQUIRED') return inDialog(cards.signInCard(caller.language, {}));
    if (error instanceof AppError && error.code === 'ADMIN_SESSION_ENDED') return inDialog(await endSession(deps, caller, error));
    return dialogMessage(deps, caller, error);
  }
}
