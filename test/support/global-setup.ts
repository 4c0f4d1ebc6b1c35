/**
 * vitest globalSetup: a fresh Samba AD DC for the whole run, provisioned, seeded and started by
 * the project's own scripts/samba-dc.sh, and stopped when the run ends (or when start-up fails).
 *
 * Every run has a DC of its own, so that two runs on one machine (two clones, two terminals) do
 * not break each other: a new folder (mkdtemp, pwreset-test-dc-XXXXXX under the temp dir) and a
 * random loopback address 127.X.Y.Z that nothing listens on, claimed with a lock directory
 * (pwreset-dc-locks/<address>, holding the owner's pid) that is created atomically. The test files
 * get both through vitest's provide/inject (test/support/test-dc.ts). At the end the DC is
 * stopped, its folder removed and the address released; a DC this run did not start is never
 * stopped.
 *
 * Must not import fixtures.ts or test-dc.ts: inject() works only inside vitest's workers.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { DOMAIN_ADMIN, SEED_PASSWORD, SERVICE_ACCOUNT } from './dc-accounts.js';
import type { TestDcLocation } from './test-dc.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/samba-dc.sh', import.meta.url));
const PACKAGES = 'samba-ad-dc samba-ad-provision ldb-tools ldap-utils krb5-user openssl';
const TOOLS = ['samba', 'samba-tool', 'ldbmodify', 'ldbsearch', 'ldapsearch', 'openssl'];
const LOCK_ROOT = join(tmpdir(), 'pwreset-dc-locks');
const CLAIM_ATTEMPTS = 50;

// samba lives in /usr/sbin, which a non-root PATH may lack; the seed generator needs this node.
const PATH = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', dirname(process.execPath)].filter(Boolean).join(delimiter);

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

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** True while a process with this pid exists (EPERM: it exists, but belongs to another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

function readPid(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Moves a lock directory out of the way in one atomic step; false when it is not there (any more). */
function moveAside(lock: string): string | undefined {
  const tombstone = join(LOCK_ROOT, `.gone-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    renameSync(lock, tombstone);
    return tombstone;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Removes a lock whose owner has died (a run that was killed). The address is not retaken in the
 * same attempt: the caller draws another one, so two runs that find the same stale lock cannot
 * end up sharing it.
 */
function removeIfStale(lock: string): void {
  const owner = readPid(lock);
  // No pid yet cannot happen (a lock is complete when it appears), but never remove one in doubt.
  if (owner === undefined || isAlive(owner)) return;
  const tombstone = moveAside(lock);
  if (tombstone === undefined) return;
  if (readPid(tombstone) !== owner) {
    // Someone removed the stale lock and claimed the address in between: give it back.
    try {
      renameSync(tombstone, lock);
    } catch {
      // The address was claimed once more in the meantime; nothing sensible left to do.
    }
    return;
  }
  rmSync(tombstone, { recursive: true, force: true });
}

/**
 * Claims an address: a complete lock directory (with our pid inside) is renamed into place, which
 * succeeds for exactly one of several runs racing for the same address (rename(2) does not replace
 * a non-empty directory).
 */
function tryLock(ip: string): string | undefined {
  const lock = join(LOCK_ROOT, ip);
  const staging = mkdtempSync(join(LOCK_ROOT, `.claim-${process.pid}-`));
  writeFileSync(join(staging, 'pid'), `${process.pid}\n`);
  try {
    renameSync(staging, lock);
    return lock;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (errorCode(error) === 'ENOTEMPTY' || errorCode(error) === 'EEXIST') {
      removeIfStale(lock);
      return undefined;
    }
    throw error;
  }
}

function releaseLock(lock: string): void {
  if (readPid(lock) !== process.pid) return;
  const tombstone = moveAside(lock);
  if (tombstone !== undefined) rmSync(tombstone, { recursive: true, force: true });
}

/** Whether something accepts TCP connections on ip:port (a listener on 0.0.0.0 counts too). */
function listens(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port, timeout: 1_000 });
    const done = (busy: boolean) => {
      socket.destroy();
      resolve(busy);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(true));
    socket.once('error', (error) => done(errorCode(error) !== 'ECONNREFUSED'));
  });
}

/** 127.X.Y.Z with X ≥ 1: never 127.0.0.1, nor 127.0.0.2/3 (the demo's), nor a .0 or .255 host part. */
function randomLoopback(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

async function claimAddress(): Promise<{ ip: string; lock: string }> {
  mkdirSync(LOCK_ROOT, { recursive: true });
  // Shared by every user's runs, like /tmp itself (not possible, and not needed, if another user made it).
  try {
    chmodSync(LOCK_ROOT, 0o1777);
  } catch {
    // Not ours.
  }
  let busy = 0;
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const ip = randomLoopback();
    const lock = tryLock(ip);
    if (lock === undefined) continue;
    if (!(await listens(ip, 389)) && !(await listens(ip, 636))) return { ip, lock };
    busy++;
    releaseLock(lock);
  }
  throw new Error(
    `Found no free loopback address for the test DC in ${CLAIM_ATTEMPTS} tries` +
      (busy > 0 ? ` (${busy} had a listener on port 389 or 636: does a system Samba or slapd listen on all addresses?)` : ` (locks in ${LOCK_ROOT})`),
  );
}

type Env = Record<string, string | undefined>;

async function dc(env: Env, command: 'provision' | 'start' | 'stop', timeoutMs: number): Promise<number> {
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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const missing = missingTools();
  if (missing.length > 0) {
    throw new Error(
      `The directory tests need a real Samba AD DC, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed. ` +
        `Install the packages (.ci/run does): apt-get install -y --no-install-recommends ${PACKAGES}`,
    );
  }

  const { ip, lock } = await claimAddress();
  let dir: string | undefined;
  let startAttempted = false;
  let env: Env = {};
  const cleanUp = async () => {
    try {
      // Only the DC in this run's own folder, and only if this run started it.
      if (startAttempted) await dc(env, 'stop', 30_000);
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      releaseLock(lock);
    }
  };

  try {
    dir = mkdtempSync(join(tmpdir(), 'pwreset-test-dc-'));
    env = {
      ...process.env,
      PATH,
      DC_DIR: dir,
      DC_IP: ip,
      DC_OWNER: `vitest:${process.pid}:${dir}`,
      DC_ADMIN_PASSWORD: DOMAIN_ADMIN.password,
      DC_SERVICE_PASSWORD: SERVICE_ACCOUNT.password,
      DC_SEED_PASSWORD: SEED_PASSWORD,
    };
    const provisionMs = await dc(env, 'provision', 120_000);
    startAttempted = true;
    const startMs = await dc(env, 'start', 60_000);
    console.log(`samba-dc: ldaps://${ip} ready (provision+seed ${provisionMs} ms, start ${startMs} ms, ${dir}); tests on Node ${process.version}`);
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }

  const location: TestDcLocation = { ip, dir };
  project.provide('testDc', location);
  return cleanUp;
}
