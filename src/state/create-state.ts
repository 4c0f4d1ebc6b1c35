/** Chooses the state store from the settings: PostgreSQL when DATABASE_URL is set, else DATA_DIR. */
import type { Config } from '../config/config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createEmbeddedState } from './embedded/index.js';
import type { StateStore } from './state.js';

const silentLogger = () => createLogger('silent');

export async function createState(config: Config, log?: Logger): Promise<StateStore> {
  const common = {
    sessionTtlMinutes: config.sessionTtlMinutes,
    signIn: { maxFailures: config.signIn.maxFailures, windowMinutes: config.signIn.windowMinutes },
    auditRetentionDays: config.auditRetentionDays,
  };
  if (config.databaseUrl) {
    // Loaded only when asked for: an embedded install never loads the PostgreSQL client.
    const { createPostgresState } = await import('./postgres/index.js');
    return createPostgresState({ url: config.databaseUrl, ...common, log: log ?? silentLogger() });
  }
  return createEmbeddedState({ dataDir: config.dataDir, ...common, ...(log ? { log } : {}) });
}
