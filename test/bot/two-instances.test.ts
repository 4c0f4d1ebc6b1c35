/**
 * Two bot processes on one PostgreSQL, requests alternating between them, as behind a load
 * balancer: one conversation across both, one card pressed on both at once resets once, the
 * sign-in limit holds across both, Show password after a failed mail works on either, and the
 * audit is complete and valid.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntrySchema } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/log/logger.js';
import { createPostgresState } from '../../src/state/postgres/index.js';
import { badPwdCount, withLockoutThreshold } from '../support/accounts.js';
import { bindResult, changeOwnPassword, restoreSeedPassword } from '../support/directory.js';
import { bulkPerson, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { everythingUnder, HOSTING_TEAMS_TENANT, startHarness, type Harness } from '../support/harness.js';
import { createTestDatabase, pgCtl, type TestDatabase } from '../support/postgres.js';
import { startBotProcess, type BotProcess } from '../support/bot-process.js';
import { button, cardOf, dialogCardOf, startConnector, TeamsUser, textOf, type StandInConnector, isPostedCard } from '../support/teams.js';

const ROUNDS = 20;
const PASSWORD = /[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}/;
let h: Harness;
let db: TestDatabase;
let connector: StandInConnector;
let a: BotProcess;
let b: BotProcess;
const passwordsSeen: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  db = await createTestDatabase('two-instances');
  connector = await startConnector();
  // Both follow up temporary passwords every second: the job must run on one of them at a time.
  const env = (name: string) => ({ ...h.env, DATABASE_URL: db.url, DATA_DIR: join(h.dir, name), SIGN_IN_FAILURE_MIN_MS: '0', LOG_LEVEL: 'info', OUTCOME_POLL_SECONDS: '1' });
  [a, b] = await Promise.all([startBotProcess(env('a')), startBotProcess(env('b'))]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await connector?.close();
  for (const person of [HOSTING.jmus, HOSTING.avries, ...Array.from({ length: ROUNDS }, (_, i) => bulkPerson(i + 1))]) await restoreSeedPassword(person.dn);
  // No temporary password in either instance's output or in any file.
  const written = [...(a?.output ?? []), ...(b?.output ?? []), everythingUnder(h.dir)].join('\n');
  for (const password of passwordsSeen) expect(written).not.toContain(password);
  await db?.drop();
  await h?.close();
});

/** One Teams user, whose requests the load balancer sends to A or to B. */
function userOnBoth(): { onA: TeamsUser; onB: TeamsUser } {
  const onA = new TeamsUser(a.url, connector, { teamsTenantId: HOSTING_TEAMS_TENANT });
  const onB = new TeamsUser(b.url, connector, { teamsTenantId: HOSTING_TEAMS_TENANT, aadObjectId: onA.aadObjectId });
  return { onA, onB };
}

function passwordOf(text: string): string {
  const found = PASSWORD.exec(text)?.[0];
  if (!found) throw new Error(`no password in: ${text}`);
  passwordsSeen.push(found);
  return found;
}

async function signIn(user: TeamsUser, login = HOSTING.admin.upn, password = SEED_PASSWORD): Promise<string> {
  return textOf(cardOf(await user.execute('signin', { verb: 'signin', login, password })));
}

