/**
 * What the bot does with each command and card action. No Teams SDK here (src/bot/app.ts wires
 * these to teams-ai) and no business rule: a handler parses, calls a use case (src/auth,
 * src/employees, src/reset) and renders the result as a card.
 */
import { actingAdmin, endSession, sessionOf, switchEnvironment, type ActingAdmin } from '../auth/acting-admin.js';
import { useConfirmation } from '../auth/confirmations.js';
import type { AdminSession } from '../auth/session-store.js';
import { signIn as signInUseCase } from '../auth/sign-in.js';
import type { Tenant } from '../config/config.js';
import type { Person } from '../directory/directory.js';
import { employeeByGuid, employeePage, listEmployees, recentHistory, resolveEmployees } from '../employees/browse.js';
import { AppError, isAppError } from '../errors/catalog.js';
import { fill, type Language } from '../i18n/translations.js';
import { parseMailAddress } from '../mail/address.js';
import { checkReset } from '../reset/reconcile.js';
import { linkMailDeps, mailLink } from '../reset/mail-link.js';
import { mailPassword, resetPassword, ResetOutcomeUnknownError, ResetWatch } from '../reset/reset-password.js';
import { unlockAccount } from '../reset/unlock.js';
import { PENDING_COMMAND_MAX_LENGTH } from '../state/chat.js';
import type { Caller } from './caller.js';
import type { CardAction, ListOrigin } from './card-actions.js';
import * as cards from './cards.js';
import { parseCommand, stripMentions } from './commands.js';
import { errorCard, tenantsForCaller, type BotDeps, type Card, type TaskResponse } from './context.js';
import { answerInTime, withinDeadline } from './in-time.js';
import { TEXTS } from './texts.js';
import { employeeCard, environmentChosenCard, failureCard, listCard, mailFormCard, mailOutcome, environmentCard, helpFor, listAgain, listPageCard, notFoundCard, pickerFor, resetCheckCard, unknownInDialog, unlockedCard } from './views.js';

export { assertCallerAllowed, type BotDeps, type Card } from './context.js';

const acting = (deps: BotDeps, caller: Caller) => actingAdmin(deps.sessions, caller, tenantsForCaller(deps, caller));

/**
 * Turns "no session", "session ended" and "no environment" into the card that fixes them and
 * other errors into an error card; `wrap` places that card (in the chat, or in a dialog).
 */
async function guarded<T>(deps: BotDeps, caller: Caller, work: () => Promise<T>, wrap: (card: Card) => T, signInFirst?: () => Promise<Card>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof AppError)) return wrap(errorCard(deps, caller, error));
    if (error.code === 'SIGN_IN_REQUIRED') return wrap(signInFirst ? await signInFirst() : cards.signInCard(caller.language, {}));
    if (error.code === 'ADMIN_SESSION_ENDED') {
      await endSession({ sessions: deps.sessions, audit: deps.core.audit, log: deps.log }, caller, error);
      return wrap(cards.signInCard(caller.language, { error: new AppError('ADMIN_SESSION_ENDED').userMessage(caller.language) }));
    }
    if (error.code === 'ENVIRONMENT_REQUIRED') {
      const session = await deps.sessions.get(caller.teamsTenantId, caller.aadObjectId).catch(() => null);
      if (session) return wrap(pickerFor(deps, caller, session));
    }
    return wrap(errorCard(deps, caller, error));
  }
}

const inChat = (card: Card) => card;

/** One hit acts, several show a picker, none says what was typed and how to search. */
async function resolveOne(deps: BotDeps, caller: Caller, a: ActingAdmin, reference: string, intent: 'reset' | 'mail' | 'status', act: (p: Person) => Promise<Card>): Promise<Card> {
  const people = await resolveEmployees(deps.core, a, reference).catch((error: unknown) => {
    if (isAppError(error, 'DIRECTORY_USER_NOT_FOUND')) return [];
    throw error;
  });
  if (people.length === 0) return notFoundCard(deps, caller, a, reference);
  return people.length === 1 ? act(people[0] as Person) : cards.pickerCard(caller.language, { people: [...people], intent });
}

async function chooseEnvironment(deps: BotDeps, caller: Caller, session: AdminSession, tenant: Tenant): Promise<Card> {
  await switchEnvironment({ directory: deps.core.directory, sessions: deps.sessions }, caller, session, tenant);
  return environmentChosenCard(caller, tenant);
}

// ---------------------------------------------------------------- commands typed in the chat

/** Commands that need a session and are kept, when typed before signing in, to run right after. */
const KEPT_UNTIL_SIGNED_IN: ReadonlySet<string> = new Set(['list', 'find', 'reset', 'mail', 'history', 'env', 'status', 'unlock']);

