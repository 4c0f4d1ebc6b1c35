/** Chooses the state store from the settings: PostgreSQL when DATABASE_URL is set, else DATA_DIR. */
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { createEmbeddedState } from './embedded/index.js';
import type { StateStore } from './state.js';

export async function createState(config: Config, log?: Logger): Promise<StateStore> {
  const common = {
    sessionTtlMinutes: config.sessionTtlMinutes,
    signIn: { maxFailures: config.signIn.maxFailures, windowMinutes: config.signIn.windowMinutes },
    auditRetentionDays: config.auditRetentionDays,
  };
  return createEmbeddedState({ dataDir: config.dataDir, ...common, ...(log ? { log } : {}) });
}
