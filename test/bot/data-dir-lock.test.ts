/**
 * One process per DATA_DIR: a second bot process on a folder in use refuses to start and says to
 * set DATABASE_URL; a lock left by a process that died (kill -9) is taken over.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { createEmbeddedState } from '../../src/state/embedded/index.js';
import { isAppError } from '../../src/errors/catalog.js';

const INDEX = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function runBot(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [INDEX], { env: { PATH: process.env['PATH'] ?? '', ...env, PORT: '39999' }, timeout: 15_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

describe('one process per DATA_DIR', () => {
  it('refuses a second process on a DATA_DIR in use, naming DATABASE_URL, and leaves the folder alone', async () => {
    const lock = readFileSync(join(h.dataDir, '.lock'), 'utf8');
    expect(lock.startsWith(`${hostname()} ${process.pid} `)).toBe(true);
    const { code, stderr } = await runBot(h.env);
    expect(code).toBe(1);
    expect(stderr).toContain(`DATA_DIR is in use by another process (pid ${process.pid})`);
    expect(stderr).toContain('DATABASE_URL');
    expect(readFileSync(join(h.dataDir, '.lock'), 'utf8')).toBe(lock);
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const dataDir = join(h.dir, 'crashed');
    const options = { dataDir, sessionTtlMinutes: 60, signIn: { maxFailures: 5, windowMinutes: 15 }, auditRetentionDays: 30 };
    const first = await createEmbeddedState(options);
    // Within one process a second store on the folder is refused too.
    expect(isAppError(await createEmbeddedState(options).catch((e: unknown) => e), 'CONFIG_INVALID')).toBe(true);
    await first.close();
    // A pid that no longer runs: a process that was killed.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dataDir, '.lock'), `${hostname()} ${dead} 0123\n`);
    const second = await createEmbeddedState(options);
    expect(readFileSync(join(dataDir, '.lock'), 'utf8').startsWith(`${hostname()} ${process.pid} `)).toBe(true);
    await second.close();
    // Our own pid, left by an earlier run (a container restarted with the same pid): taken over too.
    writeFileSync(join(dataDir, '.lock'), `${hostname()} ${process.pid} 0456\n`);
    const third = await createEmbeddedState(options);
    await third.close();
  });

  it('refuses a folder locked by another host, naming the lock file', async () => {
    const dataDir = join(h.dir, 'shared-volume');
    const options = { dataDir, sessionTtlMinutes: 60, signIn: { maxFailures: 5, windowMinutes: 15 }, auditRetentionDays: 30 };
    await (await createEmbeddedState(options)).close();
    // Another container or host: its pid means nothing here, so the lock is never taken over.
    writeFileSync(join(dataDir, '.lock'), 'other-host 1 0789\n');
    const error: unknown = await createEmbeddedState(options).catch((e: unknown) => e);
    expect(isAppError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('locked by host other-host');
    expect((error as Error).message).toContain(join(dataDir, '.lock'));
    expect(readFileSync(join(dataDir, '.lock'), 'utf8')).toBe('other-host 1 0789\n');
  });
});
