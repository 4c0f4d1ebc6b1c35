/**
 * The bot as one unit: the core, its stores under DATA_DIR, the adapter, the teams-ai
 * application and the HTTP server. Used by src/index.ts, the demo and the tests.
 */
import { join } from 'node:path';
import type restify from 'restify';
import { createLowdbNonceStore } from '../auth/nonce-store.js';
import { createLowdbSessionStore } from '../auth/session-store.js';
import { createLowdbSignInLimiter } from '../auth/sign-in-limiter.js';
import type { Config } from '../config/config.js';
import { createCore, type Core } from '../core.js';
import type { Logger } from '../log/logger.js';
import { createAdapter, createBotApplication } from './app.js';
import type { BotDeps } from './handlers.js';
import { watchDirectorySetup, type Readiness } from './readiness.js';
import { preloadCardTemplates } from './cards.js';
import { startServer, type BotServer } from './server.js';

export interface RunningBot extends BotServer {
  readonly core: Core;
  readonly deps: BotDeps;
}

export async function startBot(
  config: Config,
  log: Logger,
  options: { port?: number; answerWithinMs?: number; extend?: (server: restify.Server) => void } = {},
): Promise<RunningBot> {
  // A missing or broken card template stops the start, not the first admin who needs it.
  preloadCardTemplates();
  const core = createCore(config, log);
  let readiness: Readiness;
  try {
    readiness = await watchDirectorySetup(core, log);
  } catch (error) {
    core.close();
    throw error;
  }
  const deps: BotDeps = {
    core,
    sessions: createLowdbSessionStore({ file: join(config.dataDir, 'sessions.json'), ttlMinutes: config.sessionTtlMinutes }),
    limiter: createLowdbSignInLimiter({
      file: join(config.dataDir, 'sign-in-failures.json'),
      maxFailures: config.signIn.maxFailures,
      windowMinutes: config.signIn.windowMinutes,
    }),
    nonces: createLowdbNonceStore({ file: join(config.dataDir, 'nonces.json') }),
    log,
    answerWithinMs: options.answerWithinMs ?? 4000,
    signInFailureMinMs: config.signIn.failureMinMs,
  };
  const adapter = createAdapter(config, log);
  const app = createBotApplication(adapter, config, deps);
  const extend = (server: restify.Server) => {
    server.get('/readyz', async (_req, res) => {
      const ready = readiness.isReady();
      res.send(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    });
    options.extend?.(server);
  };
  let server: BotServer;
  try {
    server = await startServer({ config, core, adapter, app, log, extend }, options.port);
  } catch (error) {
    readiness.stop();
    core.close();
    throw error;
  }
  return {
    ...server,
    core,
    deps,
    async close() {
      readiness.stop();
      await server.close();
      core.close();
    },
  };
}
