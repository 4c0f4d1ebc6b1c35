/**
 * The bot through its real HTTP endpoint, as Teams drives it: messages, Action.Execute invokes and
 * dialogs (task/fetch), against the test DC and a real SMTP server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { ACME, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { ACME_TEAMS_TENANT, HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { expectNowhereWritten, startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { button, buttonsOf, cardOf, dialogCardOf, textOf, type CardJson, type ConnectorCall, type TeamsUser, isPostedCard } from '../support/teams.js';

let b: BotHarness;
const passwordsSeen: string[] = [];
let jmusGuid: string;
let jdoeGuid: string;

beforeAll(async () => {
  b = await startBotHarness();
  jmusGuid = (await b.h.core.directory.resolvePeople(b.h.hosting, 'sbf_jmus'))[0]!.guid;
  jdoeGuid = (await b.h.core.directory.resolvePeople(b.h.acme, 'acme_jdoe'))[0]!.guid;
});

afterEach(async () => {
  b.h.smtp.refuseWith(null);
  for (const person of [HOSTING.jmus, HOSTING.info, ACME.jdoe]) await restoreSeedPassword(person.dn);
});

afterAll(async () => {
  // Only the dialog's invoke response may hold a password: never the chat, a log line or a file.
  expect(passwordsSeen.length).toBeGreaterThan(0);
  expectNowhereWritten(b, [...passwordsSeen, SEED_PASSWORD]);
  await b.close();
});

function only(calls: ConnectorCall[]): CardJson {
  expect(calls).toHaveLength(1);
  return cardOf(calls[0]!);
}

async function signedIn(user: TeamsUser, login: string): Promise<void> {
  const [signInCall] = await user.say('signin');
  const result = await user.execute('signin', { verb: 'signin', login, password: SEED_PASSWORD }, signInCall!.id);
  expect(result.status).toBe(200);
  expect(textOf(cardOf(result))).toMatch(/working in|werkt nu in/);
}

function passwordOnDialog(card: CardJson): string {
  const match = /[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}/.exec(textOf(card));
  if (!match) throw new Error(`no password on the dialog: ${textOf(card)}`);
  passwordsSeen.push(match[0]);
  return match[0];
}

function rowButton(card: CardJson, title: RegExp, guid: string) {
  const found = buttonsOf(card).find((x) => title.test(x.title) && x.data['guid'] === guid);
  if (!found) throw new Error(`no ${title} button for ${guid}`);
  return found;
}

describe('a whole conversation', () => {
  it('signs in, lists, mails a password in English, and resets one into a dialog only', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });

    // No session: a sign-in card, with a password field.
    const signIn = only(await admin.say('list'));
    expect(buttonsOf(signIn).map((x) => x.verb)).toContain('signin');
    expect(JSON.stringify(signIn)).toMatch(/"style":"password"/i);
    const [signInCall] = await admin.say('signin');
    const signedInResult = await admin.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD }, signInCall!.id);
    // The invoke response replaces the sign-in card in place: the password stays nowhere in the chat.
    expect(signedInResult.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(textOf(cardOf(signedInResult))).toContain('Hosting');
    // "list", typed before signing in, runs now: its list arrives as a new message.
    await b.connector.waitFor((c) => c.conversationId === admin.conversationId && isPostedCard(c) && textOf(cardOf(c)).includes('Info SBF'));

    // The seed's table: four columns and both buttons per employee.
    const list = only(await admin.say('list'));
    const shown = textOf(list);
    for (const column of ['Display name', 'Domain name', 'UPN', 'Pre-Windows name']) expect(shown).toContain(column);
    for (const value of ['Joman Mus', 'Hosting', 'joman.mus@mijnsynergy.nl', 'sbf_jmus', 'Info SBF']) expect(shown).toContain(value);
    // 20 rows; those the bot will refuse (the admin's own, protected, never-expires) have a reason instead of buttons.
    const rows = (list['body'] as { type: string }[]).filter((x) => x.type === 'Container');
    expect(rows).toHaveLength(20);
    const refused = rows.filter((r) => buttonsOf(r).length === 0);
    expect(refused.length).toBeGreaterThan(0);
    for (const row of refused) expect(textOf(row)).toMatch(/Your own account|A protected account|never expires/);
    expect(buttonsOf(list).filter((x) => x.title === 'Reset').length).toBe(20 - refused.length);
    expect(buttonsOf(list).filter((x) => x.title === 'Mail password').length).toBe(20 - refused.length);
    expect(button(list, /Next/).verb).toBe('list');
    expect(JSON.stringify(list).length).toBeLessThan(28 * 1024);

    // Mail password → the form → Reset → the mail arrives in English.
    const listId = b.connector.calls[b.connector.calls.length - 1]!.id;
    const form = cardOf(await admin.execute('mail.form', rowButton(list, /Mail password/, jmusGuid).data, listId));
    expect(textOf(form)).toContain('Reset password and mail');
    expect(textOf(form)).toContain('This process is irreversible');
    expect(textOf(form)).toContain(HOSTING.jmus.mail);
    const send = button(form, /^Reset and mail$/);
    const outcome = await admin.execute('mail.send', { ...send.data, address: HOSTING.jmus.mail, language: 'en' }, listId);
    // Pressed in the list, the list stays: that row says what was done.
    expect(textOf(cardOf(outcome))).toContain('Employees of Hosting');
    expect(textOf(cardOf(outcome))).toMatch(/password mailed by you at \d{2}:\d{2} to jo…@mijnsynergy\.nl/);
    const mail = await b.h.smtp.waitForMessage((m) => JSON.stringify(m.to).includes(HOSTING.jmus.mail!));
    expect(mail.subject).toMatch(/temporary password/i);
    const mailed = /[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){3}/.exec(mail.text ?? '')![0];
    passwordsSeen.push(mailed);
    expect(await bindResult(HOSTING.jmus.upn, mailed)).toBe('773');

    // reset jmus → the employee card → Reset opens a dialog with the password.
    const employee = only(await admin.say('reset jmus'));
    const employeeText = textOf(employee);
    for (const value of ['Joman Mus', 'Hosting', 'joman.mus@mijnsynergy.nl', 'sbf_jmus', 'This process is irreversible']) expect(employeeText).toContain(value);
    expect(button(employee, /^Mail password$/).verb).toBe('mail.form');
    const resetButton = button(employee, /^Reset$/);
    expect(resetButton.data['msteams']).toEqual({ type: 'task/fetch' });
    const employeeCardId = b.connector.calls[b.connector.calls.length - 1]!.id;
    const before = b.connector.calls.length;
    const dialog = await admin.taskFetch(resetButton.data, employeeCardId);
    const dialogCard = dialogCardOf(dialog);
    const password = passwordOnDialog(dialogCard);
    expect(textOf(dialogCard)).toContain('Joman Mus');
    expect(await bindResult(HOSTING.jmus.upn, password)).toBe('773');

    // The chat card is updated in place to "reset by you at HH:MM", without the password.
    // The chat card is updated after the dialog was answered, without delaying it.
    await b.connector.waitFor((c) => c.method === 'PUT' && c.activityId === employeeCardId);
    const updates = b.connector.calls.slice(before);
    expect(updates.map((c) => [c.method, c.activityId])).toEqual([['PUT', employeeCardId]]);
    expect(textOf(cardOf(updates[0]!))).toMatch(/Password of Joman Mus reset by you at \d\d:\d\d/);

    // The dialog's Close button ends in task/submit, which just closes it.
    const closed = await admin.taskSubmit(button(dialogCard, /Close/).data);
    expect(closed.status).toBe(200);
    expect(JSON.stringify(closed.body ?? {})).not.toContain(password);
  });

  it('answers in Dutch to a Dutch Teams client', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT, locale: 'nl-NL' });
    const signIn = only(await admin.say('lijst'));
    expect(textOf(signIn)).toMatch(/Aanmelden|aanmelden/);
    await signedIn(admin, `CORP\\${HOSTING.admin.sam}`);
    // "lijst", typed before signing in, runs now: its list arrives as a new message.
    const kept = await b.connector.waitFor((c) => c.conversationId === admin.conversationId && isPostedCard(c) && textOf(cardOf(c)).includes('Info SBF'));
    expect(textOf(cardOf(kept))).toContain('Volgende');
    const card = only(await admin.say('zoek mus'));
    expect(textOf(card)).toContain('Joman Mus');
    expect(textOf(card)).not.toContain('Info SBF');
  });
});

describe('signing in', () => {
  it('ends the session on signout', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(admin, HOSTING.admin.upn);
    await admin.say('signout');
    expect(buttonsOf(only(await admin.say('list'))).map((x) => x.verb)).toContain('signin');
  });
});

describe('card data is untrusted', () => {
  it("refuses an Acme admin's card that names a Hosting account; the directory is unchanged", async () => {
    const acme = b.user({ teamsTenantId: ACME_TEAMS_TENANT });
    await signedIn(acme, ACME.admin.upn);
    const employee = only(await acme.say('reset jdoe'));
    const reset = button(employee, /^Reset$/);
    expect(reset.data['guid']).toBe(jdoeGuid);

    // Their own valid nonce, with Hosting's jmus as the target.
    const forged = dialogCardOf(await acme.taskFetch({ ...reset.data, guid: jmusGuid }));
    expect(textOf(forged)).toContain('This card is not valid for you');
    const [refusal] = await b.h.core.audit.recent({ environment: 'acme', limit: 1 });
    expect(refusal).toMatchObject({ action: 'reset', outcome: 'refused', errorCode: 'CARD_NOT_VALID', target: { guid: jmusGuid } });
    // An extra field (a DN) is refused by the schema.
    const withDn = dialogCardOf(await acme.taskFetch({ ...reset.data, dn: HOSTING.jmus.dn }));
    expect(textOf(withDn)).toContain('This card is not valid for you');
    // A mail form for jmus, forged from their own card.
    const form = cardOf(await acme.execute('mail.form', { verb: 'mail.form', guid: jmusGuid }));
    expect(textOf(form)).toContain('That account is not part of this environment');
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
  });

  it("does nothing with another Teams user's card, which still works for its owner", async () => {
    const owner = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    const other = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(owner, HOSTING.admin.upn);
    await signedIn(other, HOSTING.admin.upn);
    const reset = button(only(await owner.say('reset jmus')), /^Reset$/);
    const borrowed = dialogCardOf(await other.taskFetch(reset.data));
    expect(textOf(borrowed)).toContain('This card is not valid for you');
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
    const own = dialogCardOf(await owner.taskFetch(reset.data));
    expect(await bindResult(HOSTING.jmus.upn, passwordOnDialog(own))).toBe('773');
  });

  it('resets once and mails once when the same button arrives twice, and twice at once', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(admin, HOSTING.admin.upn);

    const employee = only(await admin.say('reset sbf_info'));
    const reset = button(employee, /^Reset$/);
    const [first, second] = await Promise.all([admin.taskFetch(reset.data), admin.taskFetch(reset.data)]);
    const third = await admin.taskFetch(reset.data);
    const texts = [first!, second!, third].map((r) => textOf(dialogCardOf(r)));
    const withPassword = texts.filter((t) => /[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}/.test(t));
    expect(withPassword).toHaveLength(1);
    passwordOnDialog(dialogCardOf([first!, second!].find((r) => withPassword.includes(textOf(dialogCardOf(r))))!));
    expect(texts.filter((t) => t.includes('This button has already been used'))).toHaveLength(2);

    const form = only(await admin.say('mail info'));
    const send = button(form, /^Reset and mail$/);
    const data = { ...send.data, address: 'info@mijnsynergy.nl', language: 'nl' };
    const mailsBefore = b.h.smtp.messages.length;
    const results = await Promise.all([admin.execute('mail.send', data), admin.execute('mail.send', data)]);
    const again = await admin.execute('mail.send', data);
    const outcomes = [...results, again].map((r) => textOf(cardOf(r)));
    expect(outcomes.filter((t) => /gemaild|mailed/.test(t))).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent = b.h.smtp.messages.slice(mailsBefore);
    expect(sent).toHaveLength(1);
    passwordsSeen.push(/[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){3}/.exec(sent[0]!.text ?? '')![0]);
  });

  it('shows a bad address in the form and changes nothing', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(admin, HOSTING.admin.upn);
    const form = only(await admin.say('mail jmus'));
    const again = cardOf(await admin.execute('mail.send', { ...button(form, /^Reset and mail$/).data, address: 'not an address', language: 'en' }));
    expect(textOf(again)).toContain('That e-mail address is not valid');
    expect(textOf(again)).toContain('This process is irreversible');
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
  });
});

describe('when the mail fails after the reset', () => {
  it('says so, and Show password sets a fresh password and shows it once, in a dialog', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(admin, HOSTING.admin.upn);
    const form = only(await admin.say('mail jmus'));
    b.h.smtp.refuseWith(554, 'Transaction failed');
    const outcome = cardOf(await admin.execute('mail.send', { ...button(form, /^Reset and mail$/).data, address: HOSTING.jmus.mail, language: 'en' }));
    expect(textOf(outcome)).toContain('WAS reset');
    expect(textOf(outcome)).toContain('could not be sent');
    const reveal = button(outcome, /Show password/);
    const password = passwordOnDialog(dialogCardOf(await admin.taskFetch(reveal.data)));
    expect(await bindResult(HOSTING.jmus.upn, password)).toBe('773');
    const second = dialogCardOf(await admin.taskFetch(reveal.data));
    expect(textOf(second)).toContain('This button has already been used');
    // A Reset button of an employee card cannot pass for Show password (it would be audited as one).
    const [employeeCall] = await admin.say('reset jmus');
    const resetData = button(cardOf(employeeCall!), /^Reset$/).data;
    const posing = dialogCardOf(await admin.taskFetch({ ...resetData, verb: 'reveal' }));
    expect(textOf(posing)).toContain('This card is not valid for you');
    // The fresh reset is audited as replacing the unseen one.
    const resets = (await b.h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 10 })).filter((e) => e.action === 'reset' && e.outcome === 'intent');
    expect(resets[0]?.detail).toMatch(/replaces a password whose mail failed/);
  });
});

describe('where the bot acts', () => {
  it('refuses a group chat', async () => {
    const user = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT, conversationType: 'groupChat' });
    expect(textOf(only(await user.say('list')))).toContain('I only work in a personal (1:1) chat');
  });

  it('refuses an unknown Teams tenant before any directory call', async () => {
    // A bot whose directory cannot be reached: the refusal must come first.
    const offline = await startBotHarness({ LDAP_URL: 'ldaps://127.0.0.1:1' });
    try {
      const stranger = offline.user({ teamsTenantId: '99999999-9999-4999-8999-999999999999' });
      const result = await stranger.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD });
      expect(textOf(cardOf(result))).toContain('Your organisation is not set up to use this bot');
      // The same request from a known tenant does reach for the directory.
      const known = offline.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
      const reached = await known.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD });
      expect(textOf(cardOf(reached))).toContain('The directory cannot be reached');
    } finally {
      await offline.close();
    }
  });
});

describe('a slow mail server', () => {
  it('answers "working…" at once and updates the clicked card when the mail is sent', async () => {
    // Any mail takes longer than 1 ms: the bot must not keep Teams waiting.
    const slow = await startBotHarness({}, { answerWithinMs: 1 });
    try {
      const admin = slow.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
      await signedIn(admin, HOSTING.admin.upn);
      const [formCall] = await admin.say('mail info');
      const send = button(cardOf(formCall!), /^Reset and mail$/);
      const answer = await admin.execute('mail.send', { ...send.data, address: 'info@mijnsynergy.nl', language: 'en' }, formCall!.id);
      expect(textOf(cardOf(answer))).toContain('Resetting and mailing for Info SBF');
      const update = await slow.connector.waitFor((c) => c.method === 'PUT' && c.activityId === formCall!.id);
      expect(textOf(cardOf(update))).toMatch(/mailed to in…@mijnsynergy\.nl/);
      const mail = await slow.h.smtp.waitForMessage();
      passwordsSeen.push(/[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){3}/.exec(mail.text ?? '')![0]);
      expect(JSON.stringify(slow.connector.calls)).not.toContain(passwordsSeen[passwordsSeen.length - 1]);
    } finally {
      await slow.close();
    }
  });
});

describe('history', () => {
  it("shows the environment's recent audit entries for an employee", async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(admin, HOSTING.admin.upn);
    const card = only(await admin.say('history jmus'));
    const shown = textOf(card);
    expect(shown).toContain('sbf_jmus');
    expect(shown).toContain(HOSTING.admin.upn);
    expect(shown).not.toContain('sbf_info');
  });
});
