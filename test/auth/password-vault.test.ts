import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLowdbNonceStore } from '../../src/auth/nonce-store.js';
import { createPasswordVault, type VaultBinding } from '../../src/auth/password-vault.js';
import { createLowdbSessionStore } from '../../src/auth/session-store.js';
import { createLowdbSignInLimiter } from '../../src/auth/sign-in-limiter.js';

const binding: VaultBinding = { teamsTenantId: 'tenant-a', aadObjectId: 'user-1', targetGuid: 'guid-1' };
const PASSWORD = 'Kq7m-Vx3p-Rt9w';

let now: Date;
const clock = (): Date => now;

beforeEach(() => {
  now = new Date('2026-02-10T12:00:00.000Z');
});

afterEach(() => {
  vi.useRealTimers();
});

describe('password vault', () => {
  it('gives the password once', () => {
    const vault = createPasswordVault({ clock });
    const id = vault.put(binding, PASSWORD);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(id).not.toContain(PASSWORD);
    expect(vault.take(id, binding)).toBe(PASSWORD);
    expect(vault.take(id, binding)).toBeNull();
    expect(vault.take('unknown', binding)).toBeNull();
  });

  it.each<[string, Partial<VaultBinding>]>([
    ['another Teams user', { aadObjectId: 'user-2' }],
    ['another Teams tenant', { teamsTenantId: 'tenant-b' }],
    ['another target', { targetGuid: 'guid-2' }],
  ])('returns null for %s without consuming', (_, change) => {
    const vault = createPasswordVault({ clock });
    const id = vault.put(binding, PASSWORD);
    expect(vault.take(id, { ...binding, ...change })).toBeNull();
    expect(vault.take(id, binding)).toBe(PASSWORD);
  });

  it('expires after 10 minutes by default (clock)', () => {
    const vault = createPasswordVault({ clock });
    const early = vault.put(binding, PASSWORD);
    const late = vault.put(binding, 'other-password');
    now = new Date('2026-02-10T12:09:59.999Z');
    expect(vault.take(early, binding)).toBe(PASSWORD);
    now = new Date('2026-02-10T12:10:00.000Z');
    expect(vault.take(late, binding)).toBeNull();
  });

  it('honours ttlMs', () => {
    const vault = createPasswordVault({ clock, ttlMs: 1000 });
    const id = vault.put(binding, PASSWORD);
    now = new Date(now.getTime() + 1000);
    expect(vault.take(id, binding)).toBeNull();
  });

  it('drops the entry by timer at expiry, even if the clock says otherwise', () => {
    vi.useFakeTimers();
    const vault = createPasswordVault({ clock, ttlMs: 60_000 }); // clock stays at 12:00
    const id = vault.put(binding, PASSWORD);
    vi.advanceTimersByTime(59_999);
    const kept = vault.put(binding, 'other-password');
    vi.advanceTimersByTime(1);
    expect(vault.take(id, binding)).toBeNull();
    expect(vault.take(kept, binding)).toBe('other-password');
  });

  it('the timer does not keep the process alive', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    createPasswordVault().put(binding, PASSWORD);
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    clearTimeout(timer);
    spy.mockRestore();
  });

  it('never writes the password to disk, while the stores beside it do write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-test-'));
    try {
      const vault = createPasswordVault({ clock });
      const sessions = createLowdbSessionStore({ file: join(dir, 'sessions.json'), ttlMinutes: 60, clock });
      const limiter = createLowdbSignInLimiter({ file: join(dir, 'sign-in-failures.json'), clock });
      const nonces = createLowdbNonceStore({ file: join(dir, 'nonces.json'), clock });
      await sessions.start({
        teamsTenantId: 'tenant-a',
        aadObjectId: 'user-1',
        admin: { dn: 'CN=H,DC=t', guid: '0b5e7a4c-1111-4222-8333-444455556666', upn: null, sam: 'h', displayName: 'H', pwdLastSet: '134000000000000000' },
        tenantKeys: ['acme'],
        activeTenantKey: 'acme',
      });
      await limiter.reserve(['account:h']);
      const id = vault.put(binding, PASSWORD);
      const [nonce = ''] = await nonces.issue([
        { teamsTenantId: 'tenant-a', aadObjectId: 'user-1', adminDn: 'CN=H,DC=t', tenantKey: 'acme', targetGuid: binding.targetGuid, purpose: 'mail' },
      ]);
      expect(vault.take(id, binding)).toBe(PASSWORD);
      await nonces.consume(nonce, { teamsTenantId: 'tenant-a', aadObjectId: 'user-1', adminDn: 'CN=H,DC=t', tenantKey: 'acme', targetGuid: binding.targetGuid, purpose: 'mail' });

      const files = (await readdir(dir, { recursive: true })).sort();
      expect(files).toEqual(['nonces.json', 'sessions.json', 'sign-in-failures.json']);
      for (const f of files) expect(await readFile(join(dir, f), 'utf8')).not.toContain(PASSWORD);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
