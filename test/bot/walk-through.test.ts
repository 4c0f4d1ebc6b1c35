/**
 * The rough edges of a first walk-through, as an admin meets them over the bot's real endpoint:
 * calm answers to typos and nonsense, a list past its end, a form sent without a choice, and
 * answers to typed commands as new messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockOut } from '../support/accounts.js';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { signedInAdmin, ask, startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { button, buttonsOf, cardOf, dialogCardOf, textOf, type CardJson } from '../support/teams.js';

let b: BotHarness;

beforeAll(async () => {
  b = await startBotHarness();
});

afterAll(async () => {
  await b.close();
});

function inputNamed(card: unknown, id: string): Record<string, unknown> | undefined {
  if (Array.isArray(card)) return card.map((c) => inputNamed(c, id)).find(Boolean);
  if (!card || typeof card !== 'object') return undefined;
  const node = card as Record<string, unknown>;
  return node['id'] === id ? node : Object.values(node).map((c) => inputNamed(c, id)).find(Boolean);
}

const logLines = () => b.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('calm answers', () => {
  it('an unknown name: echoes what was typed, suggests find, no error reference, logged at info', async () => {
    const admin = await signedInAdmin(b);
    const before = b.logs.length;
    const { card } = await ask(admin, 'reset jmsu');
    const shown = textOf(card);
    expect(shown).toBe('No employee of Hosting matches “jmsu”. To search, type: find jmsu');
    expect(shown).not.toMatch(/Reference/);
    const lines = logLines().slice(before).filter((l) => l['code'] === 'DIRECTORY_USER_NOT_FOUND');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l['level'] === 30)).toBe(true);

    const nl = await signedInAdmin(b, 'nl-NL');
    expect(textOf((await ask(nl, 'status jmsu')).card)).toBe('Geen medewerker van Hosting past bij “jmsu”. Om te zoeken typt u: zoek jmsu');
  });

  it('a nonsense command: says it did not understand, then the help', async () => {
    const admin = await signedInAdmin(b);
    const { card } = await ask(admin, 'please do the thing');
    const shown = textOf(card);
    expect(shown.startsWith('I did not understand “please do the thing”. This is what I can do:')).toBe(true);
    expect(shown).toContain('What I can do');
    const nl = await signedInAdmin(b, 'nl-NL');
    expect(textOf((await ask(nl, 'doe iets')).card).startsWith('Ik begreep “doe iets” niet. Dit kan ik:')).toBe(true);
  });

  it('list 99 past the end: the last page, saying how many pages there are', async () => {
    const admin = await signedInAdmin(b);
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
    const admin = await signedInAdmin(b);
    const { card: form, id } = await ask(admin, 'mail jmus');
    const mails = b.h.smtp.messages.length;
    const send = button(form, /^Reset and mail$/);
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
    const resend = button(again, /^Reset and mail$/);
    expect(resend.data['nonce']).toBe(send.data['nonce']);
  });

  it('answers a typed command with a new message, never by updating a card above', async () => {
    const admin = await signedInAdmin(b);
    const { card, id } = await ask(admin, 'list');
    await admin.execute('list', button(card, /^Next$/).data, id);
    const before = b.connector.calls.length;
    await ask(admin, 'find mus');
    await ask(admin, 'help');
    expect(b.connector.calls.slice(before).filter((c) => c.method !== 'POST')).toEqual([]);
  });

  it('env for an admin of one environment says which one, without a picker; a name not theirs says so', async () => {
    const admin = await signedInAdmin(b);
    const { card } = await ask(admin, 'env');
    expect(textOf(card)).toBe('You work in Hosting: it is the environment you manage.');
    expect(buttonsOf(card)).toEqual([]);
    expect(textOf(card)).not.toContain('more than one');
    for (const name of ['Acme', 'Nowhere']) {
      expect(textOf((await ask(admin, `env ${name}`)).card)).toBe(`You manage no environment called “${name}”. You work in Hosting: it is the environment you manage.`);
    }
    const nl = await signedInAdmin(b, 'nl-NL');
    expect(textOf((await ask(nl, 'omgeving')).card)).toBe('U werkt in Hosting: dat is de omgeving die u beheert.');
  });
});

describe('texts', () => {
  it('English columns read plainly; Dutch keeps the seed portal\'s own', async () => {
    const en = textOf((await ask(await signedInAdmin(b), 'list')).card);
    expect(en).toContain('Display name · Domain name · UPN · Pre-Windows name');
    expect(en).toContain('Pre-Windows name: sbf_');
    const nl = textOf((await ask(await signedInAdmin(b, 'nl-NL'), 'lijst')).card);
    expect(nl).toContain('Displayname · Domainname · UPN · Pre-windows');
  });

  it("help shows the environment's own example name and both languages' command words", async () => {
    const en = textOf((await ask(await signedInAdmin(b), 'help')).card);
    expect(en).toContain('jmus or sbf_jmus');
    expect(en).toMatch(/list \[page\]\n {2}\(in Dutch: lijst\)/);
    expect(en).toMatch(/unlock <user>\n {2}\(in Dutch: ontgrendel\)/);
    const nl = textOf((await ask(await signedInAdmin(b, 'nl-NL'), 'help')).card);
    expect(nl).toContain('jmus of sbf_jmus');
    expect(nl).toMatch(/zoek <tekst>\n {2}\(in het Engels: find\)/);
  });

  it('the mail form says what its button does, and the Dutch mail names the Wachtwoord-wijzigingsportal', async () => {
    const admin = await signedInAdmin(b, 'nl-NL');
    const { card, id } = await ask(admin, 'mail jmus');
    const send = button(card, /^Resetten en mailen$/);
    try {
      await admin.execute('mail.send', { ...send.data, address: HOSTING.jmus.mail, language: 'nl' }, id);
      const mail = await b.h.smtp.waitForMessage((m) => JSON.stringify(m.to).includes(HOSTING.jmus.mail!));
      expect(mail.text).toContain('het Wachtwoord-wijzigingsportal');
    } finally {
      await restoreSeedPassword(HOSTING.jmus.dn);
    }
    expect(button((await ask(await signedInAdmin(b), 'mail jmus')).card, /^Reset and mail$/).verb).toBe('mail.send');
  });

  it('history: one line per action, refusals included, the full address, newest first', async () => {
    const admin = await signedInAdmin(b);
    try {
      const { card: employee, id } = await ask(admin, 'reset bjansen');
      const reset = button(employee, /^Reset$/);
      dialogCardOf(await admin.taskFetch(reset.data, id));
      // The same button again: refused, and in the history too.
      expect(textOf(dialogCardOf(await admin.taskFetch(reset.data, id)))).toContain('already been used');
      const { card: form, id: formId } = await ask(admin, 'mail bjansen');
      await admin.execute('mail.send', { ...button(form, /^Reset and mail$/).data, address: 'bert.prive@example.org', language: 'en' }, formId);

      const { card } = await ask(admin, 'history bjansen');
      const rows = (card['body'] as { type: string }[]).filter((x) => x.type === 'Container').map((r) => textOf(r).replace(/\n/g, ''));
      expect(rows).toHaveLength(3);
      expect(rows[0]).toMatch(/ · Mail password · sbf_bjansen/);
      expect(rows[0]).toMatch(/done · by admin@mijnsynergy\.nl · to bert\.prive@example\.org \(EN\) · notice to the employee’s own address/);
      expect(rows[1]).toMatch(/ · Reset · sbf_bjansen.*refused.*This button has already been used/);
      expect(rows[2]).toMatch(/ · Reset · sbf_bjansen.*done · by admin@mijnsynergy\.nl/);
      expect(textOf(card)).not.toMatch(/started/);
    } finally {
      await restoreSeedPassword(HOSTING.bjansen.dn);
    }
  });
});

describe('the list marks status and refusals', () => {
  /** The text of each row of a list card, by display name. */
  function rows(card: CardJson): Map<string, { text: string; buttons: string[] }> {
    const found = new Map<string, { text: string; buttons: string[] }>();
    for (const row of (card['body'] as { type: string }[]).filter((x) => x.type === 'Container')) {
      const text = textOf(row);
      found.set(text.split('\n')[0]!.trim(), { text, buttons: buttonsOf(row).map((x) => x.title) });
    }
    return found;
  }

  it("the admin's own account, protected accounts and a never-expires account carry no buttons and a reason", async () => {
    const admin = await signedInAdmin(b);
    const shown = rows((await ask(admin, 'list')).card);
    const expectRefused = (name: string, reason: RegExp) => {
      const row = shown.get(name);
      expect(row, name).toBeDefined();
      expect(row!.buttons, name).toEqual([]);
      expect(row!.text, name).toMatch(reason);
      expect(row!.text, name).not.toMatch(/adminCount/);
    };
    expectRefused('Hosting Admin', /Your own account: change your password yourself\./);
    expectRefused('Directie Lid', /A protected account/); // a protected group of the environment
    expectRefused('Hosting Domain Admin', /A protected account/); // Domain Admins
    expectRefused('Late Beheerder', /A protected account/); // Domain Admins through a nested group, no adminCount
    expectRefused('Provider Medewerker', /A protected account/); // the provider's staff, nested
    expectRefused('Tweede Beheerder', /A protected account/); // another admin of the environment
    expectRefused('Never Expires', /never expires, so a change at first sign-in cannot be forced/);
    expect(shown.get('Joman Mus')!.buttons).toEqual(['Reset', 'Mail password']);
    expect(shown.get('Info SBF')!.buttons).toEqual(['Reset', 'Mail password']);

    const nl = rows((await ask(await signedInAdmin(b, 'nl-NL'), 'lijst')).card);
    expect(nl.get('Hosting Admin')!.text).toMatch(/Uw eigen account/);
    expect(nl.get('Directie Lid')!.text).toMatch(/Een beschermd account/);
  });

  it('shows a lock-out in the row (and since when), read with the list', async () => {
    const admin = await signedInAdmin(b);
    const undo = await lockOut(HOSTING.bjansen.dn);
    try {
      // The list in memory reads changes every few seconds.
      await expect
        .poll(async () => rows((await ask(admin, 'find bert')).card).get('Bert Jansen')?.text ?? '', { timeout: 20_000, interval: 1000 })
        .toMatch(/\(locked out since \d{1,2} \w{3},? \d{2}:\d{2}\)/);
    } finally {
      await undo();
    }
  });
});
