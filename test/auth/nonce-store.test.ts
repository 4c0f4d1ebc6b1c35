import { readdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLowdbNonceStore, type NonceBinding, type NonceStore } from '../../src/auth/nonce-store.js';
import { isAppError } from '../../src/errors/catalog.js';

let root: string;
let file: string;
let now: Date;
let store: NonceStore;

const clock = (): Date => now;

const binding: NonceBinding = {
  teamsTenantId: 'tenant-a',
  aadObjectId: 'user-1',
  adminDn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test',
  tenantKey: 'acme',
  targetGuid: '6f1c1c36-0d3e-4d4e-9a57-1c1f5f0c2a11',
  purpose: 'reset',
};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'nonce-test-'));
  file = join(root, 'data', 'nonces.json');
  now = new Date('2026-02-10T12:00:00.000Z');
  store = createLowdbNonceStore({ file, clock });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function issueOne(b: NonceBinding = binding): Promise<string> {
  const [nonce] = await store.issue([b]);
  if (nonce === undefined) throw new Error('no nonce');
  return nonce;
}

describe('nonce store', () => {
  it('issues 128-bit base64url nonces, distinct, in order', async () => {
    const bindings = Array.from({ length: 20 }, (_, i) => ({ ...binding, targetGuid: `guid-${i}` }));
    const nonces = await store.issue(bindings);
    expect(nonces).toHaveLength(20);
    expect(new Set(nonces).size).toBe(20);
    for (const n of nonces) expect(n).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(nonces[0] ?? '', 'base64url')).toHaveLength(16);
    expect(await store.consume(nonces[7] ?? '', { ...binding, targetGuid: 'guid-7' })).toBe('ok');
    expect(await store.consume(nonces[8] ?? '', { ...binding, targetGuid: 'guid-7' })).toBe('mismatch');
    expect(await store.issue([])).toEqual([]);
  });

  it('answers ok once, then used (also after a restart)', async () => {
    const nonce = await issueOne();
    expect(await store.consume(nonce, binding)).toBe('ok');
    expect(await store.consume(nonce, binding)).toBe('used');
    expect(await createLowdbNonceStore({ file, clock }).consume(nonce, binding)).toBe('used');
  });

  it('a nonce issued before a restart can be used after it', async () => {
    const nonce = await issueOne();
    expect(await createLowdbNonceStore({ file, clock }).consume(nonce, binding)).toBe('ok');
  });

  it.each([2, 20])('of %i concurrent consumes of one nonce, exactly one is ok', async (n) => {
    const nonce = await issueOne();
    const other = createLowdbNonceStore({ file, clock }); // a second instance shares the file's queue
    const results = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 ? other : store).consume(nonce, binding)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'used')).toHaveLength(n - 1);
  });

  it.each<[string, Partial<NonceBinding>]>([
    ['another Teams user', { aadObjectId: 'user-2' }],
    ['another Teams tenant', { teamsTenantId: 'tenant-b' }],
    ['another admin', { adminDn: 'CN=Other,OU=Acme,DC=corp,DC=test' }],
    ['another environment', { tenantKey: 'beta' }],
    ['another target', { targetGuid: '00000000-0000-0000-0000-000000000000' }],
    ['another purpose', { purpose: 'mail' }],
  ])('answers mismatch for %s and does not consume the nonce', async (_, change) => {
    const nonce = await issueOne();
    expect(await store.consume(nonce, { ...binding, ...change })).toBe('mismatch');
    expect(await store.consume(nonce, binding)).toBe('ok');
    expect(await store.consume(nonce, { ...binding, ...change })).toBe('mismatch'); // used, but not told to others
  });

  it('expires after 10 minutes by default, and prunes expired entries on writes', async () => {
    const nonce = await issueOne();
    const used = await issueOne();
    expect(await store.consume(used, binding)).toBe('ok');
    now = new Date('2026-02-10T12:09:59.999Z');
    const late = await issueOne();
    now = new Date('2026-02-10T12:10:00.000Z');
    expect(await store.consume(nonce, binding)).toBe('expired'); // this call also prunes expired entries
    expect(await store.consume(nonce, binding)).toBe('unknown');
    expect(await store.consume(used, binding)).toBe('unknown');
    expect(await store.consume(late, binding)).toBe('ok');
    const stored = JSON.parse(await readFile(file, 'utf8')) as { nonces: unknown[] };
    expect(stored.nonces).toHaveLength(1);
  });

  it('a used nonce answers used until it expires', async () => {
    const nonce = await issueOne();
    expect(await store.consume(nonce, binding)).toBe('ok');
    now = new Date('2026-02-10T12:09:59.999Z');
    await issueOne(); // a write that prunes nothing live
    expect(await store.consume(nonce, binding)).toBe('used');
  });

  it('honours ttlMinutes', async () => {
    const short = createLowdbNonceStore({ file, clock, ttlMinutes: 1 });
    const [nonce = ''] = await short.issue([binding]);
    now = new Date('2026-02-10T12:01:00.000Z');
    expect(await short.consume(nonce, binding)).toBe('expired');
  });

  it('answers unknown for a nonce never issued or malformed', async () => {
    await issueOne();
    expect(await store.consume('AAAAAAAAAAAAAAAAAAAAAA', binding)).toBe('unknown');
    expect(await store.consume('', binding)).toBe('unknown');
    expect(await store.consume('not a nonce at all!', binding)).toBe('unknown');
    expect(await store.consume(undefined as unknown as string, binding)).toBe('unknown');
  });

  it('keeps no raw nonce in the file, only hashes, 0600', async () => {
    const nonces = await store.issue([binding, { ...binding, purpose: 'mail' }]);
    await store.consume(nonces[0] ?? '', binding);
    const text = await readFile(file, 'utf8');
    for (const n of nonces) expect(text).not.toContain(n);
    const stored = JSON.parse(text) as { nonces: { hash: string }[] };
    expect(stored.nonces.map((e) => e.hash)).toHaveLength(2);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(root, 'data'))).toEqual(['nonces.json']);
  });

  it('copying a stored hash does not help: the hash is not a nonce', async () => {
    await issueOne();
    const [entry] = (JSON.parse(await readFile(file, 'utf8')) as { nonces: { hash: string }[] }).nonces;
    expect(await store.consume(entry?.hash ?? '', binding)).toBe('unknown');
  });

  it('a tampered file fails closed (unknown) and is replaced at the next write', async () => {
    const nonce = await issueOne();
    await writeFile(file, '{ "nonces": [');
    expect(await store.consume(nonce, binding)).toBe('unknown');
    const fresh = await issueOne();
    expect(await store.consume(fresh, binding)).toBe('ok');

    const [entry] = (JSON.parse(await readFile(file, 'utf8')) as { nonces: Record<string, unknown>[] }).nonces;
    const again = await issueOne();
    await writeFile(file, JSON.stringify({ nonces: [{ ...entry, usedAt: 'never' }, 'junk'] }));
    expect(await store.consume(fresh, binding)).toBe('unknown'); // its entry did not validate
    expect(await store.consume(again, binding)).toBe('unknown'); // dropped by the rewrite
  });

  it('refuses malformed bindings at issue', async () => {
    const error: unknown = await store.issue([{ ...binding, purpose: 'delete' as NonceBinding['purpose'] }]).catch((e: unknown) => e);
    expect(isAppError(error, 'INPUT_INVALID')).toBe(true);
    const tooMany: unknown = await store.issue(Array.from({ length: 101 }, () => binding)).catch((e: unknown) => e);
    expect(isAppError(tooMany, 'INPUT_INVALID')).toBe(true);
  });
});
