/**
 * Readiness: whether the directory's side of the tenants file holds (every admin group exists and
 * is a security group, every protected group exists). Checked at start-up — a misconfiguration
 * refuses the start, naming the setting — and again on a timer, so that a group changed later is
 * logged and `/readyz` turns 503. `/readyz` answers from the last result: calling it costs the
 * directory nothing and tells nothing but ready or not (unlike `/healthz`, which anyone may call).
 */
import { ConfigError } from '../config/config.js';
import type { Core } from '../core.js';
import type { Logger } from '../log/logger.js';

export interface Readiness {
  /** True once the setup was checked and found right, and until a later check finds otherwise. */
  isReady(): boolean;
  stop(): void;
}

const RECHECK_MS = 10 * 60_000;
const RETRY_MS = 30_000;

export async function watchDirectorySetup(core: Core, log: Logger): Promise<Readiness> {
  let ready = false;
  let timer: NodeJS.Timeout | undefined;

  /** null: the directory could not be asked. */
  const check = async (): Promise<string[] | null> => {
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
    const problems = await check();
    if (problems !== null) {
      ready = problems.length === 0;
      if (!ready) log.error({ code: 'DIRECTORY_SETUP_INVALID', problems }, 'the tenants file does not match the directory');
    }
    schedule(problems === null ? RETRY_MS : RECHECK_MS);
  };

  const first = await check();
  if (first !== null && first.length > 0) throw new ConfigError(first);
  ready = first !== null;
  schedule(first === null ? RETRY_MS : RECHECK_MS);
  return {
    isReady: () => ready,
    stop: () => clearTimeout(timer),
  };
}
