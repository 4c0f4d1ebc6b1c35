/**
 * One process per DATA_DIR: the embedded store's files have one writer. A second process on the
 * same folder refuses to start (two writers corrupt the files, silently); several instances need
 * DATABASE_URL.
 *
 * The lock is a file created exclusively (`DATA_DIR/.lock`), holding `<host> <pid> <random>`.
 * A lock left by a process that is gone (a crash, kill -9) is taken over — only when it names this
 * host, whose processes can be seen: on a folder shared between hosts or containers (other pid
 * namespaces) the bot refuses and names the file to delete. A pid equal to our own belongs to a
 * previous run (containers reuse pids), since this process records what it holds in memory. After a
 * take-over the file is read again: of two processes taking one stale lock over, only one keeps it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '../../errors/catalog.js';

/** The folders this process holds. */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

function readOwner(file: string): { host: string; pid: number; token: string } | undefined {
  try {
    const [host = '', pid = '', token = ''] = readFileSync(file, 'utf8').trim().split(' ');
    return { host, pid: Number.parseInt(pid, 10), token };
  } catch {
    return undefined;
  }
}

export interface DataDirLock {
  release(): void;
}

function refuse(detail: string): never {
  throw new AppError('CONFIG_INVALID', { detail });
}

export function lockDataDir(dataDir: string): DataDirLock {
  const folder = resolve(dataDir);
  if (held.has(folder)) refuse('DATA_DIR is already open in this process; one state store per DATA_DIR');
  const file = join(folder, '.lock');
  const me = `${hostname()} ${process.pid} ${randomBytes(8).toString('hex')}`;
  let tookOver = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${me}\n`);
      closeSync(fd);
      if (tookOver) {
        // Another process may be taking the same stale lock over: let it, then see who holds it.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        if (readFileSync(file, 'utf8').trim() !== me) break;
      }
      held.add(folder);
      return {
        release: () => {
          held.delete(folder);
          // Only our own lock, never a successor's; releasing twice is harmless.
          const text = (() => {
            try {
              return readFileSync(file, 'utf8').trim();
            } catch {
              return undefined;
            }
          })();
          if (text === me) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const owner = readOwner(file);
      if (owner && owner.host !== hostname()) {
        refuse(`DATA_DIR is locked by host ${owner.host} (${file}); one process per DATA_DIR: set DATABASE_URL to run several instances, or delete that file if no bot uses the folder`);
      }
      if (owner && Number.isInteger(owner.pid) && owner.pid !== process.pid && isAlive(owner.pid)) {
        refuse(`DATA_DIR is in use by another process (pid ${owner.pid}); one process per DATA_DIR: set DATABASE_URL to run several instances`);
      }
      rmSync(file, { force: true }); // its process is gone: take the lock over
      tookOver = true;
    }
  }
  return refuse(`DATA_DIR lock could not be taken (${file})`);
}
