/**
 * The must-show of "every directory change is audited, whatever happens", through the bot's real
 * endpoint: a DC paused (SIGSTOP) for longer than LDAP_TIMEOUT_MS while it holds a Reset's modify,
 * then resumed (SIGCONT). The admin is told "unknown" with Check again, the audit says `unknown`,
 * Check again records what really happened, and no password is lost silently.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { ask, expectNowhereWritten, startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { lockOut } from '../support/accounts.js';
import { button, buttonsOf, cardOf, dialogCardOf, textOf, type CardJson, type ConnectorCall, type TeamsUser } from '../support/teams.js';
import { passwordStateOf, pauseDcAtNextModify } from '../reset/pause-dc.js';

const LDAP_TIMEOUT_MS = 1000;
/** Long enough that a Check again pressed during the pause also finds the DC stopped. */
const PAUSE_MS = 4 * LDAP_TIMEOUT_MS;
const PASSWORD = /[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}/;

let b: BotHarness;
const secrets: string[] = [];

beforeAll(async () => {
  b = await startBotHarness({ LDAP_TIMEOUT_MS: String(LDAP_TIMEOUT_MS) });
});

afterEach(async () => {
  await restoreSeedPassword(HOSTING.jmus.dn);
});

afterAll(async () => {
  // The password the paused DC received was never shown: not in the chat, a log line or a file.
  expectNowhereWritten(b, secrets);
  await b?.close();
});

function only(calls: ConnectorCall[]): CardJson {
  expect(calls).toHaveLength(1);
  return cardOf(calls[0]!);
}

async function signedIn(user: TeamsUser): Promise<void> {
  const [signInCall] = await user.say('signin');
  const result = await user.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD }, signInCall!.id);
  expect(textOf(cardOf(result))).toMatch(/working in/);
}