/** The sign-in card, saying that `text` will run once the admin has signed in. */
async function keepUntilSignedIn(deps: BotDeps, caller: Caller, text: string): Promise<Card> {
  const command = stripMentions(text).trim().slice(0, PENDING_COMMAND_MAX_LENGTH);
  try {
    await deps.pendingCommands.put(caller, command);
  } catch (error) {
    deps.log.warn({ code: 'PENDING_COMMAND_NOT_KEPT', cause: String(error) }, 'a command typed before sign-in was not kept');
    return cards.signInCard(caller.language, {});
  }
  return cards.signInCard(caller.language, { pending: command });
}

/** Runs the command typed before signing in, if any (once: taking it removes it), as a new message. */
async function runKeptCommand(deps: BotDeps, caller: Caller, post: (card: Card) => Promise<void>): Promise<void> {
  try {
    const text = await deps.pendingCommands.take(caller);
    if (text !== null) await post(await handleMessage(deps, caller, text));
  } catch (error) {
    deps.log.warn({ code: 'PENDING_COMMAND_FAILED', cause: String(error) }, 'the command typed before sign-in did not run');
  }
}

export async function handleMessage(deps: BotDeps, caller: Caller, text: string): Promise<Card> {
  const command = parseCommand(text);
  const signInFirst = KEPT_UNTIL_SIGNED_IN.has(command.name) ? () => keepUntilSignedIn(deps, caller, text) : undefined;
  return guarded(deps, caller, async () => {
    switch (command.name) {
      case 'help':
        return helpFor(deps, caller);
      case 'signin':
        return cards.signInCard(caller.language, {});
      case 'signout':
        await deps.sessions.end(caller.teamsTenantId, caller.aadObjectId);
        return cards.messageCard(caller.language, { kind: 'info', text: TEXTS[caller.language].chat.signedOut });
      case 'env': {
        const session = await sessionOf(deps.sessions, caller);
        const wanted = command.environment?.toLowerCase();
        const tenant = tenantsForCaller(deps, caller).find((t) => session.tenantKeys.includes(t.key) && (t.key === wanted || t.name.toLowerCase() === wanted));
        if (tenant) return chooseEnvironment(deps, caller, session, tenant);
        return environmentCard(deps, caller, session, command.environment);
      }
      case 'list': {
        const a = await acting(deps, caller);
        return listPageCard(deps, caller, a, await employeePage(deps.core, a, command.page), command.asked);
      }
      case 'find': {
        const a = await acting(deps, caller);
        const search = command.text.slice(0, 100);
        return listCard(deps, caller, a, await listEmployees(deps.core, a, { search }), search);
      }
      case 'reset': {
        const a = await acting(deps, caller);
        return resolveOne(deps, caller, a, command.user, 'reset', (p) => employeeCard(deps, caller, a, p));
      }
      case 'status':
      case 'unlock': {
        // Both show the card with the account's status; Unlock is a button on it (no command changes anything).
        const a = await acting(deps, caller);
        return resolveOne(deps, caller, a, command.user, 'status', (p) => employeeCard(deps, caller, a, p));
      }
      case 'mail': {
        const a = await acting(deps, caller);
        return resolveOne(deps, caller, a, command.user, 'mail', (p) => mailFormCard(deps, caller, a, p, { address: command.address, language: command.language }));
      }
      case 'history': {
        const a = await acting(deps, caller);
        const history = await recentHistory(deps.core, a, command.user, command.page);
        return cards.historyCard(caller.language, { environmentName: a.tenant.name, ...history, ...(command.user ? { user: command.user } : {}), timeZone: caller.timeZone });
      }
      case 'incomplete': {
        const t = TEXTS[caller.language].chat;
        return cards.messageCard(caller.language, { kind: 'info', text: fill(t.incomplete, { example: t.incompleteExamples[command.command] }) });
      }
      case 'unknown':
        // Anything else: the sign-in card without a session, help with one.
        await sessionOf(deps.sessions, caller);
        return helpFor(deps, caller, command.word ? fill(TEXTS[caller.language].chat.notUnderstood, { typed: command.text.slice(0, 100) }) : undefined);
    }
  }, inChat, signInFirst);
}

// ---------------------------------------------------------------- sign-in

