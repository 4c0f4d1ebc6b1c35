/**
 * The Adaptive Cards the bot sends. The layouts live in cards/*.json (open them in the Adaptive
 * Cards Designer); this module fills them with data via adaptivecards-templating.
 *
 * Two rules hold for every card:
 * - Every string from the directory or the admin enters as template *data*, never as JSON text,
 *   so a display name such as `"}]<b>` cannot change the card's structure.
 * - Such strings are shown in a `TextRun` (inside a `RichTextBlock`), which Teams never reads as
 *   markdown, so a display name such as `[Click](https://…)` cannot become a link. `TextBlock`s only
 *   show our own texts from texts.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from 'adaptivecards-templating';
import type { HistoryLine } from '../employees/history.js';
import type { PageCursor, Person } from '../directory/directory.js';
import { ERROR_CATALOG } from '../errors/catalog.js';
import { fill, type Language } from '../i18n/translations.js';
import { buttonData, type ListOrigin } from './card-actions.js';
import { TEXTS, type Texts } from './texts.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** An Adaptive Card as JSON (what the templates expand to). */
export interface AdaptiveCardContent {
  readonly type: 'AdaptiveCard';
  readonly version: string;
  readonly [key: string]: unknown;
}

/** Shaped like botbuilder's `Attachment`, so it goes straight into an Activity or invoke response. */
export interface AdaptiveCardAttachment {
  readonly contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
  readonly content: AdaptiveCardContent;
}

/** The body of a `task/fetch` invoke response that opens a Teams dialog. */
export interface TaskModuleContinueResponse {
  readonly task: {
    readonly type: 'continue';
    readonly value: {
      readonly title: string;
      readonly height?: 'small' | 'medium' | 'large' | number;
      readonly width?: 'small' | 'medium' | 'large' | number;
      readonly card: AdaptiveCardAttachment;
    };
  };
}

export const CARD_TEMPLATES = [
  'sign-in',
  'environment-picker',
  'employee-list',
  'employee',
  'mail-form',
  'mail-outcome',
  'mail-failed',
  'reset-done',
  'reset-status',
  'password-dialog',
  'picker',
  'message',
  'help',
  'history',
] as const;
export type CardTemplateName = (typeof CARD_TEMPLATES)[number];

export const DEFAULT_TIME_ZONE = 'Europe/Amsterdam';
/** One list card shows at most this many employees (it must stay under Teams' 28 KB). */
export const MAX_LIST_PEOPLE = 20;
/** A picker shows at most this many matches. */
export const MAX_PICKER_PEOPLE = 20;
/** The history card shows at most this many entries. */
export const MAX_HISTORY_ENTRIES = 25;

/**
 * Teams refuses a message over about 28 KB, Activity envelope included. A list card that would be
 * larger than this (absurdly long names, large paging cursors) is rebuilt with compact rows.
 */
export const LIST_CARD_BUDGET_BYTES = 26 * 1024;

// Directory values are clipped on the cards (the buttons carry only the GUID, so nothing is lost).
const MAX_NAME = 80;
const MAX_UPN = 100;
const MAX_SAM = 64;
const MAX_ENVIRONMENT = 100;
const MAX_FREE_TEXT = 1000;

interface RowWidths {
  readonly name: number;
  readonly upn: number;
  readonly sam: number;
  /** 0: the environment is left out of the row (the list's title names it). */
  readonly environment: number;
}
const FULL_ROW: RowWidths = { name: 64, upn: 80, sam: 24, environment: 40 };
const COMPACT_ROW: RowWidths = { name: 40, upn: 48, sam: 24, environment: 0 };

// ---------------------------------------------------------------------------------------------
// Templates

let cardsDirectory: string | undefined;

/**
 * cards/ beside package.json: found by walking up from this file, so it works from src/bot under
 * vitest and from dist/src/bot after a build.
 */
export function findCardsDirectory(): string {
  if (cardsDirectory) return cardsDirectory;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    const candidate = join(dir, 'cards');
    if (existsSync(join(candidate, `${CARD_TEMPLATES[0]}.json`))) return (cardsDirectory = candidate);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`card templates not found: no cards/ folder above ${start}`);
    dir = parent;
  }
}

