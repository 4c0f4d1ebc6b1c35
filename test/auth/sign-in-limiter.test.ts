import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLowdbSignInLimiter, normaliseLogin, signInKeys, type SignInLimiter } from '../../src/auth/sign-in-limiter.js';
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

async function fail(keys: string[], times: number): Promise<void> {
  for (let i = 0; i < times; i++) await limiter.recordFailure(keys);
}

describe('sign-in limiter', () => {
  it('blocks after 5 failures, before a 6th try', async () => {
    const keys = signInKeys('tenant-a', 'user-1', 'jmus');
    await fail(keys, 4);
    expect(await limiter.isBlocked(keys)).toBe(false);
    await fail(keys, 1);
    expect(await limiter.isBlocked(keys)).toBe(true);
  });

  it('slides the window: each failure stops counting 15 minutes after it', async () => {
    const keys = ['account:jmus'];
    await fail(keys, 3); // 12:00
    minutes(10);
    await fail(keys, 2); // 12:10
    expect(await limiter.isBlocked(keys)).toBe(true);
    now = new Date('2026-02-10T12:14:59.999Z');
    expect(await limiter.isBlocked(keys)).toBe(true);
    now = new Date('2026-02-10T12:15:00.000Z'); // the three of 12:00 are out
    expect(await limiter.isBlocked(keys)).toBe(false);
    await fail(keys, 2);
    expect(await limiter.isBlocked(keys)).toBe(false);
    await fail(keys, 1);
    expect(await limiter.isBlocked(keys)).toBe(true);
    minutes(15);
    expect(await limiter.isBlocked(keys)).toBe(false);
  });

  it('counts concurrent failures without losing any', async () => {
    await Promise.all(Array.from({ length: 5 }, () => limiter.recordFailure(['account:jmus'])));
    expect(await limiter.isBlocked(['account:jmus'])).toBe(true);
  });

  it('keeps keys independent; any blocked key blocks the attempt', async () => {
    await fail(['teams:t:u1', 'account:jmus'], 5);
    expect(await limiter.isBlocked(['teams:t:u2', 'account:other'])).toBe(false);
    expect(await limiter.isBlocked(['teams:t:u2', 'account:jmus'])).toBe(true); // another Teams user, same account
    expect(await limiter.isBlocked(['teams:t:u1', 'account:other'])).toBe(true); // same Teams user, another account
  });

  it('clears only the keys given', async () => {
    await fail(['teams:t:u1', 'account:jmus'], 5);
    await limiter.clear(['account:jmus']);
    expect(await limiter.isBlocked(['account:jmus'])).toBe(false);
    expect(await limiter.isBlocked(['teams:t:u1'])).toBe(true);
    await limiter.clear(['teams:t:u1']);
    expect(await limiter.isBlocked(['teams:t:u1'])).toBe(false);
  });

  it('survives a restart', async () => {
    await fail(['account:jmus'], 5);
    const restarted = createLowdbSignInLimiter({ file, clock });
    expect(await restarted.isBlocked(['account:jmus'])).toBe(true);
  });

  it('honours maxFailures and windowMinutes, and keeps at most maxFailures times per key', async () => {
    const strict = createLowdbSignInLimiter({ file, clock, maxFailures: 2, windowMinutes: 1 });
    await strict.recordFailure(['k']);
    expect(await strict.isBlocked(['k'])).toBe(false);
    for (let i = 0; i < 10; i++) await strict.recordFailure(['k']);
    expect(await strict.isBlocked(['k'])).toBe(true);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { failures: { key: string; times: string[] }[] };
    expect(stored.failures).toEqual([{ key: 'k', times: [now.toISOString(), now.toISOString()] }]);
    minutes(1);
    expect(await strict.isBlocked(['k'])).toBe(false);
  });

  it('fails closed on an unreadable file and leaves it for inspection', async () => {
    await writeFile(file, '{ not json');
    const error: unknown = await limiter.isBlocked(['account:jmus']).catch((e: unknown) => e);
    expect(isAppError(error, 'INTERNAL')).toBe(true);
    await expect(limiter.recordFailure(['account:jmus'])).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('{ not json');
  });

  it('drops entries that do not validate', async () => {
    await writeFile(file, JSON.stringify({ failures: [{ key: 'k', times: ['yesterday'] }, { key: 'j', times: Array(5).fill(now.toISOString()) }] }));
    expect(await limiter.isBlocked(['k'])).toBe(false);
    expect(await limiter.isBlocked(['j'])).toBe(true);
  });
});

describe('signInKeys', () => {
  it('normalises the login as the directory resolves it', () => {
    expect(signInKeys('TENANT', 'AAD', 'CORP\\JMus')).toEqual(['teams:tenant:aad', 'account:jmus']);
    expect(signInKeys('t', 'u', '  jmus ')).toEqual(['teams:t:u', 'account:jmus']);
    expect(signInKeys('t', 'u', 'Joman.Mus@MijnSynergy.nl')).toEqual(['teams:t:u', 'account:joman.mus@mijnsynergy.nl']);
    expect(signInKeys('t', 'u', '   ')).toEqual(['teams:t:u']);
    expect(normaliseLogin('sbf_jmus')).toBe('sbf_jmus');
    expect(normaliseLogin('a\\b\\c')).toBe('b\\c'); // only the first prefix, like the directory
  });
});