/** The card after a sign-in; `working`: signed in with an environment chosen (the admin manages one). */
async function signIn(deps: BotDeps, caller: Caller, login: string, password: string): Promise<{ card: Card; working: boolean }> {
  let signedIn;
  try {
    signedIn = await signInUseCase(
      { teamsTenantId: caller.teamsTenantId, aadObjectId: caller.aadObjectId, login, password, reachable: tenantsForCaller(deps, caller) },
      { directory: deps.core.directory, limiter: deps.limiter, audit: deps.core.audit, log: deps.log, failureMinMs: deps.signInFailureMinMs },
    );
  } catch (error) {
    if (!(error instanceof AppError) || !/^(AUTH_|SIGN_IN_)/.test(error.code)) throw error;
    // What was typed as the name is not echoed back: it may be a password typed in the wrong field.
    return { card: cards.signInCard(caller.language, { error: error.userMessage(caller.language) }), working: false };
  }
  const { identity, tenants } = signedIn;
  // Their environments' lists load while they read the answer: the first `list` need not wait.
  void deps.core.people.preload(tenants);
  const only = tenants.length === 1 ? (tenants[0] as Tenant) : undefined;
  const session = await deps.sessions.start({
    teamsTenantId: caller.teamsTenantId,
    aadObjectId: caller.aadObjectId,
    admin: identity,
    tenantKeys: tenants.map((t) => t.key),
    activeTenantKey: only?.key ?? null,
  });
  return only ? { card: environmentChosenCard(caller, only), working: true } : { card: pickerFor(deps, caller, session), working: false };
}

// ---------------------------------------------------------------- card actions (Action.Execute)

/**
 * `later` updates the clicked card after the invoke was answered (slow mail server); `post` sends
 * a new message after it (the command typed before signing in, once an environment is chosen).
 */
export async function handleExecute(
  deps: BotDeps,
  caller: Caller,
  action: CardAction,
  later: (card: Card) => Promise<void>,
  post: (card: Card) => Promise<void>,
  receivedAt = Date.now(),
): Promise<Card> {
  const directory = deps.core.directory;
  return guarded(deps, caller, async () => {
    switch (action.verb) {
      case 'signin': {
        const { card, working } = await signIn(deps, caller, action.data.login, action.data.password);
        if (working) void runKeptCommand(deps, caller, post);
        return card;
      }
      case 'env.choose': {
        const session = await sessionOf(deps.sessions, caller);
        const tenant = tenantsForCaller(deps, caller).find((t) => t.key === action.data.tenantKey && session.tenantKeys.includes(t.key));
        if (!tenant) throw new AppError('AUTH_NOT_ADMIN');
        const card = await chooseEnvironment(deps, caller, session, tenant);
        void runKeptCommand(deps, caller, post);
        return card;
      }
      case 'list': {
        const a = await acting(deps, caller);
        const search = action.data.search?.trim() || undefined;
        const { after, before, page } = action.data;
        return listCard(deps, caller, a, await listEmployees(deps.core, a, { search, after, before, page }), search);
      }
      case 'mail.form': {
        const a = await acting(deps, caller);
        return mailFormCard(deps, caller, a, await employeeByGuid(directory, a, action.data.guid), { origin: action.data.list });
      }
      case 'mail.cancel': {
        // Back to the card the form came from: the list page, or the employee's card.
        const a = await acting(deps, caller);
        if (action.data.list) return listAgain(deps, caller, a, action.data.list);
        return employeeCard(deps, caller, a, await employeeByGuid(directory, a, action.data.guid));
      }
      case 'pick': {
        const a = await acting(deps, caller);
        const person = await employeeByGuid(directory, a, action.data.guid);
        return action.data.intent === 'mail' ? mailFormCard(deps, caller, a, person) : employeeCard(deps, caller, a, person);
      }
      case 'mail.send':
        return sendMail(deps, caller, action.data, later, receivedAt);
      case 'unlock': {
        const a = await acting(deps, caller);
        await useConfirmation({ nonces: deps.nonces, audit: deps.core.audit }, caller, a, action.data.nonce, action.data.guid, 'unlock');
        return unlockedCard(deps, caller, a, await unlockAccount(a.admin, a.tenant, { guid: action.data.guid }, deps.core), action.data.list);
      }
      case 'reset.check': {
        const a = await acting(deps, caller);
        return resetCheckCard(deps, caller, a, await checkReset(a.admin, a.tenant, action.data, deps.core));
      }
      default:
        throw new AppError('CARD_NOT_VALID');
    }
  }, inChat);
}

