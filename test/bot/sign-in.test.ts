/**
 * Sign-in under attack, through the bot's real HTTP endpoint against the test DC: no password
 * oracle, limits that hold under a burst and across Teams tenants, and nothing typed echoed.
 * Samba counts bad passwords (badPwdCount) only while the domain has a lock-out threshold, and
 * only for binds by DN or DOMAIN\name: the bot binds by DN, and the first test shows such a bind
 * is seen before it relies on the count staying 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badPwdCount, withLockoutThreshold } from '../support/accounts.js';
import { bindResult } from '../support/directory.js';
import { DOMAIN_ADMIN, HOSTING, SEED_PASSWORD, SERVICE_ACCOUNT } from '../support/fixtures.js';
import { ACME_TEAMS_TENANT, everythingUnder, HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { buttonsOf, cardOf, textOf, type TeamsUser } from '../support/teams.js';

const FAILURE_MIN_MS = 400;
const WRONG = 'Wrong-Guess-2026!';
const SIGN_IN_FAILED = 'Sign-in failed: check your user name and password.';

let b: BotHarness;

beforeAll(async () => {
  b = await startBotHarness({ SIGN_IN_FAILURE_MIN_MS: String(FAILURE_MIN_MS) });
});

afterAll(async () => {
  await b.close();
});

/** Presses Sign in on a sign-in card; returns what the card then says. */
async function signIn(user: TeamsUser, login: string, password: string): Promise<string> {
  const result = await user.execute('signin', { verb: 'signin', login, password });
  expect(result.status).toBe(200);
  return textOf(cardOf(result));
}

async function hasSession(user: TeamsUser): Promise<boolean> {
  const [reply] = await user.say('list');
  return !buttonsOf(cardOf(reply!)).some((x) => x.verb === 'signin');
}

const acmeUser = () => b.user({ teamsTenantId: ACME_TEAMS_TENANT });
const hostingUser = (bot: BotHarness = b) => bot.user({ teamsTenantId: HOSTING_TEAMS_TENANT });

describe('no password oracle', () => {
  it("answers alike for right and wrong passwords of accounts that are no admin here, and never binds them", async () => {
    await withLockoutThreshold(20, async () => {
      // A wrong password for a real admin does reach the directory, and the DC counts it.
      const admin2Before = await badPwdCount(HOSTING.admin2.dn);
      expect(await signIn(hostingUser(), HOSTING.admin2.upn, WRONG)).toContain(SIGN_IN_FAILED);
      expect(await badPwdCount(HOSTING.admin2.dn)).toBe(admin2Before + 1);

      // From Acme's Teams tenant: a Hosting employee, Hosting's admin, Administrator, the service account.
      const victims = [
        { login: HOSTING.jmus.upn, dn: HOSTING.jmus.dn, password: SEED_PASSWORD },
        { login: `CORP\\${HOSTING.admin.sam}`, dn: HOSTING.admin.dn, password: SEED_PASSWORD },
        { login: 'Administrator', dn: DOMAIN_ADMIN.dn, password: DOMAIN_ADMIN.password },
        { login: SERVICE_ACCOUNT.sam, dn: SERVICE_ACCOUNT.dn, password: SERVICE_ACCOUNT.password },
      ];
      // One bad password each, directly: a wrong bind by the bot would raise the count to 2, a right
      // one would reset it to 0. Samba keeps no count for Administrator, and the bot's own binds
      // reset the service account's: those two are shown by the answers alone.
      const watched = victims.slice(0, 2);
      for (const victim of watched) await bindResult(victim.dn, 'Not-The-Password-1');
      const counts = await Promise.all(watched.map((v) => badPwdCount(v.dn)));
      expect(counts).toEqual([1, 1]);
      const answers: string[] = [];
      for (const victim of victims) {
        // Each guess from a Teams user of its own, so no limit shapes the answer.
        answers.push(await signIn(acmeUser(), victim.login, WRONG));
        answers.push(await signIn(acmeUser(), victim.login, victim.password));
      }
      answers.push(await signIn(acmeUser(), 'nobody@nowhere.test', WRONG));
      expect(new Set(answers)).toEqual(new Set([answers[0]]));
      expect(answers[0]).toContain(SIGN_IN_FAILED);
      expect(await Promise.all(watched.map((v) => badPwdCount(v.dn)))).toEqual(counts);
      for (const victim of victims) expect(await bindResult(victim.dn, victim.password)).toBe('ok'); // clears the counts
      // The real reasons are in the audit, not in the chat.
      const refusals = (await b.h.core.audit.recent({ limit: 50 })).filter((e) => e.action === 'sign-in' && e.outcome === 'refused');
      expect(refusals.some((e) => e.detail === 'no admin of a reachable environment has that name')).toBe(true);
      expect(refusals.some((e) => e.detail === 'AUTH_INVALID_CREDENTIALS' && e.admin.dn === HOSTING.admin2.dn)).toBe(true);
    });
    expect(await bindResult(HOSTING.admin2.dn, SEED_PASSWORD)).toBe('ok'); // a good bind clears the count
  });

  it('answers a wrong password of an admin and an unknown name after the same minimum time', async () => {
    const timed = async (login: string) => {
      const started = performance.now();
      expect(await signIn(hostingUser(), login, WRONG)).toContain(SIGN_IN_FAILED);
      return performance.now() - started;
    };
    const unknown = await timed('nobody-here');
    const admin = await timed(HOSTING.admin2.upn);
    // Both at least the minimum: the unknown name, which binds nothing, is not answered sooner.
    expect(unknown).toBeGreaterThanOrEqual(FAILURE_MIN_MS);
    expect(admin).toBeGreaterThanOrEqual(FAILURE_MIN_MS);
    expect(await bindResult(HOSTING.admin2.dn, SEED_PASSWORD)).toBe('ok');
  });

  it('neither echoes nor records what was typed as the user name when it names no admin', async () => {
    // A password typed into the user-name field by mistake.
    const typed = 'Oops-My-Own-Passw0rd!';
    const user = hostingUser();
    const before = b.connector.calls.length;
    const answer = await signIn(user, typed, WRONG);
    expect(answer).toContain(SIGN_IN_FAILED);
    expect(answer).not.toContain(typed);
    expect(JSON.stringify(b.connector.calls.slice(before))).not.toContain(typed);
    expect(b.logs.join('\n')).not.toContain(typed);
    expect(everythingUnder(b.h.dataDir)).not.toContain(typed);
  });

  it('signs in the admin of an environment this Teams tenant reaches', async () => {
    const user = hostingUser();
    expect(await signIn(user, `CORP\\${HOSTING.admin2.sam}`, SEED_PASSWORD)).toContain('Hosting');
    expect(await hasSession(user)).toBe(true);
  });
});

