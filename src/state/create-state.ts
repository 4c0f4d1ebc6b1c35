/** Chooses the state store from the settings: PostgreSQL when DATABASE_URL is set, else DATA_DIR. */
import { createFileAuditLog, type AuditFileEvent, type AuditLog } from '../audit/audit-log.js';
import type { Config, StoreSettings } from '../config/config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createEmbeddedState, embeddedAuditDir } from './embedded/index.js';
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

/** The audit log, only to read it, opened beside a running bot. */
export interface AuditReader {
  readonly audit: Pick<AuditLog, 'between'>;
  close(): Promise<void>;
}

/**
 * The configured store's audit log for reading only (the operator's export, src/audit/cli.ts),
 * while the bot runs: the embedded month files in DATA_DIR/audit read directly, without the
 * DATA_DIR lock (reading an append-only file beside its one writer is safe, and `between` writes
 * nothing); on PostgreSQL a read-only connection, without migrating.
 */
export async function openAuditReader(settings: StoreSettings, options: { log: Logger; onFileEvent: (event: AuditFileEvent) => void }): Promise<AuditReader> {
  if (settings.databaseUrl) {
    const { openPostgresAuditReader } = await import('./postgres/index.js');
    return openPostgresAuditReader({ url: settings.databaseUrl, auditRetentionDays: settings.auditRetentionDays, log: options.log });
  }
  const audit = createFileAuditLog({ dir: embeddedAuditDir(settings.dataDir), retentionDays: settings.auditRetentionDays, onEvent: options.onFileEvent });
  return { audit: { between: (range) => audit.between(range) }, close: async () => undefined };
}
