/**
 * vitest globalSetup: for the whole run, a fresh Samba AD DC, provisioned, seeded and started by
 * the project's own scripts/samba-dc.sh, and a fresh PostgreSQL server; both are stopped when the
 * run ends (or when start-up fails).
 *
 * Every run has a DC and a PostgreSQL of its own, so that two runs on one machine (two clones, two
 * terminals) do not break each other:
 * - the DC: a new folder (mkdtemp, pwreset-test-dc-XXXXXX under the temp dir) and a random
 *   loopback address 127.X.Y.Z that nothing listens on, claimed with a lock directory
 *   (pwreset-dc-locks/<address>, holding the owner's pid) that is created atomically;
 * - PostgreSQL: a new folder (pwreset-test-pg-XXXXXX) with a cluster made by initdb, listening on
 *   127.0.0.1 on a random free port claimed the same way (pwreset-pg-locks/<port>) and on a Unix
 *   socket inside its folder, never on 5432 and never through a system cluster. As root (CI) it
 *   runs as the `postgres` user (initdb refuses root). Trust authentication for the one role,
 *   `app`; fsync off (test data).
 * The test files get them through vitest's provide/inject (test/support/test-dc.ts,
 * test/support/postgres.ts). At the end each server is stopped, its folder removed and its lock
 * released; a server this run did not start is never stopped.
 *
 * Must not import fixtures.ts, test-dc.ts or postgres.ts (only their types): inject() works only
 * inside vitest's workers.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { accessSync, appendFileSync, chmodSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { DOMAIN_ADMIN, SEED_PASSWORD, SERVICE_ACCOUNT } from './dc-accounts.js';
import type { TestPostgresLocation } from './postgres.js';
import type { TestDcLocation } from './test-dc.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/samba-dc.sh', import.meta.url));
const PACKAGES = 'samba-ad-dc samba-ad-provision ldb-tools ldap-utils krb5-user openssl';
const TOOLS = ['samba', 'samba-tool', 'ldbmodify', 'ldbsearch', 'ldapsearch', 'openssl'];
const LOCK_ROOT = join(tmpdir(), 'pwreset-dc-locks');
const PG_LOCK_ROOT = join(tmpdir(), 'pwreset-pg-locks');
const PG_ROOT = '/usr/lib/postgresql';
const PG_TOOLS = ['initdb', 'pg_ctl', 'postgres'];
/** Below Linux's ephemeral range (32768–60999), so an outgoing connection does not take the port meanwhile. */
const PG_PORTS = { min: 20_000, max: 32_767 };
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
  const tombstone = join(dirname(lock), `.gone-${process.pid}-${randomBytes(6).toString('hex')}`);
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
function tryLock(root: string, name: string): string | undefined {
  const lock = join(root, name);
  const staging = mkdtempSync(join(root, `.claim-${process.pid}-`));
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

/** A folder of locks shared by every user's runs, like /tmp itself. */
function lockRoot(root: string): void {
  mkdirSync(root, { recursive: true });
  try {
    chmodSync(root, 0o1777);
  } catch {
    // Not ours (another user made it): not possible, and not needed.
  }
}

async function claimAddress(): Promise<{ ip: string; lock: string }> {
  lockRoot(LOCK_ROOT);
  let busy = 0;
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const ip = randomLoopback();
    const lock = tryLock(LOCK_ROOT, ip);
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

interface Started<L> {
  location: L;
  stop(): Promise<void>;
}

async function startDc(): Promise<Started<TestDcLocation>> {
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
    const provisionMs = await dc(env, 'provision', 300_000);
    startAttempted = true;
    const startMs = await dc(env, 'start', 120_000);
    console.log(`samba-dc: ldaps://${ip} ready (provision+seed ${provisionMs} ms, start ${startMs} ms, ${dir}); tests on Node ${process.version}`);
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }
  return { location: { ip, dir }, stop: cleanUp };
}

/** The newest PostgreSQL of Debian's layout (/usr/lib/postgresql/<major>/bin) that has the tools. */
function postgresBinDir(): string {
  let majors: string[] = [];
  try {
    majors = readdirSync(PG_ROOT).filter((name) => /^\d+$/.test(name));
  } catch {
    // not installed
  }
  for (const major of majors.sort((a, b) => Number(b) - Number(a))) {
    const bin = join(PG_ROOT, major, 'bin');
    if (PG_TOOLS.every((tool) => isExecutable(join(bin, tool)))) return bin;
  }
  throw new Error(
    `The state tests need PostgreSQL, but ${PG_TOOLS.join(', ')} were not found under ${PG_ROOT}/<version>/bin. ` +
      'Install the package (.ci/run does: scripts/install-system-packages.sh chromium postgresql): apt-get install -y --no-install-recommends postgresql',
  );
}

async function claimPort(): Promise<{ port: number; lock: string }> {
  lockRoot(PG_LOCK_ROOT);
  let busy = 0;
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const port = randomInt(PG_PORTS.min, PG_PORTS.max + 1);
    const lock = tryLock(PG_LOCK_ROOT, String(port));
    if (lock === undefined) continue;
    if (!(await listens('127.0.0.1', port))) return { port, lock };
    busy++;
    releaseLock(lock);
  }
  throw new Error(`Found no free port on 127.0.0.1 for the test PostgreSQL in ${CLAIM_ATTEMPTS} tries (${busy} in use; locks in ${PG_LOCK_ROOT})`);
}

