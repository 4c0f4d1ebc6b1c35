/**
 * The list stays: Reset or Mail password pressed in the list sends the list card again with that
 * row changed and every other row's buttons working; the mail form's Cancel gives back the card it
 * came from. Over the bot's real endpoint, against the test DC and a real SMTP server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { signedInAdmin, startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { button, buttonsOf, cardOf, dialogCardOf, textOf, type CardJson, type TeamsUser } from '../support/teams.js';

let b: BotHarness;
let guids: Record<'jmus' | 'info', string>;
const passwordsSeen: string[] = [];

beforeAll(async () => {
  b = await startBotHarness();
  const guidOf = async (sam: string) => (await b.h.core.directory.resolvePeople(b.h.hosting, sam))[0]!.guid;
  guids = { jmus: await guidOf(HOSTING.jmus.sam), info: await guidOf(HOSTING.info.sam) };
});

afterEach(async () => {
  for (const person of [HOSTING.jmus, HOSTING.info]) await restoreSeedPassword(person.dn);
});

afterAll(async () => {
  const chat = JSON.stringify(b.connector.calls);
  for (const secret of passwordsSeen) expect(chat).not.toContain(secret);
  await b.close();
});

async function listed(user: TeamsUser, text = 'list'): Promise<{ card: CardJson; id: string }> {
  // Replies only: a proactive message (the follow-up of an earlier reset) may arrive meanwhile.
  const calls = (await user.say(text)).filter((c) => c.activityId !== undefined);
  expect(calls).toHaveLength(1);
  return { card: cardOf(calls[0]!), id: calls[0]!.id };
}

function rowButton(card: CardJson, title: RegExp, guid: string) {
  const found = buttonsOf(card).find((x) => title.test(x.title) && x.data['guid'] === guid);
  if (!found) throw new Error(`no ${title} button for ${guid}`);
  return found;
}

/** The text of one employee's row on a list card. */
function rowText(card: CardJson, name: string): string {
  const rows = (card['body'] as { type: string; items?: unknown[] }[]).filter((x) => x.type === 'Container');
  const row = rows.find((r) => textOf(r).includes(name));
  if (!row) throw new Error(`no row for ${name}`);
  return textOf(row);
}

function passwordOf(dialog: CardJson): string {
  const found = /[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){3}/.exec(textOf(dialog));
  if (!found) throw new Error('no password on the dialog');
  passwordsSeen.push(found[0]);
  return found[0];
}

/** Presses Reset on a row: the dialog, and the card that replaced the list (a PUT of the same activity). */
async function resetFromList(user: TeamsUser, card: CardJson, id: string, guid: string): Promise<{ password: string; list: CardJson }> {
  const before = b.connector.calls.length;
  const password = passwordOf(dialogCardOf(await user.taskFetch(rowButton(card, /^Reset$/, guid).data, id)));
  const update = await b.connector.waitFor((c) => c.method === 'PUT' && c.activityId === id && b.connector.calls.indexOf(c) >= before);
  return { password, list: cardOf(update) };
}

