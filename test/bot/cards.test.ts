/**
 * The cards the bot sends, checked with Microsoft's own Adaptive Cards parser (the `adaptivecards`
 * package, as Teams' renderer is built on it) at version 1.5, plus the button data round trip:
 * every button's data, with the card's inputs merged in as a client would, is accepted by
 * parseCardAction.
 *
 * The parser runs in plain Node: parse(), validateProperties() and toJSON() touch no DOM (only
 * render() needs one). It ignores unknown properties silently, so `lostProperties` also compares
 * the card with what the parser read back, to catch a misspelt or unsupported property.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-log.js';
import type { PageCursor, Person } from '../../src/directory/directory.js';
import { fill, type Language } from '../../src/i18n/translations.js';
import { buttonData, CARD_VERBS, parseCardAction, type CardVerb } from '../../src/bot/card-actions.js';
import * as cards from '../../src/bot/cards.js';
import { historyLines } from '../../src/employees/history.js';
import type { AdaptiveCardAttachment } from '../../src/bot/cards.js';
import { TEXTS } from '../../src/bot/texts.js';

// ------------------------------------------------------------------------ the parser, typed

interface AcEvent {
  readonly phase: number;
  readonly event: number;
  readonly message: string;
}
interface AcModule {
  AdaptiveCard: new () => {
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: AcEvent[] };
    toJSON(): unknown;
  };
  SerializationContext: new (version: unknown) => { readonly eventCount: number; getEventAt(index: number): AcEvent };
  Versions: { readonly v1_5: unknown };
  ValidationEvent: Record<number, string>;
}

const require = createRequire(import.meta.url);
const AC = require('adaptivecards/dist/adaptivecards.js') as AcModule;

/** Everything the parser reports, as readable lines: errors and warnings alike. */
function parserEvents(content: unknown): { events: string[]; parsed: unknown } {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  card.parse(content, context);
  const events: string[] = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    events.push(`parse ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents) {
    events.push(`validate ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  return { events, parsed: card.toJSON() };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Properties of `source` that the parser did not keep. Allowed: the root `msteams` (Teams' own
 * extension, e.g. full width) and empty strings (an empty Input value is the default).
 */
function lostProperties(source: Json, parsed: Json, path = ''): string[] {
  if (Array.isArray(source)) {
    if (!Array.isArray(parsed)) return [path];
    return source.flatMap((item, i) => lostProperties(item, parsed[i] ?? null, `${path}[${i}]`));
  }
  if (typeof source === 'object' && source !== null) {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return [path];
    return Object.entries(source).flatMap(([key, value]) => {
      if (path === '' && key === 'msteams') return [];
      if (value === '') return [];
      if (!(key in parsed)) return [`${path}.${key}`];
      if (key === 'data') return []; // button data is passed through as is
      return lostProperties(value, parsed[key] ?? null, `${path}.${key}`);
    });
  }
  return source === parsed ? [] : [`${path} (${JSON.stringify(source)} became ${JSON.stringify(parsed)})`];
}

function expectValidCard(attachment: AdaptiveCardAttachment): void {
  expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
  const content = attachment.content;
  expect(content.type).toBe('AdaptiveCard');
  expect(content['$schema']).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  expect(Number(content.version)).toBeLessThanOrEqual(1.5);
  const json = JSON.stringify(content);
  expect(json).not.toContain('${');
  expect(Buffer.byteLength(json, 'utf8')).toBeLessThan(28 * 1024);
  const { events, parsed } = parserEvents(content);
  expect(events).toEqual([]);
  expect(lostProperties(content as Json, parsed as Json)).toEqual([]);
}

// ------------------------------------------------------------------------ walking a card

type Node = Record<string, unknown>;

function walk(value: unknown, visit: (node: Node, path: string) => void, path = ''): void {
  if (Array.isArray(value)) value.forEach((item, i) => walk(item, visit, `${path}[${i}]`));
  else if (typeof value === 'object' && value !== null) {
    visit(value as Node, path);
    for (const [key, inner] of Object.entries(value)) if (key !== 'data') walk(inner, visit, `${path}.${key}`);
  }
}

function nodesOfType(content: unknown, prefix: string): Node[] {
  const found: Node[] = [];
  walk(content, (node) => {
    if (typeof node['type'] === 'string' && node['type'].startsWith(prefix)) found.push(node);
  });
  return found;
}

/** What a person would type or pick, per input id; a card with any other input fails the test. */
const SAMPLE_TEXT_INPUTS: Record<string, string> = {
  login: 'CORP\\hadmin',
  password: 'Admin-Pass-2026!',
  search: 'mus',
  address: 'joman.mus@mijnsynergy.nl',
};

function sampleInputs(content: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  for (const input of nodesOfType(content, 'Input.')) {
    const id = String(input['id']);
    if (input['type'] === 'Input.ChoiceSet') {
      const choices = input['choices'] as { value: string }[];
      values[id] = (choices[choices.length - 1] as { value: string }).value;
    } else {
      const sample = SAMPLE_TEXT_INPUTS[id];
      if (sample === undefined) throw new Error(`no sample value for input "${id}"`);
      values[id] = sample;
    }
  }
  return values;
}

/** Clicks every button as a client would and parses what the bot would receive. */
function clickAll(attachment: AdaptiveCardAttachment): { verb: CardVerb; data: Record<string, unknown> }[] {
  const inputs = sampleInputs(attachment.content);
  return nodesOfType(attachment.content, 'Action.').map((action) => {
    const data = action['data'] as Record<string, unknown>;
    expect(typeof data['verb'], `${String(action['title'])} carries a verb`).toBe('string');
    if (action['type'] === 'Action.Execute') expect(action['verb']).toBe(data['verb']);
    else expect(action['type']).toBe('Action.Submit');
    const sent = action['associatedInputs'] === 'none' ? { ...data } : { ...data, ...inputs };
    const parsed = parseCardAction(sent);
    expect(parsed, `button ${String(action['title'])} (${String(data['verb'])})`).not.toBeNull();
    expect(parsed?.verb).toBe(data['verb']);
    return { verb: data['verb'] as CardVerb, data };
  });
}

// ------------------------------------------------------------------------ sample data

const GUIDS = Array.from({ length: 60 }, (_, i) => `0f8e6a2c-${(1000 + i).toString(16).padStart(4, '0')}-4a1b-9c3d-5e7f80a1b2c3`);
const NONCE = 'q3Jx0mVh8YpL2sT6wZbN1cKf4RdU7eGa9iHoQ5vXyA0'; // 43 chars, like 32 random bytes
const REVEAL_NONCE = 'Zk3nVb8QwLr2Tx6YpHs1Md';

function person(overrides: Partial<Person> & { sam: string; displayName: string }): Person {
  return {
    dn: `CN=${overrides.displayName},OU=Hosting,OU=Tenants,DC=corp,DC=test`,
    guid: GUIDS[0] as string,
    upn: `${overrides.sam.replace(/^sbf_/, '')}@mijnsynergy.nl`,
    mail: `${overrides.sam.replace(/^sbf_/, '')}@mijnsynergy.nl`,
    status: { disabled: false, lockedOut: false, mustChange: false, passwordNeverExpires: false, passwordExpired: false, lockedSince: null, passwordLastSet: null, accountExpires: null, accountExpired: false },
    facts: { userAccountControl: 512, computedAccountControl: 0, lockoutTime: null, pwdLastSet: null, accountExpires: null, adminCount: false, primaryGroupId: 513 },
    ...overrides,
  };
}

const JMUS = person({ sam: 'sbf_jmus', displayName: 'Joman Mus', upn: 'joman.mus@mijnsynergy.nl', guid: GUIDS[1] as string });
const INFO = person({ sam: 'sbf_info', displayName: 'Info SBF', upn: 'info@mijnsynergy.nl', guid: GUIDS[2] as string });
const LOCKED = person({
  sam: 'sbf_kzonder',
  displayName: 'Kees Zondermail',
  mail: null,
  upn: null,
  guid: GUIDS[3] as string,
  status: { disabled: true, lockedOut: true, mustChange: true, passwordNeverExpires: false, passwordExpired: false, lockedSince: null, passwordLastSet: null, accountExpires: null, accountExpired: false },
});
const CURSOR: PageCursor = { displayName: 'Joman Mus', guid: GUIDS[1] as string };
const AT = new Date('2026-03-05T13:05:00Z'); // 14:05 in Amsterdam
const CORRELATION = '6e3f9a4b-9c7d-4b0e-8d84-3f4a5b6c7d8e';

const AUDIT: AuditEntry[] = [
  {
    id: '3b0c6d2e-6f4a-4e7b-9a51-0c1d2e3f4a5b',
    time: '2026-03-05T13:05:00.000Z',
    environment: 'hosting',
    admin: { dn: 'CN=Hosting Admin,OU=Hosting', upn: 'admin@mijnsynergy.nl' },
    target: { dn: JMUS.dn, sam: 'sbf_jmus', guid: JMUS.guid },
    action: 'mail',
    outcome: 'success',
    mail: { recipient: 'joman.mus@mijnsynergy.nl', language: 'nl', messageId: '<a@b>' },
  },
  {
    id: '4c1d7e3f-7a5b-4f8c-8b62-1d2e3f4a5b6c',
    time: '2026-03-05T12:00:00.000Z',
    environment: 'hosting',
    admin: { dn: null, upn: null },
    target: { dn: null, sam: null, guid: null, reference: 'sbf_dadmin' },
    action: 'reset',
    outcome: 'refused',
    errorCode: 'TARGET_PROTECTED',
  },
  {
    id: '5d2e8f4a-8b6c-4a9d-9c73-2e3f4a5b6c7d',
    time: '2026-03-04T09:30:00.000Z',
    environment: 'hosting',
    admin: { dn: 'CN=Hosting Admin,OU=Hosting', upn: 'admin@mijnsynergy.nl' },
    action: 'sign-in',
    outcome: 'failed',
    errorCode: 'NOT_IN_THE_CATALOG',
  },
];

/** Every builder, with representative data. */
function allCards(lang: Language): Record<string, AdaptiveCardAttachment> {
  return {
    signIn: cards.signInCard(lang),
    signInError: cards.signInCard(lang, { error: 'The user name or password is not correct.' }),
    environmentPicker: cards.environmentPickerCard(lang, {
      tenants: [
        { key: 'hosting', name: 'Hosting' },
        { key: 'acme', name: 'Acme' },
      ],
      activeKey: 'acme',
    }),
    employeeList: cards.employeeListCard(lang, {
      environmentName: 'Hosting',
      people: [INFO, JMUS, LOCKED].map((p, i) => ({ person: p, nonce: `${NONCE.slice(0, 40)}00${i}` })),
      previous: CURSOR,
      next: CURSOR,
      pageNumber: 2,
      search: 'mus',
    }),
    employeeListFirst: cards.employeeListCard(lang, {
      environmentName: 'Hosting',
      people: [{ person: JMUS, nonce: NONCE }],
      next: CURSOR,
      pageNumber: 1,
    }),
    employeeListEmpty: cards.employeeListCard(lang, { environmentName: 'Hosting', people: [], search: 'zz', pageNumber: 1 }),
    employee: cards.employeeCard(lang, { environmentName: 'Hosting', person: JMUS, nonce: NONCE }),
    employeeLocked: cards.employeeCard(lang, { environmentName: 'Hosting', person: LOCKED, nonce: NONCE, unlockNonce: REVEAL_NONCE }),
    mailForm: cards.mailFormCard(lang, {
      environmentName: 'Hosting',
      person: JMUS,
      address: 'joman.mus@mijnsynergy.nl',
      language: 'en',
      nonce: NONCE,
    }),
    mailFormError: cards.mailFormCard(lang, {
      environmentName: 'Hosting',
      person: LOCKED,
      address: '',
      language: 'nl',
      nonce: NONCE,
      error: 'That e-mail address is not valid.',
    }),
    mailOutcome: cards.mailOutcomeCard(lang, { person: JMUS, maskedRecipient: 'jo…@mijnsynergy.nl', at: AT, noticeSent: true }),
    mailFailed: cards.mailFailedCard(lang, {
      person: JMUS,
      maskedRecipient: 'jo…@mijnsynergy.nl',
      at: AT,
      errorText: 'The mail server cannot be reached right now.',
      nonce: REVEAL_NONCE,
    }),
    resetDone: cards.resetDoneCard(lang, { person: JMUS, at: AT }),
    resetUnknown: cards.resetStatusCard(lang, { kind: 'unknown', person: JMUS, correlationId: CORRELATION }),
    resetPending: cards.resetStatusCard(lang, { kind: 'pending', person: JMUS, correlationId: CORRELATION }),
    resetUnchecked: cards.resetStatusCard(lang, { kind: 'unchecked', guid: JMUS.guid, correlationId: CORRELATION, errorText: 'The directory cannot be reached right now.' }),
    resetApplied: cards.resetStatusCard(lang, { kind: 'applied', person: JMUS, at: AT, nonce: NONCE }),
    resetAppliedNoTime: cards.resetStatusCard(lang, { kind: 'applied', person: JMUS, at: null, nonce: NONCE }),
    resetNotApplied: cards.resetStatusCard(lang, { kind: 'not-applied', person: LOCKED, nonce: NONCE }),
    passwordDialog: cards.passwordDialog(lang, { person: JMUS, password: 'Ab3d-Ef4h-Jk5m-Np6q' }).task.value.card,
    picker: cards.pickerCard(lang, { people: [JMUS, INFO, LOCKED], intent: 'mail' }),
    message: cards.messageCard(lang, { text: 'No employee of this environment matches that name.', kind: 'error', reference: 'abc123' }),
    messageInfo: cards.messageCard(lang, { text: 'You are signed out.', kind: 'info' }),
    messageWarning: cards.messageCard(lang, { text: 'Careful.', kind: 'warning' }),
    help: cards.helpCard(lang),
    history: cards.historyCard(lang, { environmentName: 'Hosting', lines: historyLines(AUDIT), more: true, user: 'jmus' }),
    historyEmpty: cards.historyCard(lang, { environmentName: 'Hosting', lines: [] }),
  };
}

const LANGUAGES: Language[] = ['nl', 'en'];

function texts(content: unknown): string {
  const found: string[] = [];
  walk(content, (node) => {
    for (const key of ['text', 'title', 'label', 'placeholder', 'value']) {
      if (typeof node[key] === 'string') found.push(node[key]);
    }
  });
  return found.join('\n');
}

// ------------------------------------------------------------------------ the tests

describe('card templates', () => {
  const dir = new URL('../../cards/', import.meta.url);

  it('are one file per builder, Adaptive Card 1.5 JSON with the schema', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(cards.CARD_TEMPLATES.map((n) => `${n}.json`).sort());
    for (const file of files) {
      const json = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Record<string, unknown>;
      expect(json['$schema'], file).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
      expect(json['type'], file).toBe('AdaptiveCard');
      expect(json['version'], file).toBe('1.5');
    }
    expect(() => cards.preloadCardTemplates()).not.toThrow();
  });

  it('hold no language: every text a person reads comes from data', () => {
    for (const name of cards.CARD_TEMPLATES) {
      const json = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as unknown;
      walk(json, (node, path) => {
        for (const key of ['text', 'title', 'label', 'placeholder', 'errorMessage', 'fallbackText']) {
          const value = node[key];
          if (value !== undefined) expect(value, `${name}${path}.${key}`).toMatch(/^\$\{[^}]+\}$/);
        }
      });
    }
  });
});

