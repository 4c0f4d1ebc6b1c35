/**
 * `npm start`: reads the settings (environment and .env), refuses to start on any bad one (naming
 * it, exit 1), then runs the bot until SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from './config/config.js';
import { DotEnvError } from './config/environment.js';
import { readEnvironment } from './config/environment.js';
import { startBot } from './bot/bot.js';
import { createLogger } from './log/logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DotEnvError) {
      console.error(`password-reset-bot cannot start.\n${error.message}\nSee README.md, "Settings".`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  const bot = await startBot(config, log);
  const stop = (signal: string) => {
    log.info({ code: 'STOPPING', signal }, 'stopping');
    void bot.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('password-reset-bot stopped:', error instanceof Error ? error.message : error);
  process.exit(1);
});
