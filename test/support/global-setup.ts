/**
 * vitest globalSetup: a fresh Samba AD DC for the whole run, provisioned, seeded and started by
 * the project's own scripts/samba-dc.sh, and stopped when the run ends (or when start-up fails).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DC_DIR, DC_IP, DOMAIN_ADMIN, SEED_PASSWORD, SERVICE_ACCOUNT } from './fixtures.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/samba-dc.sh', import.meta.url));
const PACKAGES = 'samba-ad-dc samba-ad-provision ldb-tools ldap-utils krb5-user openssl';
const TOOLS = ['samba', 'samba-tool', 'ldbmodify', 'ldbsearch', 'ldapsearch', 'openssl'];

// samba lives in /usr/sbin, which a non-root PATH may lack; the seed generator needs this node.
const PATH = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', dirname(process.execPath)].filter(Boolean).join(delimiter);

const env = {
  ...process.env,
  PATH,
  DC_DIR,
  DC_IP,
  DC_ADMIN_PASSWORD: DOMAIN_ADMIN.password,
  DC_SERVICE_PASSWORD: SERVICE_ACCOUNT.password,
  DC_SEED_PASSWORD: SEED_PASSWORD,
};

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function missingTools(): string[] {
  const dirs = PATH.split(delimiter);
  return TOOLS.filter((tool) => !dirs.some((dir) => isExecutable(join(dir, tool))));
}

async function dc(command: 'provision' | 'start' | 'stop', timeoutMs: number): Promise<number> {
  const started = performance.now();
  try {
    await run(SCRIPT, [command], { env, timeout: timeoutMs, maxBuffer: 10 * 1024 * 1024 });
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string };
    const detail = [output.stdout, output.stderr].filter(Boolean).join('\n').trim();
    throw new Error(`scripts/samba-dc.sh ${command} failed${detail ? `:\n${detail}` : ''}`, { cause: error });
  }
  return Math.round(performance.now() - started);
}

export default async function setup(): Promise<() => Promise<void>> {
  const missing = missingTools();
  if (missing.length > 0) {
    throw new Error(
      `The directory tests need a real Samba AD DC, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed. ` +
        `Install the packages (.ci/run does): apt-get install -y --no-install-recommends ${PACKAGES}`,
    );
  }

  const provisionMs = await dc('provision', 120_000);
  let startMs: number;
  try {
    startMs = await dc('start', 60_000);
  } catch (error) {
    await dc('stop', 30_000).catch(() => undefined);
    throw error;
  }
  console.log(`samba-dc: ldaps://${DC_IP} ready (provision+seed ${provisionMs} ms, start ${startMs} ms, ${DC_DIR})`);

  return async () => {
    await dc('stop', 30_000);
  };
}