describe.each(LANGUAGES)('every card in %s', (lang) => {
  const built = allCards(lang);

  it.each(Object.keys(built))('%s is accepted by the adaptivecards parser at 1.5, without events', (name) => {
    expectValidCard(built[name] as AdaptiveCardAttachment);
  });

  it.each(Object.keys(built))('%s: every button sends data that parseCardAction accepts', (name) => {
    clickAll(built[name] as AdaptiveCardAttachment);
  });

  it('offers every verb somewhere, as the right kind of button', () => {
    const seen = new Set<string>();
    for (const attachment of Object.values(built)) {
      for (const action of nodesOfType(attachment.content, 'Action.')) {
        const data = action['data'] as Record<string, unknown>;
        const verb = data['verb'] as CardVerb;
        seen.add(verb);
        const dialog = verb === 'reset' || verb === 'reveal';
        if (dialog) expect(data['msteams']).toEqual({ type: 'task/fetch' });
        else expect(data).not.toHaveProperty('msteams');
        expect(action['type']).toBe(dialog || verb === 'dialog.close' ? 'Action.Submit' : 'Action.Execute');
      }
    }
    expect([...seen].sort()).toEqual([...CARD_VERBS].sort());
  });

  it('shows the texts of its language', () => {
    const t = TEXTS[lang];
    expect(texts(built['employeeList']?.content)).toContain(t.common.mailPassword);
    expect(texts(built['mailForm']?.content)).toContain(t.mailForm.title);
    expect(texts(built['mailForm']?.content)).toContain(t.common.irreversible);
    expect(texts(built['signIn']?.content)).toContain(t.signIn.intro);
  });
});

