/**
 * The bot running for real (startBot, its HTTP endpoint on loopback) against the test DC and a
 * real SMTP server, with the Bot Connector played by a local stand-in.
 */
import { Writable } from 'node:stream';
import { startBot, type RunningBot } from '../../src/bot/bot.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { everythingUnder, startHarness, type Harness } from './harness.js';
import { expect } from 'vitest';
import { HOSTING, SEED_PASSWORD } from './fixtures.js';
import { HOSTING_TEAMS_TENANT } from './harness.js';
import { cardOf, startConnector, textOf, TeamsUser, type CardJson, type StandInConnector, type TeamsUserOptions } from './teams.js';

export interface BotHarness {
  readonly h: Harness;
  readonly bot: RunningBot;
  readonly connector: StandInConnector;
  readonly logs: string[];
  user(options: TeamsUserOptions): TeamsUser;
  close(): Promise<void>;
}

export async function startBotHarness(overrides: Record<string, string | undefined> = {}, options: { answerWithinMs?: number } = {}): Promise<BotHarness> {
  const h = await startHarness(overrides);
  const connector = await startConnector();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig(h.env);
  const bot = await startBot(config, createLogger('debug', sink), { port: 0, ...options, state: h.state });
  return {
    h,
    bot,
    connector,
    logs,
    user: (userOptions) => new TeamsUser(bot.url, connector, userOptions),
    async close() {
      await bot.close();
      await connector.close();
      await h.close();
    },
  };
}

/** A new Teams user of Hosting's tenant, signed in as Hosting's admin (one environment: working in it). */
export async function signedInAdmin(b: BotHarness, locale = 'en-US'): Promise<TeamsUser> {
  const user = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT, locale });
  const [signInCall] = await user.say('signin');
  const result = await user.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD }, signInCall!.id);
  expect(textOf(cardOf(result))).toMatch(/working in|werkt nu in/);
  return user;
}

/** Says `text`; the one card the bot posted in reply, and its activity id. */
export async function ask(user: TeamsUser, text: string): Promise<{ card: CardJson; id: string }> {
  // Replies only: a proactive message (the follow-up of an earlier reset) may arrive meanwhile.
  const calls = (await user.say(text)).filter((c) => c.activityId !== undefined);
  expect(calls.map((c) => c.method)).toEqual(['POST']);
  return { card: cardOf(calls[0]!), id: calls[0]!.id };
}

/**
 * None of these secrets (temporary passwords seen in dialogs, the seed password) reached what the
 * bot wrote: the chat (every call to the connector), a log line (the bot's and the core's), or a
 * file in its data folder. There must be some to look for, or the check proves nothing.
 */
export function expectNowhereWritten(b: BotHarness, secrets: readonly string[]): void {
  expect(secrets.length).toBeGreaterThan(0);
  const chat = JSON.stringify(b.connector.calls);
  const logs = [...b.logs, ...b.h.logs].join('\n');
  const files = everythingUnder(b.h.dataDir);
  for (const secret of secrets) {
    expect(chat).not.toContain(secret);
    expect(logs).not.toContain(secret);
    expect(files).not.toContain(secret);
  }
}