describe('limits that hold', () => {
  it('lets at most 5 of 40 simultaneous wrong guesses reach the directory, then refuses the right password', async () => {
    const bot = await startBotHarness({ SIGN_IN_FAILURE_MIN_MS: String(FAILURE_MIN_MS) });
    try {
      await withLockoutThreshold(20, async () => {
        const before = await badPwdCount(HOSTING.admin2.dn);
        const attacker = hostingUser(bot);
        const answers = await Promise.all(Array.from({ length: 40 }, () => signIn(attacker, HOSTING.admin2.upn, WRONG)));
        const reached = (await badPwdCount(HOSTING.admin2.dn)) - before;
        expect(reached).toBeGreaterThan(0);
        expect(reached).toBeLessThanOrEqual(5);
        expect(answers.every((a) => a.includes(SIGN_IN_FAILED) || a.includes('Too many failed sign-ins'))).toBe(true);

        // The account's attempts for this Teams tenant are spent: the right password from another
        // Teams user of the same tenant does not sign in, and reaches nothing.
        const colleague = hostingUser(bot);
        expect(await signIn(colleague, HOSTING.admin2.upn, SEED_PASSWORD)).toContain(SIGN_IN_FAILED);
        expect(await hasSession(colleague)).toBe(false);
        expect((await badPwdCount(HOSTING.admin2.dn)) - before).toBe(reached);
      });
    } finally {
      await bot.close();
      await bindResult(HOSTING.admin2.dn, SEED_PASSWORD);
    }
  });

  it('forgets the failed attempts of a user who then signs in', async () => {
    const bot = await startBotHarness({ SIGN_IN_FAILURE_MIN_MS: '0' });
    try {
      const admin = hostingUser(bot);
      // Twice: four wrong guesses and the right password. Counted on, the second round's guesses
      // would spend the limit of 5 and the last sign-in would be refused.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 4; i++) expect(await signIn(admin, HOSTING.admin2.upn, WRONG)).toContain(SIGN_IN_FAILED);
        expect(await signIn(admin, HOSTING.admin2.upn, SEED_PASSWORD)).toContain('Hosting');
      }
      expect(await hasSession(admin)).toBe(true);
    } finally {
      await bot.close();
      await bindResult(HOSTING.admin2.dn, SEED_PASSWORD);
    }
  });

  it("cannot be spent from another customer's Teams tenant", async () => {
    const bot = await startBotHarness({ SIGN_IN_FAILURE_MIN_MS: '0' });
    try {
      for (let i = 0; i < 12; i++) {
        const attacker = bot.user({ teamsTenantId: ACME_TEAMS_TENANT });
        expect(await signIn(attacker, i % 2 ? HOSTING.admin2.upn : HOSTING.admin2.sam, WRONG)).toMatch(/Sign-in failed|Too many/);
      }
      const admin = hostingUser(bot);
      expect(await signIn(admin, HOSTING.admin2.upn, SEED_PASSWORD)).toContain('Hosting');
      expect(await hasSession(admin)).toBe(true);
    } finally {
      await bot.close();
    }
  });
});
