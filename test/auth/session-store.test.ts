import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLowdbSessionStore, type AdminSession, type SessionStore } from '../../src/auth/session-store.js';
import { isAppError } from '../../src/errors/catalog.js';

let root: string;
let file: string;
let now: Date;
let store: SessionStore;

const clock = (): Date => now;
const newStore = (ttlMinutes = 60): SessionStore => createLowdbSessionStore({ file, ttlMinutes, clock });

const admin = {
  dn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test',
  guid: '0b5e7a4c-1111-4222-8333-444455556666',
  upn: 'helpdesk@acme.test',
  sam: 'sbf_helpdesk',
  displayName: 'Helpdesk',
  pwdLastSet: '134000000000000000',
};
const input = (aadObjectId = 'user-1'): Omit<AdminSession, 'createdAt' | 'expiresAt'> => ({
  teamsTenantId: 'tenant-a',
  aadObjectId,
  admin,
  tenantKeys: ['acme', 'beta'],
  activeTenantKey: null,
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'session-test-'));
  file = join(root, 'data', 'sessions.json');
  now = new Date('2026-02-10T12:00:00.000Z');
  store = newStore();
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function onDisk(): Promise<{ sessions: AdminSession[] }> {
  return JSON.parse(await readFile(file, 'utf8')) as { sessions: AdminSession[] };
}

describe('session store', () => {
  it('starts, gets, chooses an environment and ends a session', async () => {
    expect(await store.get('tenant-a', 'user-1')).toBeNull();
    const started = await store.start(input());
    expect(started).toEqual({ ...input(), createdAt: '2026-02-10T12:00:00.000Z', expiresAt: '2026-02-10T13:00:00.000Z' });
    expect(await store.get('tenant-a', 'user-1')).toEqual(started);
    expect(await store.get('tenant-b', 'user-1')).toBeNull(); // keyed by tenant and user
    expect(await store.get('tenant-a', 'user-2')).toBeNull();

    expect((await store.setActiveTenant('tenant-a', 'user-1', 'beta'))?.activeTenantKey).toBe('beta');
    expect((await store.get('tenant-a', 'user-1'))?.activeTenantKey).toBe('beta');

    await store.end('tenant-a', 'user-1');
    expect(await store.get('tenant-a', 'user-1')).toBeNull();
    expect(await store.setActiveTenant('tenant-a', 'user-1', 'acme')).toBeNull();
    await store.end('tenant-a', 'user-1'); // no error without a session
  });

  it('refuses an environment the admin does not manage', async () => {
    await store.start(input());
    const error: unknown = await store.setActiveTenant('tenant-a', 'user-1', 'other').catch((e: unknown) => e);
    expect(isAppError(error, 'AUTH_NOT_ADMIN')).toBe(true);
    expect((await store.get('tenant-a', 'user-1'))?.activeTenantKey).toBeNull();
  });

  it('refuses a malformed session', async () => {
    const error: unknown = await store.start({ ...input(), activeTenantKey: 'other' }).catch((e: unknown) => e);
    expect(isAppError(error, 'INPUT_INVALID')).toBe(true);
    const empty: unknown = await store.start({ ...input(), aadObjectId: '' }).catch((e: unknown) => e);
    expect(isAppError(empty, 'INPUT_INVALID')).toBe(true);
  });

  it('a new start replaces the previous session of the same user', async () => {
    await store.start(input());
    await store.setActiveTenant('tenant-a', 'user-1', 'acme');
    now = new Date('2026-02-10T12:30:00.000Z');
    const again = await store.start(input());
    expect(await store.get('tenant-a', 'user-1')).toEqual(again);
    expect((await onDisk()).sessions).toHaveLength(1);
  });

  it('does not return an expired session, and drops it at the next write', async () => {
    await store.start(input('user-1'));
    now = new Date('2026-02-10T12:59:59.999Z');
    expect(await store.get('tenant-a', 'user-1')).not.toBeNull();
    now = new Date('2026-02-10T13:00:00.000Z');
    expect(await store.get('tenant-a', 'user-1')).toBeNull();
    expect(await store.setActiveTenant('tenant-a', 'user-1', 'acme')).toBeNull();
    expect((await onDisk()).sessions).toEqual([]); // pruned by that write
    await store.start(input('user-2'));
    expect((await onDisk()).sessions.map((s) => s.aadObjectId)).toEqual(['user-2']);
  });

  it('survives a restart, and a shorter TTL after it ends older sessions', async () => {
    const started = await store.start(input());
    expect(await newStore().get('tenant-a', 'user-1')).toEqual(started);
    expect(await newStore(30).get('tenant-a', 'user-1')).toBeNull();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('a tampered file yields no session, not a crash, and is replaced at the next write', async () => {
    await store.start(input());
    await writeFile(file, '{ "sessions": [ { "teamsTenantId": ');
    expect(await store.get('tenant-a', 'user-1')).toBeNull();
    await store.start(input('user-2'));
    expect((await onDisk()).sessions.map((s) => s.aadObjectId)).toEqual(['user-2']);

    for (const tampered of [
      { sessions: 'nope' },
      [],
      null,
      { sessions: [{ ...(await onDisk()).sessions[0], admin: { dn: 'CN=x' } }] },
      { sessions: [{ ...(await onDisk()).sessions[0], activeTenantKey: 'not-listed' }] },
      { sessions: [{ ...(await onDisk()).sessions[0], expiresAt: '2099-01-01T00:00:00.000Z' }] }, // longer than the TTL
      { sessions: [{ ...(await onDisk()).sessions[0], isRoot: true }] },
    ]) {
      await writeFile(file, JSON.stringify(tampered));
      expect(await newStore().get('tenant-a', 'user-2')).toBeNull();
    }
  });

  it('keeps one entry per user under concurrent starts', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.start(input(`user-${i}`))));
    expect((await onDisk()).sessions).toHaveLength(20);
  });
});