describe('the list stays', () => {
  it('Reset in the list sends the list again with that row changed; a second employee is reset from the same list card', async () => {
    const admin = await signedInAdmin(b);
    const { card, id } = await listed(admin);

    const first = await resetFromList(admin, card, id, guids.jmus);
    expect(await bindResult(HOSTING.jmus.upn, first.password)).toBe('773');
    expect(textOf(first.list)).toContain('Employees of Hosting');
    expect(rowText(first.list, 'Joman Mus')).toMatch(/reset by you at \d{2}:\d{2}/);
    expect(rowText(first.list, 'Info SBF')).not.toMatch(/by you/);
    expect(buttonsOf(first.list).filter((x) => x.title === 'Reset')).toHaveLength(buttonsOf(card).filter((x) => x.title === 'Reset').length);

    // Another row's Reset on the card as it now stands works.
    const second = await resetFromList(admin, first.list, id, guids.info);
    expect(await bindResult(HOSTING.info.upn, second.password)).toBe('773');
    expect(rowText(second.list, 'Info SBF')).toMatch(/reset by you at \d{2}:\d{2}/);
    expect(rowText(second.list, 'Joman Mus')).toMatch(/reset by you at \d{2}:\d{2}/);
    expect(textOf(second.list)).toContain('Page 1');
  });

  it('keeps the page and the search it was pressed on', async () => {
    const admin = await signedInAdmin(b);
    const { card, id } = await listed(admin, 'find mus');
    expect(textOf(card)).toContain('search: “mus”');
    const { list } = await resetFromList(admin, card, id, guids.jmus);
    expect(textOf(list)).toContain('search: “mus”');
    expect(rowText(list, 'Joman Mus')).toMatch(/reset by you/);

    const second = await listed(admin, 'list 2');
    const person = buttonsOf(second.card).find((x) => x.title === 'Reset')!;
    try {
      const again = await resetFromList(admin, second.card, second.id, String(person.data['guid']));
      expect(textOf(again.list)).toContain('Page 2');
      expect(buttonsOf(again.list).filter((x) => x.title === 'Reset').map((x) => x.data['guid'])).toEqual(
        buttonsOf(second.card).filter((x) => x.title === 'Reset').map((x) => x.data['guid']),
      );
    } finally {
      const dn = (await b.h.core.directory.findPersonByGuid(b.h.hosting, String(person.data['guid'])))!.dn;
      await restoreSeedPassword(dn);
    }
  });

  it('Mail password in the list: Cancel gives the list back; sent, the list comes back with that row changed', async () => {
    const admin = await signedInAdmin(b);
    const { card, id } = await listed(admin);
    const form = cardOf(await admin.execute('mail.form', rowButton(card, /Mail password/, guids.jmus).data, id));
    expect(textOf(form)).toContain('Reset password and mail');
    const back = cardOf(await admin.execute('mail.cancel', button(form, /^Cancel$/).data, id));
    expect(textOf(back)).toContain('Employees of Hosting');
    expect(buttonsOf(back).filter((x) => x.title === 'Reset')).toHaveLength(buttonsOf(card).filter((x) => x.title === 'Reset').length);
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');

    const again = cardOf(await admin.execute('mail.form', rowButton(back, /Mail password/, guids.jmus).data, id));
    const outcome = cardOf(await admin.execute('mail.send', { ...button(again, /^Reset and mail$/).data, address: HOSTING.jmus.mail, language: 'en' }, id));
    expect(textOf(outcome)).toContain('Employees of Hosting');
    expect(rowText(outcome, 'Joman Mus')).toMatch(/password mailed by you at \d{2}:\d{2} to jo…@mijnsynergy\.nl/);
    const mail = await b.h.smtp.waitForMessage((m) => JSON.stringify(m.to).includes(HOSTING.jmus.mail!));
    const mailed = /[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){3}/.exec(mail.text ?? '')![0];
    passwordsSeen.push(mailed);
    expect(await bindResult(HOSTING.jmus.upn, mailed)).toBe('773');
    // Every other row's buttons still work: Reset on Info SBF from the card as it now stands.
    const { password } = await resetFromList(admin, outcome, id, guids.info);
    expect(await bindResult(HOSTING.info.upn, password)).toBe('773');
  });

  it("the mail form's Cancel on an employee's card gives back that card, in Dutch too", async () => {
    const admin = await signedInAdmin(b, 'nl-NL');
    const calls = await admin.say('reset jmus');
    const employee = cardOf(calls[0]!);
    const form = cardOf(await admin.execute('mail.form', button(employee, /^Wachtwoord mailen$/).data, calls[0]!.id));
    const back = cardOf(await admin.execute('mail.cancel', button(form, /^Annuleren$/).data, calls[0]!.id));
    expect(textOf(back)).toContain('Joman Mus');
    expect(textOf(back)).toContain('Accountstatus');
    expect(buttonsOf(back).map((x) => x.title)).toEqual(['Reset', 'Wachtwoord mailen']);
  });
});
