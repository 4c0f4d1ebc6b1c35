/**
 * One process per DATA_DIR: the embedded store's files have one writer. A second process on the
 * same folder refuses to start (two writers corrupt the files, silently); several instances need
 * DATABASE_URL. The lock is a file created exclusively, holding the owner's pid; a lock whose
 * process is gone (a crash, kill -9) is taken over.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../errors/catalog.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          // Only our own lock, never a successor's; releasing twice is harmless.
          let owner = '';
          try {
            owner = readFileSync(file, 'utf8').trim();
          } catch {
            return;
          }
          if (owner === String(process.pid)) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new AppError('CONFIG_INVALID', {
          detail: `DATA_DIR is in use by another process (pid ${owner}); one process per DATA_DIR: set DATABASE_URL to run several instances`,
        });
      }
      if (owner === process.pid) {
        throw new AppError('CONFIG_INVALID', { detail: 'DATA_DIR is already open in this process; one state store per DATA_DIR' });
      }
      rmSync(file, { force: true }); // the owner is gone: take the lock over
    }
  }
  throw new AppError('CONFIG_INVALID', { detail: 'DATA_DIR lock could not be taken' });
}
