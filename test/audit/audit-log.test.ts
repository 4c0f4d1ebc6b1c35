import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLowdbAuditLog,
  type AuditEntry,
  type AuditLog,
  type AuditRecordInput,
} from '../../src/audit/audit-log.js';
import { AppError, isAppError } from '../../src/errors/catalog.js';

let root: string;
let dir: string;
let now: Date;
let log: AuditLog;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'audit-test-'));
  dir = join(root, 'audit');
  now = new Date('2026-02-10T12:00:00Z');
  log = createLowdbAuditLog({ dir, retentionDays: 30, clock: () => now });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function entry(overrides: Partial<AuditRecordInput> = {}): AuditRecordInput {
  return {
    environment: 'acme',
    admin: { dn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test', upn: 'helpdesk@acme.test' },
    target: { dn: 'CN=Joman Mus,OU=Acme,DC=corp,DC=test', sam: 'sbf_jmus', guid: null },
    action: 'reset',
    outcome: 'success',
    ...overrides,
  };
}

async function entriesIn(month: string): Promise<AuditEntry[]> {
  const file = JSON.parse(await readFile(join(dir, `${month}.json`), 'utf8')) as { entries: AuditEntry[] };
  return file.entries;
}

async function monthFiles(): Promise<string[]> {
  return (await readdir(dir)).sort();
}

async function expectAppError(promise: Promise<unknown>, code: AppError['code']): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(error, code), `expected AppError ${code}, got ${String(error)}`).toBe(true);
  return error as AppError;
}

describe('record', () => {
  it('writes each entry to the file of its UTC month', async () => {
    now = new Date('2026-01-31T23:59:00Z');
    const january = await log.record(entry({ correlationId: 'c-1' }));
    now = new Date('2026-02-01T00:00:00Z');
    const february = await log.record(entry({ outcome: 'failed', errorCode: 'DIRECTORY_POLICY_VIOLATION' }));

    expect(await monthFiles()).toEqual(['2026-01.json', '2026-02.json']);
    expect(await entriesIn('2026-01')).toEqual([january]);
    expect(await entriesIn('2026-02')).toEqual([february]);
    expect(january.time).toBe('2026-01-31T23:59:00.000Z');
    expect(january.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(january.id).not.toBe(february.id);
  });

  it('uses the time given instead of the clock', async () => {
    const recorded = await log.record(entry({ time: new Date('2025-12-24T08:00:00Z') }));
    expect(recorded.time).toBe('2025-12-24T08:00:00.000Z');
    expect(await entriesIn('2025-12')).toEqual([recorded]);
  });

  it('keeps every one of 50 concurrent entries', async () => {
    const recorded = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.record(entry({ correlationId: `c-${i}` }))),
    );
    const stored = await entriesIn('2026-02');
    expect(stored).toHaveLength(50);
    expect(new Set(stored.map((e) => e.id))).toEqual(new Set(recorded.map((e) => e.id)));
    expect(await monthFiles()).toEqual(['2026-02.json']); // no temp file left behind
  });

  it('refuses an entry with an unknown key and writes nothing', async () => {
    const withPassword = { ...entry(), password: 'Temp-Secret-123!' } as AuditRecordInput;
    const error = await expectAppError(log.record(withPassword), 'AUDIT_WRITE_FAILED');
    expect(String((error.cause as Error).message)).toContain('password');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('Temp-Secret-123!');
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses unknown keys in nested objects and leaves the file as it was', async () => {
    const first = await log.record(entry());
    const nested = entry({ admin: { dn: null, upn: null, password: 'x' } as AuditRecordInput['admin'] });
    await expectAppError(log.record(nested), 'AUDIT_WRITE_FAILED');
    const badEnum = entry({ action: 'Temp-Secret-123!' as AuditRecordInput['action'] });
    const error = await expectAppError(log.record(badEnum), 'AUDIT_WRITE_FAILED');
    expect(String((error.cause as Error).message)).not.toContain('Temp-Secret-123!');
    expect(await entriesIn('2026-02')).toEqual([first]);
  });

  it('throws AUDIT_WRITE_FAILED when the directory cannot be written', async () => {
    // Running as root, chmod would not stop a write: put a regular file where the directory goes.
    const inTheWay = join(root, 'not-a-dir');
    await writeFile(inTheWay, '');
    for (const blocked of [inTheWay, join(inTheWay, 'audit')]) {
      const broken = createLowdbAuditLog({ dir: blocked, retentionDays: 30, clock: () => now });
      const error = await expectAppError(broken.record(entry()), 'AUDIT_WRITE_FAILED');
      expect(error.cause).toBeInstanceOf(Error);
    }
  });

  it('throws AUDIT_WRITE_FAILED rather than overwrite a month file it cannot read', async () => {
    await log.record(entry());
    await writeFile(join(dir, '2026-02.json'), '{ not json');
    await expectAppError(log.record(entry()), 'AUDIT_WRITE_FAILED');
    expect(await readFile(join(dir, '2026-02.json'), 'utf8')).toBe('{ not json');
  });

  it('creates the directory 0700 and the files 0600', async () => {
    await log.record(entry());
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, '2026-02.json'))).mode & 0o777).toBe(0o600);
  });
});

