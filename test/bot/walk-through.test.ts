/**
 * The rough edges of a first walk-through, as an admin meets them over the bot's real endpoint:
 * calm answers to typos and nonsense, a list past its end, a form sent without a choice, and
 * answers to typed commands as new messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindResult } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { button, buttonsOf, cardOf, textOf, type CardJson, type TeamsUser } from '../support/teams.js';

let b: BotHarness;

beforeAll(async () => {
  b = await startBotHarness();
});

afterAll(async () => {
  await b.close();
});

async function signedIn(locale = 'en-US'): Promise<TeamsUser> {
  const user = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT, locale });
  const [signInCall] = await user.say('signin');
  const result = await user.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD }, signInCall!.id);
  expect(textOf(cardOf(result))).toMatch(/working in|werkt nu in/);
  return user;
}

/** Says `text`; the one card the bot posted in reply, as a new message. */
async function ask(user: TeamsUser, text: string): Promise<{ card: CardJson; id: string }> {
  const calls = await user.say(text);
  expect(calls.map((c) => c.method)).toEqual(['POST']);
  return { card: cardOf(calls[0]!), id: calls[0]!.id };
}

function inputNamed(card: unknown, id: string): Record<string, unknown> | undefined {
  if (Array.isArray(card)) return card.map((c) => inputNamed(c, id)).find(Boolean);
  if (!card || typeof card !== 'object') return undefined;
  const node = card as Record<string, unknown>;
  return node['id'] === id ? node : Object.values(node).map((c) => inputNamed(c, id)).find(Boolean);
}

const logLines = () => b.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('calm answers', () => {
  it('an unknown name: echoes what was typed, suggests find, no error reference, logged at info', async () => {
    const admin = await signedIn();
    const before = b.logs.length;
    const { card } = await ask(admin, 'reset jmsu');
    const shown = textOf(card);
    expect(shown).toBe('No employee of Hosting matches “jmsu”. To search, type: find jmsu');
    expect(shown).not.toMatch(/Reference/);
    const lines = logLines().slice(before).filter((l) => l['code'] === 'DIRECTORY_USER_NOT_FOUND');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l['level'] === 30)).toBe(true);

    const nl = await signedIn('nl-NL');
    expect(textOf((await ask(nl, 'status jmsu')).card)).toBe('Geen medewerker van Hosting past bij “jmsu”. Om te zoeken typt u: zoek jmsu');
  });

  it('a nonsense command: says it did not understand, then the help', async () => {
    const admin = await signedIn();
    const { card } = await ask(admin, 'please do the thing');
    const shown = textOf(card);
    expect(shown.startsWith('I did not understand “please do the thing”. This is what I can do:')).toBe(true);
    expect(shown).toContain('What I can do');
    const nl = await signedIn('nl-NL');
    expect(textOf((await ask(nl, 'doe iets')).card).startsWith('Ik begreep “doe iets” niet. Dit kan ik:')).toBe(true);
  });

  it('list 99 past the end: the last page, saying how many pages there are', async () => {
    const admin = await signedIn();
    const { card } = await ask(admin, 'list 99');
    const shown = textOf(card);
    const pages = /There is no page 99: Hosting has (\d+) pages of employees\. This is the last one\./.exec(shown);
    expect(pages).not.toBeNull();
    expect(shown).toContain(`Page ${pages![1]}`);
    expect(buttonsOf(card).some((x) => x.title === 'Next')).toBe(false);
    // A page that exists says nothing of the sort.
    expect(textOf((await ask(admin, 'list 2')).card)).not.toContain('There is no page');
  });

  it('a mail form sent without a language comes back with the field marked; nothing is reset or mailed', async () => {
    const admin = await signedIn();
    const { card: form, id } = await ask(admin, 'mail jmus');
    const mails = b.h.smtp.messages.length;
    const send = button(form, /^Reset$/);
    const again = cardOf(await admin.execute('mail.send', { ...send.data, address: HOSTING.jmus.mail }, id));
    const shown = textOf(again);
    expect(shown).toContain('Choose the language of the mail.');
    expect(shown).not.toContain('not valid for you');
    expect(shown).toContain(HOSTING.jmus.mail);
    // The language field is marked: a required choice, with nothing chosen.
    const choice = inputNamed(again, 'language');
    expect(choice).toMatchObject({ type: 'Input.ChoiceSet', isRequired: true, value: '' });
    expect(b.h.smtp.messages).toHaveLength(mails);
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
    const audit = await b.h.core.audit.recent({ environment: 'hosting', targetSam: HOSTING.jmus.sam, limit: 5 });
    expect(audit.filter((e) => e.outcome === 'intent' && Date.now() - Date.parse(e.time) < 60_000)).toHaveLength(0);
    // The same form, now with a language, still works: its confirmation was not spent.
    const resend = button(again, /^Reset$/);
    expect(resend.data['nonce']).toBe(send.data['nonce']);
  });

  it('answers a typed command with a new message, never by updating a card above', async () => {
    const admin = await signedIn();
    const { card, id } = await ask(admin, 'list');
    await admin.execute('list', button(card, /^Next$/).data, id);
    const before = b.connector.calls.length;
    await ask(admin, 'find mus');
    await ask(admin, 'help');
    expect(b.connector.calls.slice(before).filter((c) => c.method !== 'POST')).toEqual([]);
  });
});
