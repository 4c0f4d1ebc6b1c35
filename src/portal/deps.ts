/** The portal's dependencies, from the running bot's parts (composition only). */
import type { Config } from '../config/config.js';
import type { Core } from '../core.js';
import type { Logger } from '../log/logger.js';
import type { StateStore } from '../state/state.js';
import type { LinkDeps } from './link.js';

export function portalDeps(config: Config, core: Core, state: StateStore, log: Logger): LinkDeps {
  return {
    directory: core.directory,
    audit: state.audit,
    log,
    pendingResets: state.pendingResets,
    attempts: state.portalAttempts,
    linkTokens: state.linkTokens,
    tenants: config.tenants,
    failureMinMs: config.signIn.failureMinMs,
  };
}