describe('the employee list', () => {
  it('shows the seed columns, status hints in small text, and Reset (dialog) and Mail password per employee', () => {
    const card = cards.employeeListCard('en', {
      environmentName: 'Hosting',
      people: [
        { person: JMUS, nonce: NONCE },
        { person: LOCKED, nonce: NONCE },
      ],
      pageNumber: 1,
    });
    const shown = texts(card.content);
    expect(shown).toContain('Joman Mus');
    // In English the columns read plainly; in Dutch they stay as the seed's portal showed them.
    expect(shown).toContain('Display name · Domain name · UPN · Pre-Windows name');
    expect(shown).toContain('Domain name: Hosting · UPN: joman.mus@mijnsynergy.nl · Pre-Windows name: sbf_jmus');
    expect(shown).toContain('UPN: — · Pre-Windows name: sbf_kzonder');
    const dutch = texts(cards.employeeListCard('nl', { environmentName: 'Hosting', people: [{ person: JMUS, nonce: NONCE }], pageNumber: 1 }).content);
    expect(dutch).toContain('Displayname · Domainname · UPN · Pre-windows');
    expect(dutch).toContain('Domainname: Hosting · UPN: joman.mus@mijnsynergy.nl · Pre-windows: sbf_jmus');
    const hint = nodesOfType(card.content, 'TextRun').find((r) => String(r['text']).includes('locked out'));
    expect(hint).toMatchObject({ size: 'Small', text: '  (disabled, locked out, waiting for the employee to choose a password)' });

    const clicks = clickAll(card);
    expect(clicks.filter((c) => c.verb === 'reset').map((c) => c.data)).toEqual([
      { msteams: { type: 'task/fetch' }, verb: 'reset', guid: JMUS.guid, nonce: NONCE },
      { msteams: { type: 'task/fetch' }, verb: 'reset', guid: LOCKED.guid, nonce: NONCE },
    ]);
    expect(clicks.filter((c) => c.verb === 'mail.form').map((c) => c.data)).toEqual([
      { verb: 'mail.form', guid: JMUS.guid },
      { verb: 'mail.form', guid: LOCKED.guid },
    ]);
    // Only the search box: no paging buttons without a cursor.
    expect(clicks.filter((c) => c.verb === 'list').map((c) => c.data)).toEqual([{ verb: 'list' }]);
    expect(nodesOfType(card.content, 'Input.Text')).toMatchObject([{ id: 'search' }]);
  });

  it("gives a locked-out row with its own confirmation Unlock, that brings the list back; a refused one Unlock only, beside its reason", () => {
    const NEVER = { ...LOCKED, guid: GUIDS[4] as string, displayName: 'Never Expires', sam: 'sbf_noexp' };
    const origin = { search: 'mus', page: 1 };
    const card = cards.employeeListCard('en', {
      environmentName: 'Hosting',
      people: [
        { person: JMUS, nonce: NONCE },
        { person: LOCKED, nonce: NONCE, unlockNonce: REVEAL_NONCE },
        { person: NEVER, unlockNonce: REVEAL_NONCE, refusal: 'The password never expires: the bot does not reset it.' },
      ],
      origin,
      pageNumber: 1,
    });
    const rows = (guid: string) =>
      nodesOfType(card.content, 'Action.')
        .filter((a) => (a['data'] as Record<string, unknown>)['guid'] === guid)
        .map((a) => [a['title'], (a['data'] as Record<string, unknown>)['verb']]);
    expect(rows(JMUS.guid)).toEqual([['Reset', 'reset'], ['Mail password', 'mail.form']]);
    expect(rows(LOCKED.guid)).toEqual([['Unlock', 'unlock'], ['Reset', 'reset'], ['Mail password', 'mail.form']]);
    expect(rows(NEVER.guid)).toEqual([['Unlock', 'unlock']]);
    expect(texts(card.content)).toContain('The password never expires: the bot does not reset it.');
    expect(clickAll(card).filter((c) => c.verb === 'unlock').map((c) => c.data)).toEqual([
      { verb: 'unlock', guid: LOCKED.guid, nonce: REVEAL_NONCE, list: origin },
      { verb: 'unlock', guid: NEVER.guid, nonce: REVEAL_NONCE, list: origin },
    ]);
    // Without its own confirmation, or not locked out, a row has no Unlock.
    const without = cards.employeeListCard('en', { environmentName: 'Hosting', people: [{ person: LOCKED, nonce: NONCE }, { person: JMUS, nonce: NONCE, unlockNonce: REVEAL_NONCE }], pageNumber: 1 });
    expect(clickAll(without).filter((c) => c.verb === 'unlock')).toEqual([]);
  });

  it('has Previous and Next only when there is a cursor; they keep the page and the search', () => {
    const onlyNext = clickAll(cards.employeeListCard('nl', { environmentName: 'Hosting', people: [], next: CURSOR, pageNumber: 1 }));
    expect(onlyNext.map((c) => c.data)).toEqual([{ verb: 'list' }, { verb: 'list', after: CURSOR, page: 1 }]);

    const both = cards.employeeListCard('nl', {
      environmentName: 'Hosting',
      people: [{ person: JMUS, nonce: NONCE }],
      search: 'mus',
      previous: CURSOR,
      next: CURSOR,
      pageNumber: 3,
    });
    const paging = nodesOfType(both.content, 'Action.Execute').filter((a) => a['title'] === 'Vorige' || a['title'] === 'Volgende');
    expect(paging.map((a) => [a['title'], a['data']])).toEqual([
      ['Vorige', { verb: 'list', search: 'mus', before: CURSOR, page: 3 }],
      ['Volgende', { verb: 'list', search: 'mus', after: CURSOR, page: 3 }],
    ]);
    expect(paging.every((a) => a['associatedInputs'] === 'none')).toBe(true);
    const searchBox = nodesOfType(both.content, 'Input.Text')[0];
    expect(searchBox?.['value']).toBe('mus');
  });

  const longPerson = (i: number, status = false) =>
    person({
      guid: GUIDS[i] as string,
      sam: `sbf_${'x'.repeat(14)}${String(i).padStart(2, '0')}`,
      displayName: `Maximiliaan-Alexander van den Bergh-Oudshoorn de Ruyter-Sørensen ${'é'.repeat(150)} ${i}`,
      upn: `maximiliaan.alexander.vandenbergh-oudshoorn.deruyter.${i}@${'subdomain.'.repeat(12)}example.nl`,
      status: { disabled: status, lockedOut: status, mustChange: status, passwordNeverExpires: false, passwordExpired: status, lockedSince: null, passwordLastSet: null, accountExpires: null, accountExpired: false },
    });
  const longNonce = (i: number) => `${'N'.repeat(60)}${String(i).padStart(4, '0')}`;

  it('stays under 28 KB with 20 people with long names, every column shown', () => {
    const people = Array.from({ length: 20 }, (_, i) => ({ person: longPerson(i, i % 2 === 0), nonce: longNonce(i) }));
    const cursor: PageCursor = { displayName: longPerson(19).displayName, guid: GUIDS[2] as string };
    for (const lang of LANGUAGES) {
      const card = cards.employeeListCard(lang, {
        environmentName: `Hosting ${'E'.repeat(92)}`,
        people,
        search: 's'.repeat(100),
        previous: cursor,
        next: cursor,
        pageNumber: 99_999,
      });
      expectValidCard(card);
      expect(cards.cardBytes(card)).toBeLessThanOrEqual(cards.LIST_CARD_BUDGET_BYTES);
      expect(nodesOfType(card.content, 'Container')).toHaveLength(20);
      expect(texts(card.content).match(/Domain ?name: Hosting/g)).toHaveLength(20);
      clickAll(card);
    }
  });

  it('falls back to compact rows when a page would not fit otherwise, and still fits', () => {
    const people = Array.from({ length: 20 }, (_, i) => ({
      person: { ...longPerson(i, true), displayName: 'ü'.repeat(256), upn: `${'ü'.repeat(200)}@x.nl` },
      nonce: longNonce(i),
    }));
    const cursor: PageCursor = { displayName: 'ü'.repeat(256), guid: GUIDS[0] as string };
    const card = cards.employeeListCard('nl', {
      environmentName: 'E'.repeat(100),
      people,
      search: 'ü'.repeat(100),
      previous: cursor,
      next: cursor,
      pageNumber: 2,
    });
    expectValidCard(card);
    expect(texts(card.content)).not.toMatch(/Domain ?name:/);
    clickAll(card);
  });

  it('refuses more than 20 people', () => {
    const people = Array.from({ length: 21 }, () => ({ person: JMUS, nonce: NONCE }));
    expect(() => cards.employeeListCard('en', { environmentName: 'Hosting', people, pageNumber: 1 })).toThrow(RangeError);
  });
});