describe('two instances on one PostgreSQL', () => {
  it('carry one conversation across both: sign in on A, list on B, reset on A, press on B', async () => {
    const { onA, onB } = userOnBoth();
    expect(await signIn(onA)).toContain('Hosting');
    const [list] = await onB.say('list');
    expect(textOf(cardOf(list!))).toContain('Joman Mus');
    const [employee] = await onA.say('reset jmus');
    const dialog = dialogCardOf(await onB.taskFetch(button(cardOf(employee!), /^Reset$/).data));
    expect(await bindResult(HOSTING.jmus.upn, passwordOf(textOf(dialog)))).toBe('773');
  });

  it('tell the admin once, from either, that the employee has chosen a password', async () => {
    const { onA, onB } = userOnBoth();
    await signIn(onA);
    const [employee] = await onB.say('reset avries');
    const password = passwordOf(textOf(dialogCardOf(await onA.taskFetch(button(cardOf(employee!), /^Reset$/).data))));
    const chosen = `Gekozen-${Date.now()}-Bb2`;
    passwordsSeen.push(chosen);
    await changeOwnPassword(HOSTING.avries.dn, password, chosen);
    const ours = (c: { conversationId: string }) => c.conversationId === onA.conversationId || c.conversationId === onB.conversationId;
    await connector.waitFor((c) => ours(c) && isPostedCard(c) && /Anna de Vries has chosen a new password/.test(textOf(cardOf(c))), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // three more rounds on each instance
    expect(connector.calls.filter((c) => ours(c) && isPostedCard(c) && /has chosen a new password/.test(textOf(cardOf(c))))).toHaveLength(1);
  });

  it(`reset once when one card is pressed on both at once (${ROUNDS} rounds)`, async () => {
    const { onA, onB } = userOnBoth();
    await signIn(onB);
    for (let round = 1; round <= ROUNDS; round++) {
      const person = bulkPerson(round);
      const [card] = await (round % 2 ? onA : onB).say(`reset ${person.sam}`);
      const data = button(cardOf(card!), /^Reset$/).data;
      const texts = (await Promise.all([onA.taskFetch(data), onB.taskFetch(data)])).map((r) => textOf(dialogCardOf(r)));
      const shown = texts.filter((t) => PASSWORD.test(t));
      expect(shown, person.sam).toHaveLength(1);
      expect(texts.filter((t) => t.includes('This button has already been used'))).toHaveLength(1);
      expect(await bindResult(person.upn, passwordOf(shown[0]!))).toBe('773');
    }
  });

  it('hold the sign-in limit across both', async () => {
    await withLockoutThreshold(20, async () => {
      const before = await badPwdCount(HOSTING.admin2.dn);
      const { onA, onB } = userOnBoth();
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => signIn(i % 2 ? onA : onB, HOSTING.admin2.upn, 'Wrong-Guess-2026!')));
      expect(answers.every((t) => /Sign-in failed|Too many/.test(t))).toBe(true);
      const reached = (await badPwdCount(HOSTING.admin2.dn)) - before;
      expect(reached).toBeGreaterThan(0);
      expect(reached).toBeLessThanOrEqual(5);
    });
    expect(await bindResult(HOSTING.admin2.dn, SEED_PASSWORD)).toBe('ok');
  });

  it('after a failed mail, Show password on the other instance sets a fresh password; the unsent one no longer works', async () => {
    const { onA, onB } = userOnBoth();
    await signIn(onA);
    const [form] = await onA.say('mail jmus');
    h.smtp.refuseWith(554, 'Transaction failed');
    try {
      const outcome = cardOf(await onA.execute('mail.send', { ...button(cardOf(form!), /^Reset and mail$/).data, address: HOSTING.jmus.mail, language: 'en' }));
      expect(textOf(outcome)).toContain('WAS reset');
      const unsent = passwordOf(h.smtp.refused[h.smtp.refused.length - 1] ?? '');
      const fresh = passwordOf(textOf(dialogCardOf(await onB.taskFetch(button(outcome, /Show password/).data))));
      expect(fresh).not.toBe(unsent);
      expect(await bindResult(HOSTING.jmus.upn, fresh)).toBe('773');
      expect(await bindResult(HOSTING.jmus.upn, unsent)).toBe('52e');
    } finally {
      h.smtp.refuseWith(null);
    }
  });

  it('recover from a PostgreSQL restart without being restarted themselves', async () => {
    const { onA, onB } = userOnBoth();
    await signIn(onA);
    const pids = [a.child.pid, b.child.pid];
    await pgCtl('restart');
    // The pools drop the connections the restart broke; within a few tries both answer again.
    for (const user of [onA, onB]) {
      let text = '';
      for (let attempt = 0; attempt < 5 && !text.includes('Joman Mus'); attempt++) {
        const [reply] = await user.say('list');
        text = textOf(cardOf(reply!));
        if (!text.includes('Joman Mus')) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(text).toContain('Joman Mus');
    }
    expect([a.child.pid, b.child.pid]).toEqual(pids);
    expect([a.child.exitCode, b.child.exitCode]).toEqual([null, null]);
  });

  it('leave an audit that is complete and valid: every intent has its outcome', async () => {
    const state = await createPostgresState({ url: db.url, sessionTtlMinutes: 60, signIn: { maxFailures: 5, windowMinutes: 15 }, auditRetentionDays: 30, log: createLogger('silent') });
    try {
      const entries = await state.audit.recent({ limit: 1000 });
      expect(entries.length).toBeGreaterThan(2 * ROUNDS);
      for (const entry of entries) expect(auditEntrySchema.safeParse(entry).success).toBe(true);
      const open = entries.filter((e) => e.outcome === 'intent' && !entries.some((o) => o.correlationId === e.correlationId && o.outcome !== 'intent'));
      expect(open).toEqual([]);
      const resets = entries.filter((e) => e.action === 'reset' && e.outcome === 'success');
      expect(resets.length).toBeGreaterThanOrEqual(ROUNDS + 2);
    } finally {
      await state.close();
    }
  });
});
