/**
 * kill -9 during a burst of 20 resets, on the embedded store: every file stays valid, the restarted
 * bot takes the folder over, and every change sent to the directory ends with an outcome in the
 * audit (reconciled from the directory where the process died before writing it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntrySchema, type AuditEntry } from '../../src/audit/audit-log.js';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { bulkPerson, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { HOSTING_TEAMS_TENANT, startHarness, type Harness } from '../support/harness.js';
import { startBotProcess, type BotProcess } from '../support/bot-process.js';
import { button, cardOf, startConnector, TeamsUser, type StandInConnector } from '../support/teams.js';

const BURST = 20;
const people = Array.from({ length: BURST }, (_, i) => bulkPerson(i + 1));
let h: Harness;
let connector: StandInConnector;
let bot: BotProcess | undefined;

beforeAll(async () => {
  h = await startHarness();
  connector = await startConnector();
});

afterAll(async () => {
  await bot?.stop('SIGKILL');
  await connector.close();
  for (const person of people) await restoreSeedPassword(person.dn);
  await h.close();
});

function auditLines(dataDir: string): { entries: AuditEntry[]; invalid: number; tornLast: boolean } {
  const entries: AuditEntry[] = [];
  let invalid = 0;
  let tornLast = false;
  const dir = join(dataDir, 'audit');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    const text = readFileSync(join(dir, name), 'utf8');
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      const parsed = (() => {
        try {
          return auditEntrySchema.safeParse(JSON.parse(line));
        } catch {
          return undefined;
        }
      })();
      if (parsed?.success) entries.push(parsed.data);
      else if (i === lines.length - 1) tornLast = true;
      else invalid += 1;
    });
  }
  return { entries, invalid, tornLast };
}

/** Intents whose correlation id has no later entry: changes whose end is not known. */
function openIntents(entries: AuditEntry[]): AuditEntry[] {
  return entries.filter((e) => e.outcome === 'intent' && !entries.some((o) => o.correlationId === e.correlationId && o.outcome !== 'intent'));
}

describe('a crash in the middle of a burst of resets', () => {
  it('leaves valid files, and after a restart every directory change has an outcome in the audit', async () => {
    const env = { ...h.env, DATA_DIR: join(h.dir, 'crash-data'), LDAP_TIMEOUT_MS: '1000', LOG_LEVEL: 'info' };
    bot = await startBotProcess(env);
    const admin = new TeamsUser(bot.url, connector, { teamsTenantId: HOSTING_TEAMS_TENANT });
    const [signInCard] = await admin.say('signin');
    const signedIn = await admin.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD }, signInCard!.id);
    expect(JSON.stringify(signedIn.body)).toContain('Hosting');
    const buttons = [];
    for (const person of people) {
      const [card] = await admin.say(`reset ${person.sam}`);
      buttons.push(button(cardOf(card!), /^Reset$/).data);
    }

    // All 20 at once; the process is killed as soon as a change is under way (an intent without its outcome).
    const dataDir = env.DATA_DIR;
    const presses = buttons.map((data) => admin.taskFetch(data).catch(() => undefined));
    for (let waited = 0; openIntents(auditLines(dataDir).entries).length === 0 && waited < 10_000; waited += 2) await sleep(2);
    await bot.stop('SIGKILL');
    await Promise.all(presses);

    const afterCrash = auditLines(dataDir);
    // The crash did leave changes without an outcome: what the restart must reconcile.
    expect(openIntents(afterCrash.entries).length).toBeGreaterThan(0);
    expect(afterCrash.invalid).toBe(0); // at most the last line is torn
    expect(() => JSON.parse(readFileSync(join(dataDir, 'sessions.json'), 'utf8'))).not.toThrow();
    for (const line of readFileSync(join(dataDir, 'confirmations-used.jsonl'), 'utf8').split('\n').slice(0, -1).filter(Boolean)) {
      expect(() => JSON.parse(line)).not.toThrow();
    }

    // Restarted on the same folder: the dead process's lock is taken over, and reconciliation runs.
    bot = await startBotProcess(env);
    let open = openIntents(auditLines(dataDir).entries);
    for (let waited = 0; open.length > 0 && waited < 20_000; waited += 500) {
      await sleep(500);
      open = openIntents(auditLines(dataDir).entries);
    }
    expect(open).toEqual([]);

    // What the audit says happened is what the directory says.
    const { entries } = auditLines(dataDir);
    for (const person of people) {
      const ends = entries.filter((e) => e.target?.sam === person.sam && e.action === 'reset' && e.outcome !== 'intent');
      const changed = ends.some((e) => e.outcome === 'success' || e.outcome === 'applied');
      expect(await bindResult(person.upn, SEED_PASSWORD), person.sam).toBe(changed ? '52e' : 'ok');
    }
  });
});