describe('the other cards', () => {
  it('sign-in: user name and password inputs, password masked, and nothing typed echoed back after an error', () => {
    const card = cards.signInCard('nl', { error: 'De gebruikersnaam of het wachtwoord is niet juist.' });
    const [login, password] = nodesOfType(card.content, 'Input.Text');
    expect(login).toMatchObject({ id: 'login', isRequired: true });
    expect(login).not.toHaveProperty('value');
    expect(password).toMatchObject({ id: 'password', style: 'Password' });
    expect(password).not.toHaveProperty('value');
    expect(texts(card.content)).toContain('De gebruikersnaam of het wachtwoord is niet juist.');
    expect(clickAll(card).map((c) => c.data)).toEqual([{ verb: 'signin' }]);
    expect(parseCardAction({ verb: 'signin', login: 'a', password: 'b', search: 'mus' })).toBeNull();
    expect(parseCardAction({ verb: 'signin', login: ' CORP\\hadmin ', password: ' pw ' })).toEqual({
      verb: 'signin',
      data: { login: 'CORP\\hadmin', password: ' pw ' },
    });
  });

  it('mail form: the error in attention colour above the inputs, the address prefilled, the language preselected', () => {
    const card = cards.mailFormCard('en', {
      environmentName: 'Hosting',
      person: JMUS,
      address: 'jo@example.nl',
      language: 'nl',
      nonce: NONCE,
      error: 'That e-mail address is not valid.',
    });
    const body = card.content['body'] as Node[];
    const errorAt = body.findIndex((n) => JSON.stringify(n).includes('That e-mail address is not valid.'));
    const addressAt = body.findIndex((n) => n['id'] === 'address');
    expect(errorAt).toBeGreaterThan(-1);
    expect(errorAt).toBeLessThan(addressAt);
    expect(JSON.stringify(body[errorAt])).toContain('"color":"Attention"');
    expect(body[addressAt]).toMatchObject({ type: 'Input.Text', value: 'jo@example.nl', style: 'Email' });
    expect(body.find((n) => n['id'] === 'language')).toMatchObject({ type: 'Input.ChoiceSet', value: 'nl' });
    expect(texts(card.content)).toContain('Reset password and mail');
    expect(texts(card.content)).toContain('This process is irreversible.');

    const [send] = clickAll(card);
    expect(parseCardAction({ ...send?.data, address: 'jo@example.nl', language: 'nl' })).toEqual({
      verb: 'mail.send',
      data: { guid: JMUS.guid, nonce: NONCE, address: 'jo@example.nl', language: 'nl' },
    });
  });

  it('outcome cards give the time in the environment time zone (or the one asked for)', () => {
    const done = cards.resetDoneCard('en', { person: JMUS, at: AT });
    expect(texts(done.content)).toContain('Password of Joman Mus reset by you at 14:05.');
    expect(texts(cards.resetDoneCard('nl', { person: JMUS, at: AT, timeZone: 'UTC' }).content)).toContain(
      'Wachtwoord van Joman Mus is om 13:05 door u gereset.',
    );
    const mailed = cards.mailOutcomeCard('en', { person: JMUS, maskedRecipient: 'jo…@x.nl', at: AT, noticeSent: false });
    expect(texts(mailed.content)).toContain('was mailed to jo…@x.nl at 14:05');
    expect(texts(mailed.content)).toContain('must change it at the first sign-in');
    expect(texts(mailed.content)).not.toContain(TEXTS.en.mailOutcome.notice);
  });

  it('mail failed: says plainly the password WAS reset and is not kept, and offers Show password (a fresh reset) as a dialog', () => {
    const card = cards.mailFailedCard('en', {
      person: JMUS,
      maskedRecipient: 'jo…@x.nl',
      at: AT,
      errorText: 'The mail server cannot be reached right now.',
      nonce: REVEAL_NONCE,
    });
    const shown = texts(card.content);
    expect(shown).toContain('The password of Joman Mus WAS reset at 14:05, but the mail to jo…@x.nl could not be sent.');
    expect(shown).toContain('Nobody has seen that password and it is not kept.');
    expect(clickAll(card).map((c) => c.data)).toEqual([{ msteams: { type: 'task/fetch' }, verb: 'reveal', guid: JMUS.guid, nonce: REVEAL_NONCE }]);
  });

  it('password dialog: the full task/fetch response, the password large in monospace, and a Close button', () => {
    const response = cards.passwordDialog('nl', { person: JMUS, password: 'Ab3d-Ef4h-Jk5m-Np6q' });
    expect(response).toMatchObject({
      task: { type: 'continue', value: { title: 'Tijdelijk wachtwoord', card: { contentType: 'application/vnd.microsoft.card.adaptive' } } },
    });
    const card = response.task.value.card;
    expectValidCard(card);
    const run = nodesOfType(card.content, 'TextRun').find((r) => r['text'] === 'Ab3d-Ef4h-Jk5m-Np6q');
    expect(run).toMatchObject({ fontType: 'Monospace', size: 'ExtraLarge' });
    expect(texts(card.content)).toContain('Joman Mus');
    expect(texts(card.content)).toContain('eerste aanmelding');
    const actions = nodesOfType(card.content, 'Action.');
    expect(actions).toEqual([{ type: 'Action.Submit', title: 'Sluiten', data: { verb: 'dialog.close' } }]);
    expect(parseCardAction(actions[0]?.['data'])).toEqual({ verb: 'dialog.close', data: {} });
  });

  it('picker: a Choose button per person carrying the intent, at most 20', () => {
    const many = Array.from({ length: 25 }, (_, i) => person({ sam: `sbf_p${i}`, displayName: `Person ${i}`, guid: GUIDS[i] as string }));
    const card = cards.pickerCard('en', { people: many, intent: 'reset' });
    expectValidCard(card);
    const clicks = clickAll(card);
    expect(clicks).toHaveLength(20);
    expect(clicks[4]?.data).toEqual({ verb: 'pick', guid: GUIDS[4], intent: 'reset' });
    expect(texts(card.content)).toContain('Only the first 20 are shown.');
  });

  it('environment picker: one Choose per environment, the current one marked', () => {
    const card = cards.environmentPickerCard('en', {
      tenants: [
        { key: 'hosting', name: 'Hosting' },
        { key: 'acme', name: 'Acme' },
      ],
      activeKey: 'hosting',
    });
    expect(clickAll(card).map((c) => c.data)).toEqual([
      { verb: 'env.choose', tenantKey: 'hosting' },
      { verb: 'env.choose', tenantKey: 'acme' },
    ]);
    expect(texts(card.content)).toContain('(current)');
  });

  it('message: the text in the colour of its kind, and the reference in small text', () => {
    const card = cards.messageCard('en', { text: 'Something went wrong.', kind: 'error', reference: 'abc123' });
    const runs = nodesOfType(card.content, 'TextRun');
    expect(runs).toEqual([
      { type: 'TextRun', text: 'Something went wrong.', color: 'Attention' },
      { type: 'TextRun', text: 'Reference: abc123', size: 'Small', isSubtle: true },
    ]);
    expect(nodesOfType(cards.messageCard('nl', { text: 'x', kind: 'info' }).content, 'TextRun')).toHaveLength(1);
  });

  it('help: the commands, with the Dutch names in the Dutch card', () => {
    const en = texts(cards.helpCard('en').content);
    for (const command of ['help', 'list [page]', 'find <text>', 'reset <user>', 'mail <user> [address] [nl|en]', 'signin', 'signout', 'env [name]', 'history [user]']) {
      expect(en).toContain(command);
    }
    const nl = texts(cards.helpCard('nl').content);
    for (const command of ['lijst', 'zoek', 'reset', 'mail', 'aanmelden', 'afmelden', 'omgeving', 'geschiedenis']) {
      expect(nl).toContain(command);
    }
  });

  it('history: time, admin, action, target, outcome and the full recipient (its own environment reads it)', () => {
    const card = cards.historyCard('en', { environmentName: 'Hosting', lines: historyLines(AUDIT) });
    const shown = texts(card.content);
    expect(shown).toContain('5 Mar, 14:05');
    expect(shown).toContain(' · Mail password · sbf_jmus');
    expect(shown).toContain('by admin@mijnsynergy.nl · to joman.mus@mijnsynergy.nl (NL)');
    expect(shown).not.toContain('Older');
    expect(shown).toContain(' · Reset · sbf_dadmin');
    expect(shown).toContain('refused');
    expect(shown).toContain('That account is protected');
    expect(shown).toContain('by unknown');
    expect(nodesOfType(card.content, 'Container')).toHaveLength(3);
    const many = Array.from({ length: 40 }, (_, i) => ({ ...(AUDIT[0] as AuditEntry), id: `3b0c6d2e-6f4a-4e7b-9a51-0c1d2e3f4a${String(i).padStart(2, '0')}` }));
    const full = cards.historyCard('nl', { environmentName: 'Hosting', lines: historyLines(many), page: 2, more: true, user: 'jmus' });
    expect(texts(full.content)).toContain('Recente activiteit in Hosting, pagina 2');
    expect(texts(full.content)).toContain('Ouder: typ geschiedenis jmus 3');
    expectValidCard(full);
    expect(nodesOfType(full.content, 'Container')).toHaveLength(cards.MAX_HISTORY_ENTRIES);
  });
});

