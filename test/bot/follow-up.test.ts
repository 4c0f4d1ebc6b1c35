/**
 * What becomes of a temporary password, told to the admin who reset it in their own chat (from the
 * conversation reference the bot keeps): the employee chose their own password, or it was not used
 * within TEMP_PASSWORD_MAX_MINUTES (here 1) and was replaced by one nobody knows.
 * The bot runs for real (HTTP endpoint, the test DC, the follow-up timer every second).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asDomainAdmin, bindResult, changeOwnPassword, restoreSeedPassword } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { expectNowhereWritten, startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { button, cardOf, dialogCardOf, textOf, type ConnectorCall, type TeamsUser, isPostedCard } from '../support/teams.js';

let b: BotHarness;
const secrets: string[] = [];

beforeAll(async () => {
  b = await startBotHarness({ OUTCOME_POLL_SECONDS: '1', TEMP_PASSWORD_MAX_MINUTES: '1' });
});

afterAll(async () => {
  for (const person of [HOSTING.jmus, HOSTING.bjansen]) await restoreSeedPassword(person.dn);
  expectNowhereWritten(b, secrets);
  await b.close();
});

async function signedIn(locale: string): Promise<TeamsUser> {
  const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT, locale });
  const result = await admin.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD });
  expect(textOf(cardOf(result))).toMatch(/working in|werkt nu in/);
  return admin;
}

/** Resets `sam` through the card and the dialog, as the admin would; the password shown. */
async function resetFromDialog(admin: TeamsUser, sam: string): Promise<string> {
  const [call] = await admin.say(`reset ${sam}`);
  const dialog = textOf(dialogCardOf(await admin.taskFetch(button(cardOf(call!), /^(Reset|Resetten)$/).data, call!.id)));
  const password = /[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){3}/.exec(dialog)?.[0];
  if (!password) throw new Error(`no password on the dialog: ${dialog}`);
  secrets.push(password);
  return password;
}

/** The next message the bot posts into this admin's conversation on its own (not as a reply). */
function toldLater(admin: TeamsUser, text: RegExp, timeoutMs: number): Promise<ConnectorCall> {
  return b.connector.waitFor((c) => isPostedCard(c) && c.conversationId === admin.conversationId && text.test(textOf(cardOf(c))), timeoutMs);
}

describe('the follow-up of a temporary password', () => {
  it('tells the admin when the employee has chosen a password, and replaces one left unused for a minute', { timeout: 150_000 }, async () => {
    const english = await signedIn('en-US');
    const dutch = await signedIn('nl-NL');
    const chosenPassword = `Gekozen-${Date.now()}-Aa1`;
    secrets.push(chosenPassword);

    const forJmus = await resetFromDialog(english, 'sbf_jmus');
    const forBert = await resetFromDialog(dutch, 'sbf_bjansen');
    expect(await bindResult(HOSTING.bjansen.upn, forBert)).toBe('773');

    // Joman Mus chooses his own password with the temporary one: his admin is told, in English.
    await changeOwnPassword(HOSTING.jmus.dn, forJmus, chosenPassword);
    const chosen = await toldLater(english, /Joman Mus has chosen a new password/, 30_000);
    expect(chosen.method).toBe('POST'); // a new message, not an update of a card
    const [chosenEntry] = await b.h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 1 });
    expect(chosenEntry).toMatchObject({ action: 'password-chosen', outcome: 'success', environment: 'hosting', target: { dn: HOSTING.jmus.dn } });

    // Bert Jansen never uses his: after a minute it no longer works, and his admin is told, in Dutch.
    const expired = await toldLater(dutch, /Het tijdelijke wachtwoord van Bert Jansen is niet binnen 1 minuut gebruikt/, 120_000);
    expect(textOf(cardOf(expired))).toContain('vervangen door een wachtwoord dat niemand kent');
    expect(await bindResult(HOSTING.bjansen.upn, forBert)).toBe('52e');
    const entries = (await b.h.core.audit.recent({ targetSam: 'sbf_bjansen', limit: 5 })).filter((e) => e.action === 'expire');
    expect(entries.map((e) => e.outcome)).toEqual(['success', 'intent']);
    expect(entries[0]!.correlationId).toBe(entries[1]!.correlationId);
    const { searchEntries } = await asDomainAdmin((c) => c.search(HOSTING.bjansen.dn, { scope: 'base', attributes: ['pwdLastSet'] }));
    expect(String(searchEntries[0]?.['pwdLastSet'])).toBe('0'); // still "must change"

    // The password Joman chose is left alone, a minute later too, and each admin was told once.
    expect(await bindResult(HOSTING.jmus.upn, chosenPassword)).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const told = (admin: TeamsUser) => b.connector.calls.filter((c) => c.conversationId === admin.conversationId && isPostedCard(c));
    expect(told(english).filter((c) => /has chosen/.test(textOf(cardOf(c))))).toHaveLength(1);
    expect(told(dutch).filter((c) => /niet binnen/.test(textOf(cardOf(c))))).toHaveLength(1);
    expect(await b.h.state.pendingResets.list()).toEqual([]);
  });
});
