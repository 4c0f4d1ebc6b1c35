/**
 * This run's PostgreSQL: test/support/global-setup.ts starts one per run (its own folder, a free
 * loopback port claimed with a lock) and hands its location to the test files with vitest's
 * provide/inject, as test-dc.ts does for the DC.
 *
 * Each test file makes a database of its own (`createTestDatabase`), so that files never see each
 * other's rows. inject() works only inside a vitest worker: global-setup.ts must not import this
 * module (only its types).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { inject } from 'vitest';

export interface TestPostgresLocation {
  /** `postgres://app@127.0.0.1:<port>/postgres`: role `app` (trust), the maintenance database. */
  url: string;
  host: string;
  port: number;
  /** The run's folder: the cluster (`data`), the Unix socket and the server log. */
  dir: string;
  dataDir: string;
  logFile: string;
  /** Debian's /usr/lib/postgresql/<major>/bin. */
  binDir: string;
  /** The user the server runs as: `postgres` when the run is root, else null (the run's own user). */
  runAs: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testPostgres: TestPostgresLocation;
  }
}

const location = inject('testPostgres');
if (!location?.url || !location.dataDir) {
  throw new Error('No test PostgreSQL was provided: run the tests with vitest, whose globalSetup (test/support/global-setup.ts) starts it');
}

export const TEST_POSTGRES: TestPostgresLocation = location;
/** The run's server, maintenance database: make a database of your own with createTestDatabase. */
export const DATABASE_URL = location.url;

const run = promisify(execFile);

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops it, closing whatever connections are left. */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the run's server, named after `label` and a random suffix. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * pg_ctl on the run's own server (`start`, `stop`, `restart`), waiting until it is done, as the
 * user the server runs as. Stopping or restarting affects every database of the run: only for
 * tests about outages (test files run one at a time).
 */
export async function pgCtl(action: 'start' | 'stop' | 'restart'): Promise<number> {
  const started = performance.now();
  const program = join(location.binDir, 'pg_ctl');
  const args = [action, '-D', location.dataDir, '-l', location.logFile, '-w', '-t', '60', ...(action === 'start' ? [] : ['-m', 'fast'])];
  const [command, commandArgs] = location.runAs === null ? [program, args] : ['runuser', ['-u', location.runAs, '--', program, ...args]];
  await run(command, commandArgs, { cwd: location.dir, timeout: 70_000 });
  return Math.round(performance.now() - started);
}
