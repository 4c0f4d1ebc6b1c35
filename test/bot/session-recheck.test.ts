/**
 * Every action re-checks the signed-in admin in the directory: an admin disabled, locked out,
 * expired, whose password was changed elsewhere, or who left the admin group mid-session is
 * refused at their next action, and their session ends. Through the bot's real HTTP endpoint.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expireAccount, lockOut, removeFromGroup, setAccountFlag, UF_ACCOUNTDISABLE } from '../support/accounts.js';
import { bindResult, restoreSeedPassword, asDomainAdmin } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { everythingUnder, HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { button, buttonsOf, cardOf, dialogCardOf, textOf, type CardJson, type TeamsUser } from '../support/teams.js';
import { Attribute, Change } from 'ldapts';

const ENDED = 'Your sign-in is no longer valid';
const OTHER_PASSWORD = 'Changed-Elsewhere-2026!';

let b: BotHarness;
let undo: (() => Promise<void>) | undefined;

beforeAll(async () => {
  b = await startBotHarness({ SIGN_IN_FAILURE_MIN_MS: '0' });
});

afterEach(async () => {
  await undo?.();
  undo = undefined;
  await restoreSeedPassword(HOSTING.jmus.dn);
});

afterAll(async () => {
  const written = JSON.stringify(b.connector.calls) + b.logs.join('\n') + everythingUnder(b.h.dataDir);
  expect(written).not.toContain(OTHER_PASSWORD);
  await b.close();
});

async function signedInAdmin(): Promise<TeamsUser> {
  const user = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
  const result = await user.execute('signin', { verb: 'signin', login: HOSTING.admin2.upn, password: SEED_PASSWORD });
  expect(textOf(cardOf(result))).toContain('Hosting');
  return user;
}

async function say(user: TeamsUser, text: string): Promise<CardJson> {
  const [reply] = await user.say(text);
  return cardOf(reply!);
}

/** The session is gone: the next command asks to sign in, without an error. */
async function expectSignedOut(user: TeamsUser): Promise<void> {
  const card = await say(user, 'list');
  expect(buttonsOf(card).map((x) => x.verb)).toContain('signin');
  expect(textOf(card)).not.toContain(ENDED);
}

async function expectAuditedEnd(reason: string): Promise<void> {
  const entries = await b.h.core.audit.recent({ limit: 20 });
  expect(entries.find((e) => e.errorCode === 'ADMIN_SESSION_ENDED')).toMatchObject({
    action: 'sign-in',
    outcome: 'refused',
    detail: reason,
    admin: { dn: HOSTING.admin2.dn },
  });
}

describe('the admin is re-checked on every action', () => {
  it('refuses the list of an admin disabled mid-session, and ends the session', async () => {
    const admin = await signedInAdmin();
    expect(textOf(await say(admin, 'list'))).toContain('Joman Mus');
    undo = await setAccountFlag(HOSTING.admin2.dn, UF_ACCOUNTDISABLE, true);
    const refused = await say(admin, 'list');
    expect(textOf(refused)).toContain(ENDED);
    expect(textOf(refused)).not.toContain('Joman Mus');
    expect(buttonsOf(refused).map((x) => x.verb)).toContain('signin');
    await expectAuditedEnd('account disabled');
    await expectSignedOut(admin);
  });

  it('refuses a Reset by an admin locked out mid-session; the employee keeps their password', async () => {
    const admin = await signedInAdmin();
    const employee = await say(admin, 'reset jmus');
    undo = await lockOut(HOSTING.admin2.dn);
    const dialog = dialogCardOf(await admin.taskFetch(button(employee, /^Reset$/).data));
    expect(textOf(dialog)).toContain(ENDED);
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
    await expectAuditedEnd('account locked out');
    await expectSignedOut(admin);
  });

  it('refuses a Mail password by an admin whose account expired mid-session; nothing is mailed', async () => {
    const admin = await signedInAdmin();
    const form = await say(admin, 'mail jmus');
    const mails = b.h.smtp.messages.length;
    undo = await expireAccount(HOSTING.admin2.dn);
    const send = button(form, /^Reset and mail$/);
    const outcome = cardOf(await admin.execute('mail.send', { ...send.data, address: HOSTING.jmus.mail, language: 'en' }));
    expect(textOf(outcome)).toContain(ENDED);
    expect(b.h.smtp.messages).toHaveLength(mails);
    expect(await bindResult(HOSTING.jmus.upn, SEED_PASSWORD)).toBe('ok');
    await expectAuditedEnd('account expired');
    await expectSignedOut(admin);
  });

  it('ends the session of an admin whose password was changed elsewhere', async () => {
    const admin = await signedInAdmin();
    await asDomainAdmin((c) =>
      c.modify(HOSTING.admin2.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${OTHER_PASSWORD}"`, 'utf16le')] }) })),
    );
    undo = () => restoreSeedPassword(HOSTING.admin2.dn);
    expect(textOf(await say(admin, 'find mus'))).toContain(ENDED);
    await expectAuditedEnd('password changed since sign-in');
    await expectSignedOut(admin);
  });

  it('refuses reset, history and the environment switch of an admin taken out of the admin group', async () => {
    for (const command of ['reset jmus', 'history', 'env hosting']) {
      const admin = await signedInAdmin();
      const restore = await removeFromGroup(HOSTING.helpdeskGroupDn, HOSTING.admin2.dn);
      undo = restore;
      const refused = await say(admin, command);
      expect(textOf(refused)).toContain(ENDED);
      expect(textOf(refused)).not.toContain('Joman Mus');
      await expectAuditedEnd('no longer in the admin group');
      await expectSignedOut(admin);
      await restore();
      undo = undefined;
    }
  });
});
