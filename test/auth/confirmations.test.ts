/**
 * The embedded store's card confirmations: signed tokens, nothing written when issued, each use
 * appended once (src/state/embedded/confirmations.ts).
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NonceBinding, NonceStore } from '../../src/auth/nonce-store.js';
import { isAppError } from '../../src/errors/catalog.js';
import { createSignedConfirmations } from '../../src/state/embedded/confirmations.js';

let dir: string;
let now: Date;
let store: NonceStore;
const clock = (): Date => now;
const open = (ttlMinutes?: number) => createSignedConfirmations({ dataDir: dir, clock, ...(ttlMinutes ? { ttlMinutes } : {}) });

const binding: NonceBinding = {
  teamsTenantId: 'tenant-a',
  aadObjectId: 'user-1',
  adminDn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test',
  tenantKey: 'acme',
  targetGuid: '6f1c1c36-0d3e-4d4e-9a57-1c1f5f0c2a11',
  purpose: 'reset',
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confirm-test-'));
  now = new Date('2026-02-10T12:00:00.000Z');
  store = await open();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function issueOne(b: NonceBinding = binding, on: NonceStore = store): Promise<string> {
  const [token] = await on.issue([b]);
  if (token === undefined) throw new Error('no token');
  return token;
}

describe('signed confirmations', () => {
  it('issues distinct tokens for a list of 20 without writing anything', async () => {
    const before = await readdir(dir);
    const used = await readFile(join(dir, 'confirmations-used.jsonl'), 'utf8');
    const tokens = await store.issue(Array.from({ length: 20 }, (_, i) => ({ ...binding, targetGuid: `guid-${i}` })));
    expect(new Set(tokens).size).toBe(20);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(await readdir(dir)).toEqual(before);
    expect(await readFile(join(dir, 'confirmations-used.jsonl'), 'utf8')).toBe(used);
    expect(await store.consume(tokens[7]!, { ...binding, targetGuid: 'guid-7' })).toBe('ok');
    expect(await store.consume(tokens[8]!, { ...binding, targetGuid: 'guid-7' })).toBe('mismatch');
  });

  it('answers ok once, then used, also after a restart; a token issued before a restart works after it', async () => {
    const token = await issueOne();
    const other = await issueOne();
    expect(await store.consume(token, binding)).toBe('ok');
    expect(await store.consume(token, binding)).toBe('used');
    const restarted = await open();
    expect(await restarted.consume(token, binding)).toBe('used');
    expect(await restarted.consume(other, binding)).toBe('ok');
  });

  it.each([2, 20])('of %i concurrent uses of one token, exactly one is ok', async (n) => {
    const token = await issueOne();
    const results = await Promise.all(Array.from({ length: n }, () => store.consume(token, binding)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'used')).toHaveLength(n - 1);
    expect((await readFile(join(dir, 'confirmations-used.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  // Mismatch per binding field, concurrency and restarts: the contract cases, test/state/contract.test.ts.

  it('expires after 10 minutes by default, and honours ttlMinutes', async () => {
    const token = await issueOne();
    const short = await issueOne(binding, await open(1));
    now = new Date('2026-02-10T12:01:00.000Z');
    expect(await store.consume(short, binding)).toBe('expired');
    now = new Date('2026-02-10T12:09:59.000Z');
    const late = await issueOne();
    now = new Date('2026-02-10T12:10:00.000Z');
    expect(await store.consume(token, binding)).toBe('expired');
    expect(await store.consume(late, binding)).toBe('ok');
  });

  it('drops expired uses when it starts, and a torn last line does not break it', async () => {
    const token = await issueOne();
    expect(await store.consume(token, binding)).toBe('ok');
    await appendFile(join(dir, 'confirmations-used.jsonl'), '{"id":"torn');
    now = new Date('2026-02-10T12:11:00.000Z');
    const restarted = await open();
    expect(await readFile(join(dir, 'confirmations-used.jsonl'), 'utf8')).toBe('');
    expect(await restarted.consume(await issueOne(binding, restarted), binding)).toBe('ok');
  });

  it('refuses forged and malformed tokens, and tokens signed with another key', async () => {
    const token = await issueOne();
    const bytes = Buffer.from(token, 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(await store.consume(bytes.toString('base64url'), binding)).toBe('mismatch');
    // A later expiry written into the token breaks its signature.
    const later = Buffer.from(token, 'base64url');
    later[12] = (later[12] ?? 0) + 1;
    expect(await store.consume(later.toString('base64url'), binding)).toBe('mismatch');
    for (const bad of ['', 'short', 'x'.repeat(41), undefined as unknown as string]) expect(await store.consume(bad, binding)).toBe('unknown');
    const elsewhere = await mkdtemp(join(tmpdir(), 'confirm-other-'));
    try {
      const foreign = await issueOne(binding, await createSignedConfirmations({ dataDir: elsewhere, clock }));
      expect(await store.consume(foreign, binding)).toBe('mismatch');
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    expect(await store.consume(token, binding)).toBe('ok');
  });

  it('keeps its key and its use log owner-only, and never a token', async () => {
    const token = await issueOne();
    await store.consume(token, binding);
    expect((await stat(join(dir, 'confirmation.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'confirmations-used.jsonl'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'confirmations-used.jsonl'), 'utf8')).not.toContain(token);
  });

  it('refuses a damaged key instead of signing with it', async () => {
    await writeFile(join(dir, 'confirmation.key'), 'short');
    const error: unknown = await open().catch((e: unknown) => e);
    expect(isAppError(error, 'INTERNAL')).toBe(true);
  });

  it('refuses malformed bindings at issue', async () => {
    const error: unknown = await store.issue([{ ...binding, purpose: 'delete' as NonceBinding['purpose'] }]).catch((e: unknown) => e);
    expect(isAppError(error, 'INPUT_INVALID')).toBe(true);
    const tooMany: unknown = await store.issue(Array.from({ length: 101 }, () => binding)).catch((e: unknown) => e);
    expect(isAppError(tooMany, 'INPUT_INVALID')).toBe(true);
  });
});