const templates = new Map<CardTemplateName, Template>();

function template(name: CardTemplateName): Template {
  let loaded = templates.get(name);
  if (!loaded) {
    const file = join(findCardsDirectory(), `${name}.json`);
    loaded = new Template(JSON.parse(readFileSync(file, 'utf8')) as unknown);
    templates.set(name, loaded);
  }
  return loaded;
}

/** Loads (and parses) every template now, so a missing or broken file stops the start-up. */
export function preloadCardTemplates(): void {
  for (const name of CARD_TEMPLATES) template(name);
}

function expand(name: CardTemplateName, data: object): AdaptiveCardAttachment {
  const content = template(name).expand({ $root: data }) as AdaptiveCardContent;
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Shortens to `max` characters (not UTF-16 units, so no emoji is cut in half). */
function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const LOCALES: Record<Language, string> = { nl: 'nl-NL', en: 'en-GB' };

export function formatTime(at: Date, lang: Language, timeZone: string): string {
  return new Intl.DateTimeFormat(LOCALES[lang], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(at);
}

function formatDateTime(at: Date, lang: Language, timeZone: string): string {
  return new Intl.DateTimeFormat(LOCALES[lang], {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(at);
}

/** The account's state in a few words, as a row shows it: states, not alarms. */
function statusHint(person: Person, t: Texts, lang?: Language, timeZone: string = DEFAULT_TIME_ZONE): string {
  const { status } = person;
  const locked = status.lockedOut && status.lockedSince && lang ? fill(t.accountStatus.lockedShort, { time: formatDateTime(status.lockedSince, lang, timeZone) }) : t.common.status.lockedOut;
  const hints = [
    status.disabled && t.common.status.disabled,
    status.lockedOut && locked,
    status.accountExpired && t.common.status.accountExpired,
    status.passwordExpired && !status.mustChange && t.common.status.passwordExpired,
    status.mustChange && t.common.status.mustChange,
  ].filter((hint): hint is string => typeof hint === 'string');
  return hints.join(', ');
}

/** What a row shows of a person: name, status hint, and the seed's other columns on one line. */
function personRow(person: Person, t: Texts, widths: RowWidths, environmentName?: string, lang?: Language, timeZone?: string) {
  const hint = statusHint(person, t, lang, timeZone);
  const { columns } = t.common;
  // The seed's column order: Displayname (the row's heading), Domainname, UPN, Pre-windows.
  const details = [
    ...(environmentName === undefined || widths.environment === 0
      ? []
      : [`${columns.domainName}: ${clip(environmentName, widths.environment)}`]),
    `${columns.upn}: ${clip(person.upn ?? t.common.none, widths.upn)}`,
    `${columns.preWindows}: ${clip(person.sam, widths.sam)}`,
  ].join(' · ');
  return { name: clip(person.displayName, widths.name), hasHint: hint !== '', hint: `  (${hint})`, details };
}

function formatDate(at: Date, lang: Language, timeZone: string): string {
  return new Intl.DateTimeFormat(LOCALES[lang], { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(at);
}

/**
 * The account as the directory computes it, as label/value rows: the account (locked out and since
 * when, disabled, expired), the password (waiting for the employee's own choice after a reset,
 * expired, when set), and when the account expires. Worded as states, not alarms.
 */
export function statusFacts(person: Person, lang: Language, timeZone: string = DEFAULT_TIME_ZONE) {
  const t = TEXTS[lang].accountStatus;
  const { status } = person;
  const when = (at: Date) => formatDateTime(at, lang, timeZone);
  const account = [
    status.lockedOut ? (status.lockedSince ? fill(t.lockedSince, { time: when(status.lockedSince) }) : t.locked) : null,
    status.disabled ? t.disabled : null,
    status.accountExpired && status.accountExpires ? fill(t.expiredOn, { time: formatDate(status.accountExpires, lang, timeZone) }) : null,
  ].filter((part): part is string => part !== null);
  const set = status.passwordLastSet ? formatDate(status.passwordLastSet, lang, timeZone) : null;
  const password = status.mustChange
    ? t.waiting
    : status.passwordExpired
      ? t.passwordExpired
      : set === null
        ? t.notSet
        : fill(status.passwordNeverExpires ? t.neverExpires : t.setOn, { time: set });
  return [
    { label: t.account, value: account.length > 0 ? account.join(', ') : t.active, color: account.length > 0 ? 'Attention' : 'Default' },
    { label: t.password, value: password, color: status.passwordExpired && !status.mustChange ? 'Attention' : 'Default' },
    { label: t.expires, value: status.accountExpires ? formatDate(status.accountExpires, lang, timeZone) : t.never, color: 'Default' },
  ];
}

/** The seed's four columns for one person, as label/value rows. */
function personFacts(person: Person, environmentName: string, t: Texts) {
  const { columns } = t.common;
  return [
    { label: columns.displayName, value: clip(person.displayName, MAX_NAME) },
    { label: columns.domainName, value: clip(environmentName, MAX_ENVIRONMENT) },
    { label: columns.upn, value: clip(person.upn ?? t.common.none, MAX_UPN) },
    { label: columns.preWindows, value: clip(person.sam, MAX_SAM) },
  ];
}

// ---------------------------------------------------------------------------------------------
// Cards

/** `pending`: a command typed before signing in, run once the admin has signed in. */
export function signInCard(lang: Language, options: { error?: string; pending?: string } = {}): AdaptiveCardAttachment {
  const error = clip(options.error ?? '', MAX_FREE_TEXT);
  const pending = options.pending ? fill(TEXTS[lang].signIn.pending, { command: clip(options.pending, MAX_FREE_TEXT) }) : '';
  return expand('sign-in', {
    t: TEXTS[lang].signIn,
    hasPending: pending !== '',
    pending,
    hasError: error !== '',
    error,
    signin: buttonData('signin', {}),
  });
}

export function environmentPickerCard(
  lang: Language,
  options: { tenants: readonly { key: string; name: string }[]; activeKey?: string; notice?: string },
): AdaptiveCardAttachment {
  const t = TEXTS[lang].environmentPicker;
  const notice = clip(options.notice ?? '', MAX_FREE_TEXT);
  return expand('environment-picker', {
    t: { ...t, currentSuffix: `  (${t.current})` },
    hasNotice: notice !== '',
    notice,
    tenants: options.tenants.map((tenant) => ({
      name: clip(tenant.name, MAX_ENVIRONMENT),
      current: tenant.key === options.activeKey,
      choose: buttonData('env.choose', { tenantKey: tenant.key }),
    })),
  });
}

export function employeeListCard(
  lang: Language,
  options: {
    environmentName: string;
    /**
     * `mark`: what the admin did to that employee lately ("reset by you at 10:42"); `refusal`: why
     * the bot will refuse them (the row then has no Reset or Mail password); only rows without one
     * carry a nonce. `unlockNonce`: a locked-out account's row gets Unlock, as its card does.
     */
    people: readonly { person: Person; nonce?: string; unlockNonce?: string; mark?: string; refusal?: string }[];
    timeZone?: string;
    /** The request that reads this page again: row buttons carry it, so the list comes back after an action. */
    origin?: ListOrigin;
    search?: string;
    previous?: PageCursor;
    next?: PageCursor;
    pageNumber: number;
    mailMode?: 'password' | 'link';
    /** A line above the list (e.g. "there is no page 99"). */
    note?: string;
  },
): AdaptiveCardAttachment {
  const { environmentName, people, previous, next, pageNumber } = options;
  const note = clip(options.note ?? '', MAX_FREE_TEXT);
  if (people.length > MAX_LIST_PEOPLE) {
    throw new RangeError(`a list card shows at most ${MAX_LIST_PEOPLE} people, got ${people.length}`);
  }
  const texts = TEXTS[lang];
  const t = texts.employeeList;
  const search = clip(options.search?.trim() ?? '', 100);
  const quoted = `“${search}”`;
  // Paging keeps the search that produced this page, whatever is typed in the box meanwhile.
  const paging = search === '' ? {} : { search };
  const list = options.origin ? { list: options.origin } : {};
  const build = (widths: RowWidths) =>
    expand('employee-list', {
      t: {
        title: fill(t.title, { environment: clip(environmentName, MAX_ENVIRONMENT) }),
        page: search === '' ? fill(t.page, { page: pageNumber }) : fill(t.pageWithSearch, { page: pageNumber, search: quoted }),
        // The seed's table header, once: each row is the display name, then the other three columns.
        columns: [texts.common.columns.displayName, texts.common.columns.domainName, texts.common.columns.upn, texts.common.columns.preWindows].join(' · '),
        searchPlaceholder: t.searchPlaceholder,
        search: t.search,
        previous: t.previous,
        next: t.next,
        empty: search === '' ? t.empty : fill(t.emptySearch, { search: quoted }),
        reset: texts.common.reset,
        mailPassword: options.mailMode === 'link' ? texts.common.sendLink : texts.common.mailPassword,
        unlock: texts.common.unlock,
      },
      search,
      hasNote: note !== '',
      note,
      isEmpty: people.length === 0,
      people: people.map(({ person, nonce, unlockNonce, mark, refusal }) => {
        const canUnlock = person.status.lockedOut && unlockNonce !== undefined;
        const refused = refusal !== undefined || nonce === undefined;
        return {
          ...personRow(person, texts, widths, environmentName, lang, options.timeZone),
          hasMark: mark !== undefined,
          mark: clip(mark ?? '', 200),
          refused,
          refusal: refusal ?? '',
          hasButtons: !refused || canUnlock,
          canUnlock,
          reset: refused ? {} : buttonData('reset', { guid: person.guid, nonce, ...list }),
          mail: refused ? {} : buttonData('mail.form', { guid: person.guid, ...list }),
          unlock: canUnlock ? buttonData('unlock', { guid: person.guid, nonce: unlockNonce, ...list }) : {},
        };
      }),
      searchAction: buttonData('list', {}),
      hasPrevious: previous !== undefined,
      hasNext: next !== undefined,
      previousAction: previous && buttonData('list', { ...paging, before: previous, page: pageNumber }),
      nextAction: next && buttonData('list', { ...paging, after: next, page: pageNumber }),
    });
  const card = build(FULL_ROW);
  return cardBytes(card) <= LIST_CARD_BUDGET_BYTES ? card : build(COMPACT_ROW);
}

/** The size Teams counts: the card's JSON in UTF-8. */
export function cardBytes(attachment: AdaptiveCardAttachment): number {
  return Buffer.byteLength(JSON.stringify(attachment.content), 'utf8');
}

export function employeeCard(
  lang: Language,
  options: { environmentName: string; person: Person; nonce?: string; unlockNonce?: string; notice?: string; refusal?: string; timeZone?: string; mailMode?: 'password' | 'link' },
): AdaptiveCardAttachment {
  const { environmentName, person, nonce, unlockNonce, timeZone = DEFAULT_TIME_ZONE } = options;
  // Refused (or no confirmation): no Reset and no Mail password, and the reason in plain words.
  const refusal = clip(options.refusal ?? '', MAX_FREE_TEXT);
  const canReset = nonce !== undefined && refusal === '';
  const texts = TEXTS[lang];
  const notice = clip(options.notice ?? '', MAX_FREE_TEXT);
  // Unlock only where there is a lock-out to end, and only with its own confirmation.
  const canUnlock = person.status.lockedOut && unlockNonce !== undefined;
  return expand('employee', {
    t: {
      ...texts.employee,
      irreversible: texts.common.irreversible,
      reset: texts.common.reset,
      mailPassword: options.mailMode === 'link' ? texts.common.sendLink : texts.common.mailPassword,
      unlock: texts.common.unlock,
      statusHeading: texts.accountStatus.heading,
      unlockExplain: texts.accountStatus.unlockExplain,
    },
    facts: personFacts(person, environmentName, texts),
    status: statusFacts(person, lang, timeZone),
    hasNotice: notice !== '',
    notice,
    canUnlock,
    canReset,
    hasRefusal: refusal !== '',
    refusal,
    reset: canReset ? buttonData('reset', { guid: person.guid, nonce }) : {},
    mail: canReset ? buttonData('mail.form', { guid: person.guid }) : {},
    unlock: canUnlock ? buttonData('unlock', { guid: person.guid, nonce: unlockNonce }) : {},
  });
}

export function mailFormCard(
  lang: Language,
  options: {
    environmentName: string;
    person: Person;
    address: string;
    language: Language | null;
    nonce: string;
    error?: string;
    languageMissing?: boolean;
    /** The list page the form came from (Cancel and the outcome go back to it). */
    origin?: ListOrigin;
    /** Link mode: the form sends a link, and nothing is reset. */
    mailMode?: 'password' | 'link';
  },
): AdaptiveCardAttachment {
  const { environmentName, person, language, nonce } = options;
  const texts = TEXTS[lang];
  const error = clip(options.error ?? '', MAX_FREE_TEXT);
  const link = options.mailMode === 'link' ? { title: texts.linkForm.title, submit: texts.linkForm.submit, irreversible: texts.linkForm.nothingYet } : {};
  return expand('mail-form', {
    t: { ...texts.mailForm, irreversible: texts.common.irreversible, ...link },
    facts: personFacts(person, environmentName, texts),
    hasError: error !== '',
    error,
    address: clip(options.address, 320),
    language: language ?? '',
    hasLanguageError: options.languageMissing === true,
    send: buttonData('mail.send', { guid: person.guid, nonce, ...(options.origin ? { list: options.origin } : {}) }),
    cancel: buttonData('mail.cancel', { guid: person.guid, ...(options.origin ? { list: options.origin } : {}) }),
  });
}

/** "The password of {name} … {recipient} … {time}": the sentence both mail outcome cards start with. */
function mailBody(text: string, person: Person, maskedRecipient: string, at: Date, lang: Language, timeZone: string): string {
  return fill(text, { name: clip(person.displayName, MAX_NAME), recipient: clip(maskedRecipient, 320), time: formatTime(at, lang, timeZone) });
}

export function mailOutcomeCard(
  lang: Language,
  options: { person: Person; maskedRecipient: string; at: Date; noticeSent: boolean; timeZone?: string },
): AdaptiveCardAttachment {
  const { person, maskedRecipient, at, noticeSent, timeZone = DEFAULT_TIME_ZONE } = options;
  const t = TEXTS[lang].mailOutcome;
  return expand('mail-outcome', { t: { ...t, body: mailBody(t.body, person, maskedRecipient, at, lang, timeZone) }, noticeSent });
}

/** Link mode: the link went out; nothing changed in the directory. */
export function linkOutcomeCard(lang: Language, options: { person: Person; maskedRecipient: string; at: Date; expiresAt: Date; timeZone?: string }): AdaptiveCardAttachment {
  const { person, maskedRecipient, at, expiresAt, timeZone = DEFAULT_TIME_ZONE } = options;
  const t = TEXTS[lang].linkOutcome;
  const expires = new Intl.DateTimeFormat(lang === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(expiresAt);
  return expand('mail-outcome', {
    // The mail outcome's card, without its notice line: no notice goes out in link mode.
    t: { ...t, notice: '', body: mailBody(t.body, person, maskedRecipient, at, lang, timeZone), mustChange: fill(t.mustChange, { expires }) },
    noticeSent: false,
  });
}

export function mailFailedCard(
  lang: Language,
  options: { person: Person; maskedRecipient: string; at: Date; errorText: string; nonce: string; timeZone?: string },
): AdaptiveCardAttachment {
  const { person, maskedRecipient, at, errorText, nonce, timeZone = DEFAULT_TIME_ZONE } = options;
  const t = TEXTS[lang].mailFailed;
  return expand('mail-failed', {
    t: {
      ...t,
      body: mailBody(t.body, person, maskedRecipient, at, lang, timeZone),
      reason: fill(t.reason, { error: clip(errorText, MAX_FREE_TEXT) }),
    },
    reveal: buttonData('reveal', { guid: person.guid, nonce }),
  });
}

export function resetDoneCard(lang: Language, options: { person: Person; at: Date; timeZone?: string }): AdaptiveCardAttachment {
  const { person, at, timeZone = DEFAULT_TIME_ZONE } = options;
  const t = TEXTS[lang].resetDone;
  return expand('reset-done', {
    t: { ...t, body: fill(t.body, { name: clip(person.displayName, MAX_NAME), time: formatTime(at, lang, timeZone) }) },
  });
}

/**
 * What became of a password change the directory did not confirm. Never a password.
 * - `unknown`: no answer came; Check again (`reset.check`) asks the directory.
 * - `pending` / `unchecked`: not known yet, or the directory could not be asked; Check again.
 * - `applied` (nobody has seen that password) / `not-applied`: Reset again.
 */
export type ResetStatus =
  | { readonly kind: 'unknown' | 'pending'; readonly person: Person; readonly correlationId: string }
  | { readonly kind: 'unchecked'; readonly guid: string; readonly correlationId: string; readonly errorText: string }
  | { readonly kind: 'applied'; readonly person: Person; readonly at: Date | null; readonly nonce: string; readonly timeZone?: string }
  | { readonly kind: 'not-applied'; readonly person: Person; readonly nonce: string };

export function resetStatusCard(lang: Language, status: ResetStatus): AdaptiveCardAttachment {
  const t = TEXTS[lang].resetStatus;
  const name = 'person' in status ? clip(status.person.displayName, MAX_NAME) : '';
  const check = (guid: string, correlationId: string) => ({ hasCheck: true, check: buttonData('reset.check', { guid, correlationId }) });
  const reset = (person: Person, nonce: string) => ({ hasReset: true, reset: buttonData('reset', { guid: person.guid, nonce }) });
  const common = { check: t.check, reset: TEXTS[lang].common.reset, reason: '' };
  const data = (() => {
    switch (status.kind) {
      case 'unknown':
        return { color: 'Warning', t: { ...common, title: t.unknownTitle, body: fill(t.unknownBody, { name }), note: t.unknownNote }, ...check(status.person.guid, status.correlationId) };
      case 'pending':
        return { color: 'Warning', t: { ...common, title: t.pendingTitle, body: fill(t.pendingBody, { name }), note: t.unknownNote }, ...check(status.person.guid, status.correlationId) };
      case 'unchecked':
        return {
          color: 'Attention',
          hasReason: true,
          t: { ...common, title: t.uncheckedTitle, body: t.uncheckedBody, note: t.unknownNote, reason: fill(t.reason, { error: clip(status.errorText, MAX_FREE_TEXT) }) },
          ...check(status.guid, status.correlationId),
        };
      case 'applied': {
        const body = status.at
          ? fill(t.appliedBody, { name, time: formatDateTime(status.at, lang, status.timeZone ?? DEFAULT_TIME_ZONE) })
          : fill(t.appliedBodyNoTime, { name });
        return { color: 'Attention', t: { ...common, title: t.appliedTitle, body, note: t.appliedNote }, ...reset(status.person, status.nonce) };
      }
      case 'not-applied':
        return { color: 'Default', t: { ...common, title: t.notAppliedTitle, body: fill(t.notAppliedBody, { name }), note: t.notAppliedNote }, ...reset(status.person, status.nonce) };
    }
  })();
  return expand('reset-status', { hasReason: false, hasCheck: false, hasReset: false, ...data });
}

/**
 * The only place a temporary password is shown: a Teams dialog, answered to `task/fetch`, which is
 * not part of the chat history. Returns the whole invoke response body.
 */
export function passwordDialog(lang: Language, options: { person: Person; password: string }): TaskModuleContinueResponse {
  const t = TEXTS[lang].passwordDialog;
  const card = expand('password-dialog', {
    t: { ...t, heading: fill(t.heading, { name: clip(options.person.displayName, MAX_NAME) }) },
    password: options.password,
    close: buttonData('dialog.close', {}),
  });
  return { task: { type: 'continue', value: { title: t.title, width: 'medium', card } } };
}

export function pickerCard(
  lang: Language,
  options: { people: readonly Person[]; intent: 'reset' | 'mail' | 'status' },
): AdaptiveCardAttachment {
  const { people, intent } = options;
  const texts = TEXTS[lang];
  const t = texts.picker;
  const shown = people.slice(0, MAX_PICKER_PEOPLE);
  return expand('picker', {
    t: {
      title: t.title,
      intro: intent === 'reset' ? t.introReset : intent === 'mail' ? t.introMail : t.introStatus,
      more: fill(t.more, { count: MAX_PICKER_PEOPLE }),
      choose: t.choose,
    },
    people: shown.map((person) => ({
      ...personRow(person, texts, FULL_ROW),
      pick: buttonData('pick', { guid: person.guid, intent }),
    })),
    truncated: people.length > shown.length,
  });
}

const MESSAGE_COLORS = { info: 'Default', warning: 'Warning', error: 'Attention' } as const;

export function messageCard(
  lang: Language,
  options: { text: string; kind: 'info' | 'error' | 'warning'; reference?: string },
): AdaptiveCardAttachment {
  const reference = clip(options.reference ?? '', 100);
  return expand('message', {
    t: { reference: fill(TEXTS[lang].common.reference, { reference }) },
    text: clip(options.text, MAX_FREE_TEXT),
    color: MESSAGE_COLORS[options.kind],
    hasReference: reference !== '',
  });
}

/** The commands, with the other language's words; `notice` (e.g. "I did not understand …") comes first. */
export function helpCard(lang: Language, options: { notice?: string; samPrefix?: string } = {}): AdaptiveCardAttachment {
  const notice = clip(options.notice ?? '', MAX_FREE_TEXT);
  const t = TEXTS[lang].help;
  // The example in the environment's own pre-Windows form (sbf_jmus in Hosting, acme_jmus in Acme).
  const example = 'jmus';
  const prefix = clip(options.samPrefix ?? '', 20);
  const footer = fill(prefix === '' ? t.footerNoPrefix : t.footer, { example, prefixed: `${prefix}${example}` });
  const commands = t.commands.map((c) => ({ ...c, hasAlso: c.also !== undefined, also: c.also ?? '' }));
  return expand('help', { t: { ...t, footer, commands }, hasNotice: notice !== '', notice });
}

const OUTCOME_COLORS = {
  intent: 'Default',
  success: 'Good',
  refused: 'Warning',
  failed: 'Attention',
  unknown: 'Warning',
  applied: 'Good',
  'not-applied': 'Default',
} as const;

export function historyCard(
  lang: Language,
  options: { environmentName: string; lines: readonly HistoryLine[]; page?: number; more?: boolean; user?: string; timeZone?: string },
): AdaptiveCardAttachment {
  const { environmentName, page = 1, timeZone = DEFAULT_TIME_ZONE } = options;
  const t = TEXTS[lang].history;
  const entries = options.lines.slice(0, MAX_HISTORY_ENTRIES).map((line) => {
    const reason = line.errorCode && Object.hasOwn(ERROR_CATALOG, line.errorCode) ? ERROR_CATALOG[line.errorCode as keyof typeof ERROR_CATALOG][lang] : null;
    const details = [
      fill(t.by, { admin: clip(line.admin ?? t.unknown, MAX_UPN) }),
      // In full: this history is shown only to the admins of its own environment.
      ...(line.recipient ? [fill(t.to, { recipient: clip(line.recipient, 320) }) + (line.language ? ` (${line.language.toUpperCase()})` : '')] : []),
      ...(line.noticeSent ? [t.noticeSent] : []),
      ...(reason ? [reason] : []),
    ];
    return {
      when: formatDateTime(line.at, lang, timeZone),
      summary: ` · ${t.actions[line.action]}${line.target === null ? '' : ` · ${clip(line.target, MAX_SAM)}`}`,
      outcome: t.outcomes[line.outcome],
      outcomeColor: OUTCOME_COLORS[line.outcome],
      details: ` · ${details.join(' · ')}`,
    };
  });
  const command = [t.command, ...(options.user ? [clip(options.user, 100)] : []), String(page + 1)].join(' ');
  return expand('history', {
    t: {
      title: fill(page > 1 ? t.titlePage : t.title, { environment: clip(environmentName, MAX_ENVIRONMENT), page }),
      empty: t.empty,
      more: fill(t.more, { command }),
    },
    isEmpty: entries.length === 0,
    hasMore: options.more === true,
    entries,
  });
}