describe('strings from the directory or the admin', () => {
  const EVIL = '"}]<b>${$root.t.title}[x](https://evil.example) **{name}**';
  const evilPerson = person({ sam: 'sbf_evil"}]', displayName: EVIL, upn: `${EVIL}@x.nl`, guid: GUIDS[7] as string });
  const plainPerson = person({ sam: 'sbf_plain', displayName: 'Plain Name', upn: 'plain@x.nl', guid: GUIDS[7] as string });

  const build = (p: Person, text: string) => ({
    list: cards.employeeListCard('en', { environmentName: text, people: [{ person: p, nonce: NONCE }], search: text, pageNumber: 1 }),
    employee: cards.employeeCard('en', { environmentName: text, person: p, nonce: NONCE }),
    mailForm: cards.mailFormCard('nl', { environmentName: text, person: p, address: text, language: 'en', nonce: NONCE, error: text }),
    mailOutcome: cards.mailOutcomeCard('en', { person: p, maskedRecipient: text, at: AT, noticeSent: true }),
    mailFailed: cards.mailFailedCard('en', { person: p, maskedRecipient: text, at: AT, errorText: text, nonce: REVEAL_NONCE }),
    resetDone: cards.resetDoneCard('nl', { person: p, at: AT }),
    resetUnknown: cards.resetStatusCard('en', { kind: 'unknown', person: p, correlationId: CORRELATION }),
    resetApplied: cards.resetStatusCard('nl', { kind: 'applied', person: p, at: AT, nonce: NONCE }),
    resetUnchecked: cards.resetStatusCard('en', { kind: 'unchecked', guid: p.guid, correlationId: CORRELATION, errorText: text }),
    dialog: cards.passwordDialog('en', { person: p, password: text }).task.value.card,
    picker: cards.pickerCard('en', { people: [p, p], intent: 'mail' }),
    message: cards.messageCard('en', { text, kind: 'error', reference: text }),
    signIn: cards.signInCard('en', { error: text }),
    envPicker: cards.environmentPickerCard('en', { tenants: [{ key: 'evil', name: text }] }),
    history: cards.historyCard('en', {
      environmentName: text,
      lines: historyLines([{ ...(AUDIT[0] as AuditEntry), admin: { dn: null, upn: text }, target: { dn: null, sam: text, guid: null } }]),
    }),
  });

  /** The card with every string blanked: its structure. */
  const shape = (value: unknown): unknown => JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'string' ? '' : v));

  const evil = build(evilPerson, EVIL);
  const plain = build(plainPerson, 'Plain text');

  it.each(Object.keys(evil))('%s: a display name like "}]<b> stays data and changes nothing in the card', (name) => {
    const card = evil[name as keyof typeof evil];
    expectValidCard({ ...card, content: JSON.parse(JSON.stringify(card.content).replaceAll('${', '$ {')) });
    expect(shape(card.content)).toEqual(shape(plain[name as keyof typeof plain].content));
    // Verbatim: not expanded as a template expression, nor as a placeholder of ours.
    expect(JSON.stringify(card.content)).toContain(JSON.stringify(EVIL).slice(1, -1));
  });

  it('is only shown where Teams reads no markdown: a TextRun, an input value or button data', () => {
    for (const [name, card] of Object.entries(evil)) {
      walk(card.content, (node, path) => {
        for (const [key, value] of Object.entries(node)) {
          if (typeof value !== 'string' || !value.includes('[x](https://evil.example)')) continue;
          const where = `${String(node['type'])}.${key}`;
          expect(['TextRun.text', 'Input.Text.value'], `${name}${path}.${key}`).toContain(where);
        }
      });
    }
  });
});