describe('a Reset while the DC hangs, then resumes', () => {
  it('tells the admin "unknown" with Check again, audits unknown, and Check again records and says what really happened', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(admin);
    const employee = only(await admin.say('reset jmus'));
    const employeeCardId = b.connector.calls[b.connector.calls.length - 1]!.id;
    const before = await passwordStateOf(HOSTING.jmus.dn);

    // Reset → the DC stops as the modify leaves, for longer than LDAP_TIMEOUT_MS.
    const pause = pauseDcAtNextModify(HOSTING.jmus.dn, PAUSE_MS);
    const callsBefore = b.connector.calls.length;
    let dialog: CardJson;
    let stillPaused: CardJson;
    try {
      dialog = dialogCardOf(await admin.taskFetch(button(employee, /^Reset$/).data, employeeCardId));

      // The chat card (where a dialog's buttons cannot live) now says so, with Check again.
      // The chat card is updated after the dialog was answered, without delaying it.
      await b.connector.waitFor((c) => c.method === 'PUT' && c.activityId === employeeCardId);
      const updates = b.connector.calls.slice(callsBefore);
      expect(updates.map((c) => [c.method, c.activityId])).toEqual([['PUT', employeeCardId]]);
      const unknownCard = cardOf(updates[0]!);
      expect(textOf(unknownCard)).toContain('The directory did not answer in time: the password of Joman Mus may or may not have been changed. Check again.');
      const check = button(unknownCard, /^Check again$/);
      expect(check).toMatchObject({ type: 'Action.Execute', verb: 'reset.check' });

      // Pressed while the DC is still stopped: it cannot be asked; the button stays.
      stillPaused = cardOf(await admin.execute('reset.check', check.data, employeeCardId));
      expect(textOf(stillPaused)).toContain('The directory could not be asked');
      expect(button(stillPaused, /^Check again$/).data).toEqual(check.data);
      await pause.resumed;
    } finally {
      pause.resume();
    }
    const sent = pause.password();
    expect(sent).toMatch(PASSWORD);
    secrets.push(sent!);

    // The dialog: plain words, no password, never "failed".
    const said = textOf(dialog);
    expect(said).toContain('The directory did not answer in time: the password of Joman Mus may or may not have been changed. Check again.');
    expect(said).toContain('Use Check again on the card in the chat.');
    expect(said).not.toMatch(PASSWORD);
    expect(said).not.toMatch(/failed|cannot be reached/i);

    // The audit: intent (with the version read before), then unknown; nothing "failed".
    const check = button(stillPaused, /^Check again$/);
    const correlationId = String(check.data['correlationId']);
    const audited = async () =>
      (await b.h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 20 })).filter((e) => e.correlationId === correlationId).reverse();
    const first = await audited();
    expect(first.map((e) => [e.action, e.outcome])).toEqual([
      ['reset', 'intent'],
      ['reset', 'unknown'],
    ]);
    expect(first[0]).toMatchObject({ keyVersion: before.keyVersion, admin: { dn: HOSTING.admin.dn } });

    // What the DC really did after it resumed, seen without the product.
    const after = await passwordStateOf(HOSTING.jmus.dn);
    const applied = after.keyVersion > before.keyVersion;
    console.info(`the paused DC ${applied ? 'applied' : 'did not apply'} the Reset's modify after it resumed`);
    if (applied) {
      expect(await bindResult(HOSTING.jmus.upn, sent!)).toBe('773'); // set, with the forced change
    } else {
      expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
    }

    // Check again, now that the DC runs: the reconciliation for this correlation id.
    const answer = cardOf(await admin.execute('reset.check', check.data, employeeCardId));
    const answerText = textOf(answer);
    if (applied) {
      expect(answerText).toMatch(/The password of Joman Mus WAS changed at \d+ \w+,? \d\d:\d\d\./);
      expect(answerText).toContain('Nobody has seen that password');
      expect(answerText).toContain('Reset again to get a password you can pass on.');
    } else {
      expect(answerText).toContain('The password of Joman Mus was not changed: the old password still works.');
    }
    expect(answerText).not.toMatch(PASSWORD);
    const settled = await audited();
    expect(settled.map((e) => e.outcome)).toEqual(['intent', 'unknown', applied ? 'applied' : 'not-applied']);
    expect(settled[2]).toMatchObject({ action: 'reset', keyVersion: after.keyVersion });

    // Asking again answers the same and records nothing more.
    expect(textOf(cardOf(await admin.execute('reset.check', check.data, employeeCardId)))).toBe(answerText);
    expect(await audited()).toHaveLength(3);

    // No password lost: Reset again (on the answer card) gives one to pass on, which works once.
    const again = dialogCardOf(await admin.taskFetch(button(answer, /^Reset$/).data, employeeCardId));
    const password = PASSWORD.exec(textOf(again))?.[0];
    expect(password).toBeDefined();
    expect(await bindResult(HOSTING.jmus.upn, password!)).toBe('773');
    if (applied) expect(await bindResult(HOSTING.jmus.upn, sent!)).toBe('52e');
  });

  it('an Unlock the DC does not answer says that the account may or may not have been unlocked (not a password)', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(admin);
    const undo = await lockOut(HOSTING.bjansen.dn);
    try {
      const { card, id } = await ask(admin, 'status bjansen');
      const pause = pauseDcAtNextModify(HOSTING.bjansen.dn, 2 * LDAP_TIMEOUT_MS);
      let answer: CardJson;
      try {
        answer = cardOf(await admin.execute('unlock', button(card, /^Unlock$/).data, id));
        await pause.resumed;
      } finally {
        pause.resume();
      }
      expect(textOf(answer)).toContain('The directory did not answer in time: the account may or may not have been unlocked.');
      expect(textOf(answer)).not.toMatch(/password/i);
      const audited = (await b.h.core.audit.recent({ targetSam: HOSTING.bjansen.sam, limit: 5 })).filter((e) => e.action === 'unlock');
      expect(audited[0]).toMatchObject({ outcome: 'unknown', errorCode: 'UNLOCK_OUTCOME_UNKNOWN' });
    } finally {
      await undo();
    }
  });

  it('refuses a Check again for a reset that is not the admin\'s own or not about that employee', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await signedIn(admin);
    const jmusGuid = (await b.h.core.directory.resolvePeople(b.h.hosting, 'sbf_jmus'))[0]!.guid;
    const infoGuid = (await b.h.core.directory.resolvePeople(b.h.hosting, 'sbf_info'))[0]!.guid;
    const made = await b.h.core.audit.record({
      environment: 'hosting',
      admin: { dn: HOSTING.admin2.dn, upn: HOSTING.admin2.upn },
      target: { dn: HOSTING.jmus.dn, sam: HOSTING.jmus.sam, guid: jmusGuid },
      action: 'reset',
      outcome: 'intent',
      correlationId: '00000000-0000-4000-8000-0000000000b1',
      keyVersion: 1,
    });
    // Another admin's reset.
    const other = cardOf(await admin.execute('reset.check', { verb: 'reset.check', guid: jmusGuid, correlationId: made.correlationId }));
    expect(textOf(other)).toContain('This card is not valid for you');
    // A correlation id with another employee.
    const wrong = cardOf(await admin.execute('reset.check', { verb: 'reset.check', guid: infoGuid, correlationId: made.correlationId }));
    expect(textOf(wrong)).toContain('This card is not valid for you');
    // Card data that is not exactly a Check again button.
    const forged = cardOf(await admin.execute('reset.check', { verb: 'reset.check', guid: jmusGuid, correlationId: 'x', dn: HOSTING.jmus.dn }));
    expect(textOf(forged)).toContain('This card is not valid for you');
    expect(buttonsOf(forged)).toEqual([]);
  });
});
