/**
 * The bot running for real (startBot, its HTTP endpoint on loopback) against the test DC and a
 * real SMTP server, with the Bot Connector played by a local stand-in.
 */
import { Writable } from 'node:stream';
import { startBot, type RunningBot } from '../../src/bot/bot.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { startHarness, type Harness } from './harness.js';
import { startConnector, TeamsUser, type StandInConnector, type TeamsUserOptions } from './teams.js';

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