describe('recent', () => {
  beforeEach(async () => {
    const at = (iso: string, overrides: Partial<AuditRecordInput>) => log.record(entry({ time: new Date(iso), ...overrides }));
    await at('2025-12-20T10:00:00Z', { correlationId: 'december' }); // two months back: not searched
    await at('2026-01-31T23:59:00Z', { correlationId: 'january' });
    await at('2026-02-01T00:00:00Z', { correlationId: 'february-intent', outcome: 'intent' });
    await at('2026-02-01T00:00:00Z', { correlationId: 'february-outcome' });
    await at('2026-02-03T09:00:00Z', { correlationId: 'other-env', environment: 'hosting' });
    await at('2026-02-04T09:00:00Z', {
      correlationId: 'other-target',
      target: { dn: null, sam: 'sbf_other', guid: null },
    });
    await at('2026-02-05T09:00:00Z', { correlationId: 'refused-lookup', target: { dn: null, sam: null, guid: null, reference: 'jmus' } });
  });

  const ids = (entries: AuditEntry[]) => entries.map((e) => e.correlationId);

  it('filters by environment and target, newest first, across the month boundary', async () => {
    const found = await log.recent({ environment: 'acme', targetSam: 'SBF_JMUS' });
    expect(ids(found)).toEqual(['february-outcome', 'february-intent', 'january']);
  });

  it('filters by environment only, and honours the limit', async () => {
    expect(ids(await log.recent({ environment: 'hosting' }))).toEqual(['other-env']);
    expect(ids(await log.recent({ environment: 'acme', limit: 2 }))).toEqual(['refused-lookup', 'other-target']);
    expect(await log.recent({})).toHaveLength(6);
  });

  it('returns nothing when there is no log yet', async () => {
    const empty = createLowdbAuditLog({ dir: join(root, 'none'), retentionDays: 30, clock: () => now });
    expect(await empty.recent({})).toEqual([]);
  });
});

describe('purge', () => {
  it('removes entries older than the retention window and month files left empty', async () => {
    const at = (iso: string) => log.record(entry({ time: new Date(iso), correlationId: iso }));
    await at('2025-12-20T10:00:00Z');
    await at('2026-01-20T10:00:00Z');
    await at('2026-02-10T10:00:00Z'); // before the cutoff, 2026-02-13T12:00Z
    await at('2026-02-20T10:00:00Z');
    await at('2026-03-10T10:00:00Z');

    expect(await log.purge(new Date('2026-03-15T12:00:00Z'))).toBe(3);
    expect(await monthFiles()).toEqual(['2026-02.json', '2026-03.json']);
    expect((await entriesIn('2026-02')).map((e) => e.correlationId)).toEqual(['2026-02-20T10:00:00Z']);
    expect((await entriesIn('2026-03')).map((e) => e.correlationId)).toEqual(['2026-03-10T10:00:00Z']);
    expect((await stat(join(dir, '2026-02.json'))).mode & 0o777).toBe(0o600);

    expect(await log.purge(new Date('2026-03-15T12:00:00Z'))).toBe(0);
  });

  it('uses the clock by default and does nothing without a log', async () => {
    const empty = createLowdbAuditLog({ dir: join(root, 'none'), retentionDays: 30, clock: () => now });
    expect(await empty.purge()).toBe(0);
    await log.record(entry());
    expect(await log.purge()).toBe(0);
  });

  it('refuses a retention that would purge everything', () => {
    for (const retentionDays of [0, -1, Number.NaN]) {
      expect(() => createLowdbAuditLog({ dir, retentionDays })).toThrow(AppError);
    }
  });
});
