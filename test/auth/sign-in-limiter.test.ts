import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminAccountKey, createLowdbSignInLimiter, teamsUserKey, type SignInLimiter } from '../../src/auth/sign-in-limiter.js';
import { isAppError } from '../../src/errors/catalog.js';

let root: string;
let file: string;
let now: Date;
let limiter: SignInLimiter;

const clock = (): Date => now;
const minutes = (m: number): void => {
  now = new Date(now.getTime() + m * 60_000);
};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'limiter-test-'));
  file = join(root, 'sign-in-failures.json');
  now = new Date('2026-02-10T12:00:00.000Z');
  limiter = createLowdbSignInLimiter({ file, clock });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Reserves `times` attempts (each counted, as a failed sign-in leaves it). */
async function fail(keys: string[], times: number, on: SignInLimiter = limiter): Promise<void> {
  for (let i = 0; i < times; i++) await on.reserve(keys);
}

/** Whether the next attempt with these keys would be refused (checked on a copy: a real reserve counts). */
async function isBlocked(keys: string[], on: SignInLimiter = limiter): Promise<boolean> {
  const before = await readFile(file, 'utf8').catch(() => null);
  const result = await on.reserve(keys);
  if (before === null) await rm(file, { force: true });
  else await writeFile(file, before);
  return !result.ok;
}

describe('sign-in limiter', () => {
  it('refuses a 6th reservation after 5, and counts nothing for a refused one', async () => {
    const keys = [teamsUserKey('tenant-a', 'user-1'), adminAccountKey('tenant-a', '0b5e7a4c-1111-4222-8333-444455556666')];
    await fail(keys, 4);
    expect(await isBlocked(keys)).toBe(false);
    await fail(keys, 1);
    const refused = await limiter.reserve(keys);
    expect(refused).toEqual({ ok: false, blocked: keys });
    const stored = JSON.parse(await readFile(file, 'utf8')) as { failures: { key: string; times: string[] }[] };
    expect(stored.failures.map((f) => f.times.length)).toEqual([5, 5]);
  });

  it('blocks after 5 failures, before a 6th try', async () => {
    const keys = [teamsUserKey('tenant-a', 'user-1')];
    await fail(keys, 4);
    expect(await isBlocked(keys)).toBe(false);
    await fail(keys, 1);
    expect(await isBlocked(keys)).toBe(true);
  });

  it('slides the window: each failure stops counting 15 minutes after it', async () => {
    const keys = ['account:jmus'];
    await fail(keys, 3); // 12:00
    minutes(10);
    await fail(keys, 2); // 12:10
    expect(await isBlocked(keys)).toBe(true);
    now = new Date('2026-02-10T12:14:59.999Z');
    expect(await isBlocked(keys)).toBe(true);
    now = new Date('2026-02-10T12:15:00.000Z'); // the three of 12:00 are out
    expect(await isBlocked(keys)).toBe(false);
    await fail(keys, 2);
    expect(await isBlocked(keys)).toBe(false);
    await fail(keys, 1);
    expect(await isBlocked(keys)).toBe(true);
    minutes(15);
    expect(await isBlocked(keys)).toBe(false);
  });

  it('lets exactly 5 of 40 concurrent reservations through', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => limiter.reserve(['account:jmus'])));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(await isBlocked(['account:jmus'])).toBe(true);
  });

  it('keeps keys independent; any blocked key blocks the attempt', async () => {
    await fail(['teams:t:u1', 'account:jmus'], 5);
    expect(await isBlocked(['teams:t:u2', 'account:other'])).toBe(false);
    expect(await isBlocked(['teams:t:u2', 'account:jmus'])).toBe(true); // another Teams user, same account
    expect(await isBlocked(['teams:t:u1', 'account:other'])).toBe(true); // same Teams user, another account
  });

  it('clears only the keys given', async () => {
    await fail(['teams:t:u1', 'account:jmus'], 5);
    await limiter.clear(['account:jmus']);
    expect(await isBlocked(['account:jmus'])).toBe(false);
    expect(await isBlocked(['teams:t:u1'])).toBe(true);
    await limiter.clear(['teams:t:u1']);
    expect(await isBlocked(['teams:t:u1'])).toBe(false);
  });

  it('survives a restart', async () => {
    await fail(['account:jmus'], 5);
    const restarted = createLowdbSignInLimiter({ file, clock });
    expect(await isBlocked(['account:jmus'], restarted)).toBe(true);
  });

  it('honours maxFailures and windowMinutes, and keeps at most maxFailures times per key', async () => {
    const strict = createLowdbSignInLimiter({ file, clock, maxFailures: 2, windowMinutes: 1 });
    await strict.reserve(['k']);
    expect(await isBlocked(['k'], strict)).toBe(false);
    for (let i = 0; i < 10; i++) await strict.reserve(['k']);
    expect(await isBlocked(['k'], strict)).toBe(true);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { failures: { key: string; times: string[] }[] };
    expect(stored.failures).toEqual([{ key: 'k', times: [now.toISOString(), now.toISOString()] }]);
    minutes(1);
    expect(await isBlocked(['k'], strict)).toBe(false);
  });

  it('fails closed on an unreadable file and leaves it for inspection', async () => {
    await writeFile(file, '{ not json');
    const error: unknown = await limiter.reserve(['account:jmus']).catch((e: unknown) => e);
    expect(isAppError(error, 'INTERNAL')).toBe(true);
    await expect(limiter.clear(['account:jmus'])).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('{ not json');
  });

  it('drops entries that do not validate', async () => {
    await writeFile(file, JSON.stringify({ failures: [{ key: 'k', times: ['yesterday'] }, { key: 'j', times: Array(5).fill(now.toISOString()) }] }));
    expect(await isBlocked(['k'])).toBe(false);
    expect(await isBlocked(['j'])).toBe(true);
  });
});

describe('limiter keys', () => {
  it('keys the Teams user, and the admin account by objectGUID within one Teams tenant', () => {
    expect(teamsUserKey('TENANT', 'AAD')).toBe('teams:tenant:aad');
    const guid = '0B5E7A4C-1111-4222-8333-444455556666';
    expect(adminAccountKey('Tenant-A', guid)).toBe('admin:tenant-a:0b5e7a4c-1111-4222-8333-444455556666');
    // Another customer's Teams tenant spends another budget.
    expect(adminAccountKey('tenant-b', guid)).not.toBe(adminAccountKey('tenant-a', guid));
  });
});
