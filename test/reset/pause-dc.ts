/**
 * A directory that hangs, then resumes: the test DC (one samba process, `-M single`) stopped with
 * SIGSTOP exactly when the product sends a password modify, and continued with SIGCONT later. The
 * kernel keeps accepting the request meanwhile, so the DC finds it when it runs again, as a hung DC
 * does. Every pause ends: on a timer, on `resume()`, and when the test process exits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type Change } from 'ldapts';
import { vi } from 'vitest';
import { asDomainAdmin } from '../support/directory.js';
import { DC_DIR } from '../support/fixtures.js';

/** The test DC's pid, from the file scripts/samba-dc.sh writes; only if it is a samba. */
export function dcPid(): number {
  const pid = Number(readFileSync(join(DC_DIR, 'samba.pid'), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'samba') {
    throw new Error(`no samba DC with the pid in ${DC_DIR}/samba.pid`);
  }
  return pid;
}

/** The process state letter from /proc (T: stopped). */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

const stopped = new Set<number>();
process.on('exit', () => {
  for (const pid of stopped) process.kill(pid, 'SIGCONT');
});

export function resumeDc(pid: number): void {
  if (!stopped.has(pid)) return;
  stopped.delete(pid);
  process.kill(pid, 'SIGCONT');
}

async function stopDc(pid: number): Promise<void> {
  stopped.add(pid);
  process.kill(pid, 'SIGSTOP');
  for (let i = 0; i < 200 && stateOf(pid) !== 'T'; i++) await new Promise((r) => setTimeout(r, 5));
  if (stateOf(pid) !== 'T') throw new Error('the DC did not stop');
}

/** Runs `work` with the DC stopped from the start (nothing of it reaches the DC until it ends). */
export async function withDcStopped<T>(work: () => Promise<T>): Promise<T> {
  const pid = dcPid();
  await stopDc(pid);
  try {
    return await work();
  } finally {
    resumeDc(pid);
  }
}

export interface ModifyPause {
  /** Resolves once the DC was stopped and the modify sent to it. */
  readonly sent: Promise<void>;
  /** Resolves once the DC runs again. */
  readonly resumed: Promise<void>;
  /** The password the product sent in that modify (never shown to anyone: the test checks where it went). */
  password(): string | undefined;
  /** Resumes the DC now (if paused) and removes the hook: for `finally`. */
  resume(): void;
}

/**
 * The next modify of `dn` sent through ldapts (the product's password reset) finds the DC
 * stopped; it runs again `pauseMs` after it was stopped. Only that one modify is touched.
 */
export function pauseDcAtNextModify(dn: string, pauseMs: number): ModifyPause {
  const original = Client.prototype.modify;
  let pid: number | undefined;
  let sentPassword: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let markSent: () => void = () => undefined;
  let markResumed: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const resumed = new Promise<void>((resolve) => (markResumed = resolve));
  const resume = () => {
    if (timer) clearTimeout(timer);
    spy.mockRestore();
    if (pid !== undefined) resumeDc(pid);
    markResumed();
  };
  const spy = vi.spyOn(Client.prototype, 'modify').mockImplementation(async function (this: Client, target: Parameters<Client['modify']>[0], changes: Change | Change[]) {
    if (String(target).toLowerCase() !== dn.toLowerCase()) return original.call(this, target, changes);
    spy.mockRestore();
    const password = (Array.isArray(changes) ? changes : [changes]).find((c) => c.modification.type.toLowerCase() === 'unicodepwd')?.modification.values[0];
    if (Buffer.isBuffer(password)) sentPassword = password.toString('utf16le').slice(1, -1);
    pid = dcPid();
    await stopDc(pid);
    timer = setTimeout(resume, pauseMs);
    const request = original.call(this, target, changes);
    markSent();
    return request;
  });
  return { sent, resumed, password: () => sentPassword, resume };
}

/** An account's msDS-KeyVersionNumber and pwdLastSet, read as the domain admin (bypassing the product). */
export async function passwordStateOf(dn: string): Promise<{ keyVersion: number; pwdLastSet: string }> {
  return asDomainAdmin(async (c) => {
    const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['msDS-KeyVersionNumber', 'pwdLastSet'] });
    const entry = searchEntries[0];
    return { keyVersion: Number(entry?.['msDS-KeyVersionNumber']), pwdLastSet: String(entry?.['pwdLastSet']) };
  });
}