async function sendMail(
  deps: BotDeps,
  caller: Caller,
  data: { guid: string; nonce: string; address: string; language: Language | ''; list?: ListOrigin | undefined },
  later: (card: Card) => Promise<void>,
  receivedAt: number,
): Promise<Card> {
  const a = await acting(deps, caller);
  const person = await employeeByGuid(deps.core.directory, a, data.guid);
  const language = data.language === '' ? null : data.language;
  if (language === null) {
    // Nothing chosen: the form again with the field marked; its confirmation stays unused.
    return mailFormCard(deps, caller, a, person, { address: data.address.slice(0, 320), language: null, nonce: data.nonce, origin: data.list });
  }
  try {
    parseMailAddress(data.address);
  } catch (error) {
    // The form comes back with the message; its nonce stays valid for the corrected address.
    const message = error instanceof AppError ? error.userMessage(caller.language) : String(error);
    return mailFormCard(deps, caller, a, person, { address: data.address.slice(0, 320), language, error: message, nonce: data.nonce, origin: data.list });
  }
  await useConfirmation({ nonces: deps.nonces, audit: deps.core.audit }, caller, a, data.nonce, data.guid, 'mail');
  const run = (
    a.tenant.mailMode === 'link'
      ? mailLink(a.admin, a.tenant, { guid: data.guid }, data.address, language, linkMailDeps(deps.core))
      : mailPassword(a.admin, a.tenant, { guid: data.guid }, data.address, language, deps.core)
  ).then(
    // From a list, the list comes back with that row marked; a failed mail keeps its own card (Show password).
    (result) => (result.status === 'mailed' && data.list ? listAgain(deps, caller, a, data.list) : mailOutcome(deps, caller, a, result)),
    (error: unknown) => failureCard(deps, caller, error),
  );
  const working = () => cards.messageCard(caller.language, { kind: 'info', text: fill(TEXTS[caller.language].chat.working, { name: person.displayName }) });
  return answerInTime(run, receivedAt + deps.answerWithinMs, working, later, deps.log);
}

// ---------------------------------------------------------------- dialogs (task/fetch)

/**
 * Reset (and Show password) open a Teams dialog: the password is shown there and nowhere else.
 * The dialog is answered as soon as the directory has changed; `replaceChatCard` then turns the
 * clicked chat card into "reset by you at HH:MM" without delaying it. Teams waits only a few
 * seconds, counted from `receivedAt`: a reset still running then stops before it changes anything,
 * or, once its change was sent, the dialog says the outcome is being checked (Check again on the
 * chat card), and a password set later is audited as applied, never shown.
 */
export async function handleTaskFetch(
  deps: BotDeps,
  caller: Caller,
  action: CardAction,
  replaceChatCard: (card: Card) => Promise<void>,
  receivedAt = Date.now(),
): Promise<TaskResponse> {
  const inDialog = (card: Card) => ({ task: { type: 'continue', value: { title: TEXTS[caller.language].chat.dialogTitle, card } } }) as TaskResponse;
  return guarded(
    deps,
    caller,
    async () => {
      const a = await acting(deps, caller);
      if (action.verb !== 'reset' && action.verb !== 'reveal') throw new AppError('CARD_NOT_VALID');
      // Reveal: after a failed mail no password was kept, so a fresh one is set and shown, once.
      const reveal = action.verb === 'reveal';
      // A Show password button has a purpose of its own: a list's Reset button cannot pass for one.
      await useConfirmation({ nonces: deps.nonces, audit: deps.core.audit }, caller, a, action.data.nonce, action.data.guid, reveal ? 'reveal' : 'reset');
      const watch = new ResetWatch();
      const work = resetPassword(a.admin, a.tenant, { guid: action.data.guid }, deps.core, { watch, ...(reveal ? { replacesFailedMail: true } : {}) });
      const outcome = await withinDeadline(work, receivedAt + deps.answerWithinMs);
      let done;
      if (outcome === 'late') {
        const reached = watch.giveUp();
        // Whatever the reset does from now on is audited by it; nobody waits for it here.
        work.catch((error: unknown) => {
          if (!(error instanceof AppError)) deps.log.error({ code: 'INTERNAL', cause: String(error) }, 'a reset the dialog gave up on failed');
        });
        if (reached.phase === 'before') throw new AppError('DIRECTORY_TOO_SLOW');
        if (reached.phase === 'changing') {
          return inDialog(unknownInDialog(deps, caller, new ResetOutcomeUnknownError(reached.person, reached.correlationId, undefined), replaceChatCard));
        }
      }
      try {
        done = await work;
      } catch (error) {
        return inDialog(unknownInDialog(deps, caller, error, replaceChatCard));
      }
      const { person, password } = done;
      if (!reveal) {
        // From a list, the list stays (that row marked, from the audit: once the outcome is written);
        // from an employee's card, "reset by you at 10:42". Neither delays the dialog.
        const list = action.verb === 'reset' ? action.data.list : undefined;
        const card = list ? done.audited.then(() => listAgain(deps, caller, a, list)) : Promise.resolve(cards.resetDoneCard(caller.language, { person, at: new Date(), timeZone: caller.timeZone }));
        void card.then(replaceChatCard).catch((error: unknown) =>
          deps.log.warn({ code: 'CARD_UPDATE_FAILED', cause: String(error) }, 'reset done; the chat card was not updated'),
        );
      }
      return cards.passwordDialog(caller.language, { person, password });
    },
    inDialog,
  );
}