describe('parseCardAction', () => {
  const valid: Record<CardVerb, Record<string, unknown>> = {
    signin: { verb: 'signin', login: 'CORP\\hadmin', password: 'pw' },
    'env.choose': { verb: 'env.choose', tenantKey: 'hosting' },
    list: { verb: 'list', search: 'mus', after: CURSOR, page: 2 },
    reset: { verb: 'reset', guid: GUIDS[1], nonce: NONCE, msteams: { type: 'task/fetch' } },
    'mail.form': { verb: 'mail.form', guid: GUIDS[1] },
    'mail.send': { verb: 'mail.send', guid: GUIDS[1], nonce: NONCE, address: 'jo@x.nl', language: 'en' },
    reveal: { verb: 'reveal', guid: JMUS.guid, nonce: REVEAL_NONCE, msteams: { type: 'task/fetch' } },
    pick: { verb: 'pick', guid: GUIDS[1], intent: 'mail' },
    'dialog.close': { verb: 'dialog.close' },
    'reset.check': { verb: 'reset.check', guid: GUIDS[1], correlationId: CORRELATION },
    unlock: { verb: 'unlock', guid: GUIDS[1], nonce: NONCE },
    'mail.cancel': { verb: 'mail.cancel', guid: GUIDS[1], list: { search: 'mus', after: CURSOR, page: 2 } },
  };

  it.each(CARD_VERBS)('accepts %s and returns its data without verb and msteams', (verb) => {
    const parsed = parseCardAction(valid[verb]);
    expect(parsed?.verb).toBe(verb);
    const { verb: _v, msteams: _m, ...rest } = valid[verb];
    expect(parsed?.data).toEqual(rest);
  });

  it('gives a discriminated union', () => {
    const parsed = parseCardAction(valid.reset);
    if (parsed?.verb !== 'reset') throw new Error('expected reset');
    const nonce: string = parsed.data.nonce; // typed by the verb
    expect(nonce).toBe(NONCE);
  });

  it('refuses what is not an object with a known verb', () => {
    for (const value of [undefined, null, 'reset', 42, [], [valid.reset], {}, { verb: 'RESET' }, { verb: 'delete', guid: GUIDS[1] }, { verb: ['reset'] }]) {
      expect(parseCardAction(value), JSON.stringify(value)).toBeNull();
    }
  });

  it('refuses extra keys, including a smuggled __proto__', () => {
    expect(parseCardAction({ ...valid['mail.form'], admin: true })).toBeNull();
    expect(parseCardAction({ ...valid.reset, password: 'x' })).toBeNull();
    expect(parseCardAction({ ...valid.list, after: { ...CURSOR, extra: 1 } })).toBeNull();
    expect(parseCardAction(JSON.parse(`{"verb":"mail.form","guid":"${GUIDS[1]}","__proto__":{"admin":true}}`))).toBeNull();
    // The task/fetch marker belongs to dialog buttons only.
    expect(parseCardAction({ ...valid['mail.form'], msteams: { type: 'task/fetch' } })).toBeNull();
  });

  it('refuses bad GUIDs, nonces and tenant keys', () => {
    for (const guid of ['', 'not-a-guid', `${GUIDS[1]}x`, `{${GUIDS[1]}}`, (GUIDS[1] as string).replaceAll('-', ''), 42]) {
      expect(parseCardAction({ ...valid['mail.form'], guid }), String(guid)).toBeNull();
    }
    for (const nonce of ['short', 'a'.repeat(15), 'a'.repeat(65), `${'a'.repeat(20)}+/=`, `${'a'.repeat(20)} `]) {
      expect(parseCardAction({ ...valid.reset, nonce }), nonce).toBeNull();
    }
    expect(parseCardAction({ ...valid.reveal, nonce: '../../etc/passwd' })).toBeNull();
    expect(parseCardAction({ ...valid.reveal, vaultId: 'Zk3nVb8QwLr2Tx6YpHs1Md' })).toBeNull();
    expect(parseCardAction({ ...valid['env.choose'], tenantKey: 'Hosting' })).toBeNull();
    expect(parseCardAction({ ...valid['env.choose'], tenantKey: 'h'.repeat(41) })).toBeNull();
  });

  it('refuses over-long strings and out-of-range values', () => {
    expect(parseCardAction({ ...valid.signin, login: 'a'.repeat(257) })).toBeNull();
    expect(parseCardAction({ ...valid.signin, password: 'a'.repeat(257) })).toBeNull();
    expect(parseCardAction({ ...valid.signin, password: 'a'.repeat(256) })).not.toBeNull();
    expect(parseCardAction({ ...valid.list, search: 'a'.repeat(101) })).toBeNull();
    expect(parseCardAction({ ...valid['mail.send'], address: `${'a'.repeat(316)}@x.nl` })).toBeNull();
    expect(parseCardAction({ ...valid['mail.send'], language: 'de' })).toBeNull();
    expect(parseCardAction({ ...valid.pick, intent: 'delete' })).toBeNull();
    expect(parseCardAction({ ...valid.list, after: { displayName: 'a'.repeat(257), guid: GUIDS[0] } })).toBeNull();
    expect(parseCardAction({ ...valid.list, after: { displayName: 'a', guid: GUIDS[0] } })).not.toBeNull();
    expect(parseCardAction({ ...valid.list, after: { displayName: 'a', guid: 'nope' } })).toBeNull();
    expect(parseCardAction({ ...valid.list, after: { displayName: 'a', guid: GUIDS[0], seen: [] } })).toBeNull();
    expect(parseCardAction({ ...valid.list, before: CURSOR })).toBeNull(); // after and before together
    for (const page of [0, -1, 1.5, '2', Number.NaN, 1e9]) {
      expect(parseCardAction({ ...valid.list, page }), String(page)).toBeNull();
    }
  });

  it('reads an input left empty (absent or "") as ""', () => {
    expect(parseCardAction({ verb: 'signin' })).toEqual({ verb: 'signin', data: { login: '', password: '' } });
    expect(parseCardAction({ verb: 'mail.send', guid: GUIDS[1], nonce: NONCE, language: 'nl' })?.data).toMatchObject({ address: '' });
    // No language chosen reads as "": the bot shows the form again with that field marked.
    expect(parseCardAction({ verb: 'mail.send', guid: GUIDS[1], nonce: NONCE, address: 'x@y.nl' })?.data).toMatchObject({ language: '' });
    expect(parseCardAction({ verb: 'mail.send', guid: GUIDS[1], nonce: NONCE, address: 'x@y.nl', language: 'de' })).toBeNull();
  });

  it('buttonData refuses to build a button the bot would refuse, without echoing the value', () => {
    expect(() => buttonData('reset', { guid: 'not-a-guid', nonce: 'secret-nonce-value-123' })).toThrow(/"reset": guid/);
    expect(() => buttonData('reset', { guid: 'not-a-guid', nonce: 'secret-nonce-value-123' })).not.toThrow(/secret/);
    expect(buttonData('reveal', { guid: JMUS.guid, nonce: REVEAL_NONCE })).toEqual({ msteams: { type: 'task/fetch' }, verb: 'reveal', guid: JMUS.guid, nonce: REVEAL_NONCE });
  });
});

