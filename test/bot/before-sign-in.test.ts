/**
 * A command typed before signing in runs once the admin has signed in (and chosen an environment,
 * when they manage several): kept in the state store, run once, as a new message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACME, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { ACME_TEAMS_TENANT, HOSTING_TEAMS_TENANT, tenantsFileContent } from '../support/harness.js';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { buttonsOf, cardOf, textOf, type ConnectorCall, type TeamsUser, isPostedCard } from '../support/teams.js';

let b: BotHarness;

beforeAll(async () => {
  // Hosting's admin group administers Fabrikam too, from Hosting's Teams tenant (an admin of several environments).
  const file = JSON.parse(tenantsFileContent()) as { tenants: Record<string, unknown>[] };
  const fabrikam = file.tenants[2]!;
  fabrikam['teamsTenantIds'] = [HOSTING_TEAMS_TENANT];
  fabrikam['adminGroupDn'] = HOSTING.adminGroupDn;
  const tenantsFile = join(mkdtempSync(join(tmpdir(), 'pwreset-tenants-')), 'tenants.json');
  writeFileSync(tenantsFile, JSON.stringify(file));
  b = await startBotHarness({ TENANTS_FILE: tenantsFile });
});

afterAll(async () => {
  await b.close();
});

const posted = (user: TeamsUser): ConnectorCall[] => b.connector.calls.filter((c) => c.conversationId === user.conversationId && isPostedCard(c));

function signIn(user: TeamsUser, login: string) {
  return user.execute('signin', { verb: 'signin', login, password: SEED_PASSWORD });
}

describe('a command typed before signing in', () => {
  it('is named on the sign-in card and runs once after the sign-in, as a new message', async () => {
    const admin = b.user({ teamsTenantId: ACME_TEAMS_TENANT });
    const [first] = await admin.say('find doe');
    const signInCard = textOf(cardOf(first!));
    expect(signInCard).toContain('Once you have signed in, I will do what you asked: "find doe"');
    expect(buttonsOf(cardOf(first!)).map((x) => x.verb)).toContain('signin');

    const before = posted(admin).length;
    expect(textOf(cardOf(await signIn(admin, ACME.admin.upn)))).toContain('You are now working in Acme');
    const list = await b.connector.waitFor((c) => c.conversationId === admin.conversationId && isPostedCard(c) && textOf(cardOf(c)).includes('John Doe'));
    expect(posted(admin).slice(before)).toEqual([list]);

    // Run once: signing out and in again runs nothing more.
    await admin.say('signout');
    const count = posted(admin).length;
    await signIn(admin, ACME.admin.upn);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(posted(admin)).toHaveLength(count);
  });

  it('in Dutch too, and only the latest command is kept', async () => {
    const admin = b.user({ teamsTenantId: ACME_TEAMS_TENANT, locale: 'nl-NL' });
    await admin.say('lijst');
    const [card] = await admin.say('zoek doe');
    expect(textOf(cardOf(card!))).toContain('Zodra u bent aangemeld, doe ik wat u vroeg: "zoek doe"');
    const before = posted(admin).length;
    await signIn(admin, ACME.admin.upn);
    await b.connector.waitFor((c) => c.conversationId === admin.conversationId && isPostedCard(c) && textOf(cardOf(c)).includes('John Doe'));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(posted(admin).slice(before)).toHaveLength(1);
  });

  it('waits for the choice of an environment when the admin manages several', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    await admin.say('reset jmus');
    const picker = cardOf(await signIn(admin, HOSTING.admin.upn));
    const before = posted(admin).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(posted(admin)).toHaveLength(before); // not yet: no environment chosen
    const hosting = buttonsOf(picker).find((x) => x.data['tenantKey'] === 'hosting')!;
    expect(textOf(cardOf(await admin.execute('env.choose', hosting.data)))).toContain('You are now working in Hosting');
    const employee = await b.connector.waitFor((c) => c.conversationId === admin.conversationId && isPostedCard(c) && textOf(cardOf(c)).includes('Joman Mus'));
    // The employee card with its buttons: nothing was reset without the admin pressing Reset.
    expect(buttonsOf(cardOf(employee)).map((x) => x.title)).toContain('Reset');
    const [last] = await b.h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 1 });
    expect(last?.action === 'reset' && last.time > new Date(Date.now() - 10_000).toISOString()).toBe(false);
  });

  it('is not kept when it is not a command (it may be a password typed in the wrong place)', async () => {
    const admin = b.user({ teamsTenantId: ACME_TEAMS_TENANT });
    const [card] = await admin.say('Geheim-Wachtwoord-123');
    expect(textOf(cardOf(card!))).not.toContain('Once you have signed in');
    const before = posted(admin).length;
    await signIn(admin, ACME.admin.upn);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(posted(admin)).toHaveLength(before);
    expect(await b.h.state.pendingCommands.take({ teamsTenantId: ACME_TEAMS_TENANT.toLowerCase(), aadObjectId: admin.aadObjectId.toLowerCase() })).toBeNull();
  });
});
