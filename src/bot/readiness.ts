/**
 * Liveness and readiness, so that neither can be used to make the bot bind on demand:
 * - `/healthz` (liveness, in server.ts) answers from the process alone: no directory, mail or store.
 * - `/readyz` answers whether the bot can serve: the tenants file matches the directory (every admin
 *   group exists and is a security group, every protected group exists: checked at start-up, where a
 *   mismatch refuses the start, and again every 10 minutes) and the directory, the mail server and
 *   the state store answer. Those three are asked at most once every few seconds however often
 *   `/readyz` is called; concurrent calls share one probe.
 */
import { ConfigError } from '../config/config.js';
import type { Core } from '../core.js';
import type { Logger } from '../log/logger.js';
import type { StateStore } from '../state/state.js';

type PartStatus = 'ok' | 'unreachable';

export interface ReadinessReport {
  readonly ready: boolean;
  /** Whether the tenants file matched the directory at the last check ('unchecked' until it could be asked). */
  readonly setup: 'ok' | 'invalid' | 'unchecked';
  readonly directory: PartStatus;
  readonly mail: PartStatus;
  readonly store: PartStatus;
}

export interface Readiness {
  report(): Promise<ReadinessReport>;
  stop(): void;
}

const RECHECK_MS = 10 * 60_000;
const RETRY_MS = 30_000;
/** The directory, mail server and store are asked at most this often. */
export const PROBE_INTERVAL_MS = 5_000;

async function reachable(work: () => Promise<unknown>): Promise<PartStatus> {
  try {
    await work();
    return 'ok';
  } catch {
    return 'unreachable';
  }
}

export async function watchReadiness(core: Core, state: StateStore, log: Logger, options: { probeIntervalMs?: number } = {}): Promise<Readiness> {
  const probeIntervalMs = options.probeIntervalMs ?? PROBE_INTERVAL_MS;
  let setup: ReadinessReport['setup'] = 'unchecked';
  let timer: NodeJS.Timeout | undefined;

  /** null: the directory could not be asked. */
  const checkSetup = async (): Promise<string[] | null> => {
    try {
      return await core.directory.checkSetup();
    } catch (error) {
      log.warn({ code: 'DIRECTORY_SETUP_UNCHECKED', cause: String(error) }, 'the directory could not be reached to check the admin groups');
      return null;
    }
  };
  const schedule = (ms: number) => {
    timer = setTimeout(() => void recheck(), ms);
    timer.unref();
  };
  const recheck = async () => {
    const problems = await checkSetup();
    if (problems !== null) {
      setup = problems.length === 0 ? 'ok' : 'invalid';
      if (problems.length > 0) log.error({ code: 'DIRECTORY_SETUP_INVALID', problems }, 'the tenants file does not match the directory');
    }
    schedule(problems === null ? RETRY_MS : RECHECK_MS);
  };

  const first = await checkSetup();
  if (first !== null && first.length > 0) throw new ConfigError(first);
  if (first !== null) setup = 'ok';
  schedule(first === null ? RETRY_MS : RECHECK_MS);

  let last: { at: number; parts: Pick<ReadinessReport, 'directory' | 'mail' | 'store'> } | undefined;
  let probing: Promise<Pick<ReadinessReport, 'directory' | 'mail' | 'store'>> | undefined;
  const probe = async () => {
    if (last && Date.now() - last.at < probeIntervalMs) return last.parts;
    probing ??= (async () => {
      const [directory, mail, store] = await Promise.all([reachable(() => core.directory.ping()), reachable(() => core.mailer.verify()), reachable(() => state.ping())]);
      last = { at: Date.now(), parts: { directory, mail, store } };
      probing = undefined;
      return last.parts;
    })();
    return probing;
  };

  return {
    async report() {
      const parts = await probe();
      const ready = setup === 'ok' && parts.directory === 'ok' && parts.mail === 'ok' && parts.store === 'ok';
      return { ready, setup, ...parts };
    },
    stop: () => clearTimeout(timer),
  };
}
