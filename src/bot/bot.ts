/**
 * The bot as one unit: the core, its stores under DATA_DIR, the adapter, the teams-ai
 * application and the HTTP server. Used by src/index.ts, the demo and the tests.
 */
import { join } from 'node:path';
import type restify from 'restify';
import { createLowdbNonceStore } from '../auth/nonce-store.js';
import { createPasswordVault } from '../auth/password-vault.js';
import { createLowdbSessionStore } from '../auth/session-store.js';
import { createLowdbSignInLimiter } from '../auth/sign-in-limiter.js';
import { ConfigError, type Config } from '../config/config.js';
import { createCore, type Core } from '../core.js';
import type { Logger } from '../log/logger.js';
import { createAdapter, createBotApplication } from './app.js';
import type { BotDeps } from './handlers.js';
import { startServer, type BotServer } from './server.js';

export interface RunningBot extends BotServer {
  readonly core: Core;
  readonly deps: BotDeps;
}

/**
 * Refuses to start when the tenants file names admin groups that do not exist or are distribution
 * groups (their members are absent from tokenGroups), or protected groups that do not exist. A
 * directory that cannot be reached yet does not stop the start: the actions will say so.
 */
async function checkDirectorySetup(core: Core, log: Logger): Promise<void> {
  let problems: string[];
  try {
    problems = await core.directory.checkSetup();
  } catch (error) {
    log.warn({ code: 'DIRECTORY_SETUP_UNCHECKED', cause: String(error) }, 'the directory could not be reached to check the admin groups');
    return;
  }
  if (problems.length > 0) {
    core.close();
    throw new ConfigError(problems);
  }
}

export async function startBot(
  config: Config,
  log: Logger,
  options: { port?: number; answerWithinMs?: number; extend?: (server: restify.Server) => void } = {},
): Promise<RunningBot> {
  const core = createCore(config, log);
  await checkDirectorySetup(core, log);
  const deps: BotDeps = {
    core,
    sessions: createLowdbSessionStore({ file: join(config.dataDir, 'sessions.json'), ttlMinutes: config.sessionTtlMinutes }),
    limiter: createLowdbSignInLimiter({
      file: join(config.dataDir, 'sign-in-failures.json'),
      maxFailures: config.signIn.maxFailures,
      windowMinutes: config.signIn.windowMinutes,
    }),
    nonces: createLowdbNonceStore({ file: join(config.dataDir, 'nonces.json') }),
    vault: createPasswordVault(),
    log,
    answerWithinMs: options.answerWithinMs ?? 4000,
    signInFailureMinMs: config.signIn.failureMinMs,
  };
  const adapter = createAdapter(config, log);
  const app = createBotApplication(adapter, config, deps);
  const server = await startServer({ config, core, adapter, app, log, ...(options.extend ? { extend: options.extend } : {}) }, options.port);
  return {
    ...server,
    core,
    deps,
    async close() {
      await server.close();
      core.close();
    },
  };
}