/**
 * Runs a PostgreSQL program of `bin` as `runAs` (root may not run initdb or the server), from the
 * run's folder (the postgres user may not be able to read the current one).
 */
async function pgTool(location: Pick<TestPostgresLocation, 'binDir' | 'runAs' | 'dir'>, tool: string, args: string[], timeoutMs: number): Promise<number> {
  const started = performance.now();
  const program = join(location.binDir, tool);
  const [command, commandArgs] = location.runAs === null ? [program, args] : ['runuser', ['-u', location.runAs, '--', program, ...args]];
  try {
    await run(command, commandArgs, { cwd: location.dir, timeout: timeoutMs, maxBuffer: 10 * 1024 * 1024, env: { ...process.env, PATH, LC_ALL: 'C' } });
  } catch (error) {
    const output = error as { stdout?: string; stderr?: string };
    const detail = [output.stdout, output.stderr].filter(Boolean).join('\n').trim();
    throw new Error(`${tool} ${args[0] ?? ''} failed${detail ? `:\n${detail}` : ''}`, { cause: error });
  }
  return Math.round(performance.now() - started);
}

async function idOf(user: string, flag: '-u' | '-g'): Promise<number> {
  const { stdout } = await run('id', [flag, user]);
  return Number(stdout.trim());
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function startPostgres(): Promise<Started<TestPostgresLocation>> {
  const binDir = postgresBinDir();
  const runAs = process.getuid?.() === 0 ? 'postgres' : null;
  const { port, lock } = await claimPort();
  let dir: string | undefined;
  let location: TestPostgresLocation | undefined;
  let startAttempted = false;
  const cleanUp = async () => {
    try {
      // Only the server of this run's own folder, and only if this run started it.
      const server = location;
      if (startAttempted && server !== undefined && existsSync(join(server.dataDir, 'postmaster.pid'))) {
        const stop = (mode: string) => pgTool(server, 'pg_ctl', ['stop', '-D', server.dataDir, '-m', mode, '-w', '-t', '30'], 40_000);
        await stop('fast').catch(() => stop('immediate'));
      }
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      releaseLock(lock);
    }
  };

  try {
    dir = mkdtempSync(join(tmpdir(), 'pwreset-test-pg-'));
    if (runAs !== null) {
      chownSync(dir, await idOf(runAs, '-u'), await idOf(runAs, '-g'));
      await run('runuser', ['-u', runAs, '--', 'test', '-w', dir, '-a', '-x', dir], { cwd: '/' }).catch((error: unknown) => {
        throw new Error(`The ${runAs} user cannot use ${dir} (a folder above it is closed to others): set TMPDIR to a folder such as /tmp`, { cause: error });
      });
    }
    const dataDir = join(dir, 'data');
    location = { url: `postgres://app@127.0.0.1:${port}/postgres`, host: '127.0.0.1', port, dir, dataDir, binDir, runAs, logFile: join(dir, 'server.log') };
    const initdbMs = await pgTool(location, 'initdb', ['-D', dataDir, '-U', 'app', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], 60_000);
    const quoted = (text: string) => `'${text.replaceAll("'", "''")}'`;
    appendFileSync(
      join(dataDir, 'postgresql.conf'),
      [
        '',
        '# this test run',
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = ${quoted(dir)}`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        '',
      ].join('\n'),
    );
    startAttempted = true;
    let startMs: number;
    try {
      startMs = await pgTool(location, 'pg_ctl', ['start', '-D', dataDir, '-l', location.logFile, '-w', '-t', '60'], 70_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${tail(location.logFile)}`, { cause: error });
    }
    console.log(`postgres: ${location.url} ready (initdb ${initdbMs} ms, start ${startMs} ms, ${dir})`);
  } catch (error) {
    await cleanUp().catch(() => undefined);
    throw error;
  }
  return { location, stop: cleanUp };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Both at once: the DC's provisioning takes seconds, PostgreSQL about one.
  const [dcResult, pgResult] = await Promise.allSettled([startDc(), startPostgres()]);
  const started = [dcResult, pgResult].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = [dcResult, pgResult].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const stopAll = async () => {
    const results = await Promise.allSettled(started.map((s) => s.stop()));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length > 0) throw errors[0];
  };
  if (dcResult.status === 'rejected' || pgResult.status === 'rejected') {
    await stopAll().catch(() => undefined);
    throw failed[0];
  }

  project.provide('testDc', dcResult.value.location);
  project.provide('testPostgres', pgResult.value.location);
  return stopAll;
}
