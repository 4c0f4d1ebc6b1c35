/**
 * The bot as one unit: the state store, the core, the adapter, the teams-ai application and the
 * HTTP server. Used by src/index.ts, the demo and the tests.
 */
import type restify from 'restify';
import type { Config } from '../config/config.js';
import { createCore, type Core } from '../core.js';
import type { Logger } from '../log/logger.js';
import { FOLLOW_UP_JOB, followUpResets, type FollowUpSummary } from '../reset/follow-up.js';
import { createState } from '../state/create-state.js';
import type { StateStore } from '../state/state.js';
import { createAdapter, createBotApplication } from './app.js';
import { preloadCardTemplates } from './cards.js';
import type { BotDeps } from './handlers.js';
import { createConversationKeeper, createNotifier, followUpCard } from './notify.js';
import { watchReadiness, type Readiness } from './readiness.js';
import { startServer, type BotServer } from './server.js';
import { portalDeps } from '../portal/deps.js';
import { portalRoutes } from '../portal/routes.js';

export interface RunningBot extends BotServer {
  readonly core: Core;
  readonly deps: BotDeps;
}

export interface StartOptions {
  readonly port?: number;
  readonly answerWithinMs?: number;
  readonly extend?: (server: restify.Server) => void;
  /** A state store opened by the caller (tests), which then also closes it. */
  readonly state?: StateStore;
}

export async function startBot(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningBot> {
  // A missing or broken card template stops the start, not the first admin who needs it.
  preloadCardTemplates();
  const ownState = options.state === undefined;
  const state = options.state ?? (await createState(config, log));
  const core = createCore(config, log, state);
  const stop: (() => Promise<void> | void)[] = [() => core.close(), () => (ownState ? state.close() : undefined)];
  let closing: Promise<void> | undefined;
  // Once, in the reverse order of opening, however often it is called.
  const closeAll = () =>
    (closing ??= (async () => {
      for (const step of [...stop].reverse()) await step();
    })());
  try {
    const readiness: Readiness = await watchReadiness(core, state, log);
    stop.push(() => readiness.stop());
    const deps: BotDeps = {
      core,
      sessions: state.sessions,
      limiter: state.signInAttempts,
      nonces: state.confirmations,
      pendingCommands: state.pendingCommands,
      log,
      answerWithinMs: options.answerWithinMs ?? 4000,
      signInFailureMinMs: config.signIn.failureMinMs,
    };
    const adapter = createAdapter(config, log);
    const app = createBotApplication(adapter, config, deps, createConversationKeeper(state.conversations, log));
    const notify = createNotifier(adapter, config, state.conversations);
    stop.push(
      startFollowUp(config.followUp.pollSeconds, () =>
        state.runExclusive(FOLLOW_UP_JOB, () =>
          followUpResets({
            directory: core.directory,
            audit: core.audit,
            log,
            pendingResets: state.pendingResets,
            tenants: config.tenants,
            tempPasswordMaxMinutes: config.followUp.tempPasswordMaxMinutes,
            tell: async (event) => {
              if (!(await notify(event.reset.admin, (language) => followUpCard(language, event)))) {
                log.warn({ code: 'NOTIFY_NO_CONVERSATION', target: event.reset.accountGuid }, 'no conversation with the admin is known: not told');
              }
            },
          }),
        ),
        log,
      ),
    );
    const extend = (server: restify.Server) => {
      server.get('/readyz', async (_req, res) => {
        const { ready, ...parts } = await readiness.report();
        res.send(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...parts });
      });
      portalRoutes(portalDeps(config, core, state, log), { publicUrl: config.publicUrl })(server);
      options.extend?.(server);
    };
    const server = await startServer({ config, adapter, app, log, extend }, options.port);
    stop.push(() => server.close());
    return { ...server, core, deps, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Runs the follow-up of temporary passwords every `seconds` (never two rounds at once in this process); returns its stop. */
function startFollowUp(seconds: number, round: () => Promise<FollowUpSummary | undefined>, log: Logger): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const summary = await round();
      if (summary && summary.chosen + summary.expired + summary.dropped > 0) log.info({ code: 'FOLLOWED_UP', ...summary }, 'temporary passwords followed up');
    } catch (error) {
      log.error({ code: 'FOLLOW_UP_FAILED', cause: String(error) }, 'the follow-up of temporary passwords failed; it runs again later');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
