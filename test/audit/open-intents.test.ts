/**
 * `AuditLog.openIntents` of the file audit log: the directory changes begun and never settled,
 * exactly as the interface's contract says (src/audit/audit-log.ts).
 */
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEntrySchema, createFileAuditLog, type AuditAction, type AuditLog, type AuditOutcome, type AuditRecordInput } from '../../src/audit/audit-log.js';

let root: string;
let now: Date;
let log: AuditLog;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'open-intents-test-'));
  now = new Date('2026-03-10T12:00:00Z');
  log = createFileAuditLog({ dir: root, retentionDays: 365, clock: () => now });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function entry(correlationId: string | null, outcome: AuditOutcome, time: string, action: AuditAction = 'reset'): AuditRecordInput {
  return {
    environment: 'hosting',
    admin: { dn: 'CN=Hosting Admin,OU=Hosting,DC=corp,DC=test', upn: 'admin@mijnsynergy.nl' },
    target: { dn: 'CN=Joman Mus,OU=Hosting,DC=corp,DC=test', sam: 'sbf_jmus', guid: '0f8e6a2c-1000-4a1b-9c3d-5e7f80a1b2c3' },
    action,
    outcome,
    ...(correlationId === null ? {} : { correlationId }),
    ...(outcome === 'intent' ? { keyVersion: 4, pwdLastSet: '134402391089334220' } : {}),
    time: new Date(time),
  };
}

const openIds = async (olderThan = now) => (await log.openIntents(olderThan)).map((e) => e.correlationId);

describe('openIntents', () => {
  it('returns intents no entry of theirs settled; unknown leaves one open; any other outcome settles it', async () => {
    const t = '2026-03-10T11:00:00Z';
    await log.record(entry(id(1), 'intent', t)); // crash: nothing after it
    await log.record(entry(id(2), 'intent', t));
    await log.record(entry(id(2), 'unknown', t)); // no answer: still open
    for (const [n, outcome] of [[3, 'success'], [4, 'refused'], [5, 'failed'], [6, 'applied'], [7, 'not-applied']] as const) {
      await log.record(entry(id(n), 'intent', t));
      await log.record(entry(id(n), outcome, t));
    }
    await log.record(entry(id(8), 'intent', t));
    await log.record(entry(id(8), 'unknown', t));
    await log.record(entry(id(8), 'applied', t)); // unknown, then reconciled
    expect(await openIds()).toEqual([id(1), id(2)]);
  });

  it('returns the intent entry as recorded, with the password version', async () => {
    await log.record(entry(id(1), 'intent', '2026-03-10T11:00:00Z'));
    const [open] = await log.openIntents(now);
    expect(auditEntrySchema.parse(open)).toEqual(open);
    expect(open).toMatchObject({ action: 'reset', outcome: 'intent', keyVersion: 4, pwdLastSet: '134402391089334220', correlationId: id(1) });
  });

  it('counts mail intents (they precede a reset), settled by the reset or mail outcome of the same action', async () => {
    const t = '2026-03-10T11:00:00Z';
    await log.record(entry(id(1), 'intent', t, 'mail'));
    await log.record(entry(id(2), 'intent', t, 'mail'));
    await log.record(entry(id(2), 'success', t, 'reset')); // the reset of the mail action
    await log.record(entry(id(3), 'intent', t, 'mail'));
    await log.record(entry(id(3), 'failed', t, 'mail')); // mail server down before the reset
    expect(await openIds()).toEqual([id(1)]);
  });

  it('ignores intents of other actions and intents without a correlation id', async () => {
    const t = '2026-03-10T11:00:00Z';
    await log.record(entry(id(1), 'intent', t, 'notice-mail'));
    await log.record(entry(id(2), 'intent', t, 'sign-in'));
    await log.record(entry(null, 'intent', t));
    expect(await openIds()).toEqual([]);
  });

  it('returns only intents strictly older than olderThan, oldest first, one per correlation id', async () => {
    await log.record(entry(id(1), 'intent', '2026-03-10T11:59:58Z'));
    await log.record(entry(id(2), 'intent', '2026-03-10T11:00:00Z', 'mail'));
    await log.record(entry(id(2), 'intent', '2026-03-10T11:00:01Z', 'reset'));
    await log.record(entry(id(3), 'intent', '2026-03-10T11:59:59Z'));
    const [first] = await log.openIntents(now);
    expect(first?.action).toBe('mail');
    expect(await openIds(new Date('2026-03-10T11:59:59Z'))).toEqual([id(2), id(1)]);
    expect(await openIds(new Date('2026-03-10T12:00:00Z'))).toEqual([id(2), id(1), id(3)]);
  });

  it('reads the current and previous UTC month: an intent of February settled in March is settled', async () => {
    await log.record(entry(id(1), 'intent', '2026-01-31T23:59:59Z')); // before the window
    await log.record(entry(id(2), 'intent', '2026-02-28T23:59:00Z'));
    await log.record(entry(id(2), 'applied', '2026-03-01T00:01:00Z'));
    await log.record(entry(id(3), 'intent', '2026-02-01T00:00:00Z'));
    expect(await openIds()).toEqual([id(3)]);
  });

  it('skips torn and invalid lines: they neither open nor settle anything', async () => {
    await log.record(entry(id(1), 'intent', '2026-03-10T11:00:00Z'));
    const file = join(root, '2026-03.jsonl');
    await appendFile(file, `{"correlationId":"${id(1)}","outcome":"applied","password":"x"}\n`);
    await appendFile(file, `{"id":"torn","correlationId":"${id(2)}","outcome":"int`);
    await log.record(entry(id(3), 'intent', '2026-03-10T11:00:01Z'));
    expect(await openIds()).toEqual([id(1), id(3)]);
  });

  it('is empty without files', async () => {
    expect(await log.openIntents(now)).toEqual([]);
  });
});

describe('the audit entry schema', () => {
  it('takes the password version and the new outcomes, and refuses anything else new', () => {
    const base = { id: id(1), time: now.toISOString(), environment: 'hosting', admin: { dn: null, upn: null }, action: 'reset' };
    for (const outcome of ['intent', 'success', 'refused', 'failed', 'unknown', 'applied', 'not-applied']) {
      expect(auditEntrySchema.safeParse({ ...base, outcome }).success, outcome).toBe(true);
    }
    expect(auditEntrySchema.safeParse({ ...base, outcome: 'intent', keyVersion: 7, pwdLastSet: '0' }).success).toBe(true);
    expect(auditEntrySchema.safeParse({ ...base, outcome: 'intent', keyVersion: -1 }).success).toBe(false);
    expect(auditEntrySchema.safeParse({ ...base, outcome: 'intent', keyVersion: 1.5 }).success).toBe(false);
    expect(auditEntrySchema.safeParse({ ...base, outcome: 'intent', pwdLastSet: 'Secret-Pass-1!' }).success).toBe(false);
    expect(auditEntrySchema.safeParse({ ...base, outcome: 'maybe' }).success).toBe(false);
  });
});