describe('texts', () => {
  const keyPaths = (value: unknown, path = ''): string[] =>
    typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([k, v]) => (Array.isArray(value) ? keyPaths(v, `${path}[]`) : keyPaths(v, `${path}.${k}`)))
      : [path];
  const leaves = (value: unknown, path = ''): [string, string][] =>
    typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([k, v]) => leaves(v, `${path}.${k}`))
      : [[path, String(value)]];
  const placeholders = (text: string) => [...text.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1]).sort();

  it('has the same keys in both languages', () => {
    expect([...new Set(keyPaths(TEXTS.nl))].sort()).toEqual([...new Set(keyPaths(TEXTS.en))].sort());
  });

  it('uses the same placeholders in both languages, and no text is empty', () => {
    const nl = new Map(leaves(TEXTS.nl));
    for (const [path, en] of leaves(TEXTS.en)) {
      expect(en.trim(), path).not.toBe('');
      expect(nl.get(path)?.trim(), path).not.toBe('');
      expect(placeholders(nl.get(path) ?? ''), path).toEqual(placeholders(en));
    }
  });

  it('addresses the admin with "u" in Dutch, never "je" or "jij"', () => {
    const all = leaves(TEXTS.nl).map(([, text]) => text).join('\n');
    expect(all).not.toMatch(/\b(je|jij|jouw|jou)\b/i);
  });

  it('fill replaces placeholders once, leaving braces inside values alone', () => {
    expect(fill('{a} and {b}', { a: '{b}', b: 'B' })).toBe('{b} and B');
    expect(fill('{missing}', {})).toBe('{missing}');
    expect(fill('{toString}', {})).toBe('{toString}');
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(TEXTS.en.common.columns)).toBe(true);
  });
});
