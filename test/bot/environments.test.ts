/** Admins of several environments choose one; sessions outlive a restart of the bot. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot } from '../../src/bot/bot.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { ACME_TEAMS_TENANT, HOSTING_TEAMS_TENANT, tenantsFileContent } from '../support/harness.js';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { buttonsOf, cardOf, textOf, TeamsUser, type CardJson } from '../support/teams.js';

let b: BotHarness;

beforeAll(async () => {
  // Hosting's admin group administers Acme too, and both environments serve both Teams tenants.
  const file = JSON.parse(tenantsFileContent()) as { tenants: Record<string, unknown>[] };
  for (const tenant of file.tenants) tenant['teamsTenantIds'] = [HOSTING_TEAMS_TENANT, ACME_TEAMS_TENANT];
  file.tenants[1]!['adminGroupDn'] = HOSTING.adminGroupDn;
  const tenantsFile = join(mkdtempSync(join(tmpdir(), 'pwreset-tenants-')), 'tenants.json');
  writeFileSync(tenantsFile, JSON.stringify(file));
  b = await startBotHarness({ TENANTS_FILE: tenantsFile });
});

afterAll(async () => {
  await b.close();
});

function environmentButton(picker: CardJson, key: string): Record<string, unknown> {
  const found = buttonsOf(picker).find((x) => x.data['tenantKey'] === key);
  if (!found) throw new Error(`no button for ${key}`);
  return found.data;
}

async function signIn(user: TeamsUser) {
  return user.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD });
}

describe('an admin of several environments', () => {
  it('picks one on a card, and switches with "env <name>"', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    const picker = cardOf(await signIn(admin));
    expect(textOf(picker)).toContain('Hosting');
    expect(textOf(picker)).toContain('Acme');
    expect(buttonsOf(picker).map((x) => x.data['tenantKey'])).toEqual(['hosting', 'acme']);

    // Before choosing, a command asks for the choice again.
    expect(buttonsOf(cardOf((await admin.say('list'))[0]!)).map((x) => x.verb)).toContain('env.choose');

    const chosen = await admin.execute('env.choose', environmentButton(picker, 'acme'));
    expect(textOf(cardOf(chosen))).toContain('You are now working in Acme');
    const acmeList = textOf(cardOf((await admin.say('list'))[0]!));
    expect(acmeList).toContain('John Doe');
    expect(acmeList).not.toContain('Joman Mus');

    expect(textOf(cardOf((await admin.say('env hosting'))[0]!))).toContain('You are now working in Hosting');
    // A name that is not theirs (Fabrikam exists, but not for them) or not at all reads the same, with the choice.
    for (const name of ['Fabrikam', 'Nowhere']) {
      const refused = cardOf((await admin.say(`env ${name}`))[0]!);
      expect(textOf(refused)).toContain(`You manage no environment called “${name}”.`);
      expect(buttonsOf(refused).filter((x) => x.verb === 'env.choose')).toHaveLength(2);
    }
    expect(textOf(cardOf((await admin.say('find mus'))[0]!))).toContain('Joman Mus');
  });

  it('keeps the session when the bot restarts', async () => {
    const admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
    const picker = cardOf(await signIn(admin));
    await admin.execute('env.choose', environmentButton(picker, 'hosting'));

    // The bot stops, and starts again on the same DATA_DIR.
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    await b.bot.close();
    await b.h.state.close();
    const restarted = await startBot(loadConfig(b.h.env), createLogger('silent', quiet), { port: 0 });
    try {
      const same = new TeamsUser(restarted.url, b.connector, { teamsTenantId: HOSTING_TEAMS_TENANT, aadObjectId: admin.aadObjectId });
      const list = textOf(cardOf((await same.say('list'))[0]!));
      expect(list).toContain('Joman Mus');
    } finally {
      await restarted.close();
    }
  });
});
