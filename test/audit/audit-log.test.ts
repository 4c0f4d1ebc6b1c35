import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditEntrySchema,
  createFileAuditLog,
  type AuditEntry,
  type AuditFileEvent,
  type AuditLog,
  type AuditRecordInput,
} from '../../src/audit/audit-log.js';
import { AppError, isAppError } from '../../src/errors/catalog.js';

let root: string;
let dir: string;
let now: Date;
let events: AuditFileEvent[];
let log: AuditLog;

const open = (at = dir): AuditLog =>
  createFileAuditLog({ dir: at, retentionDays: 30, clock: () => now, onEvent: (e) => events.push(e) });

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'audit-test-'));
  dir = join(root, 'audit');
  now = new Date('2026-02-10T12:00:00Z');
  events = [];
  log = open();
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

/** A stored entry as `record` would have written it, for filling a file directly. */
function stored(overrides: Partial<AuditEntry> = {}): AuditEntry {
  const { time, ...rest } = entry();
  void time;
  return auditEntrySchema.parse({ ...rest, id: randomUUID(), time: now.toISOString(), ...overrides });
}

const fileOf = (month: string) => join(dir, `${month}.jsonl`);

async function linesIn(month: string): Promise<string[]> {
  const text = await readFile(fileOf(month), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

async function entriesIn(month: string): Promise<AuditEntry[]> {
  return (await linesIn(month)).map((line) => auditEntrySchema.parse(JSON.parse(line)));
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

const ids = (entries: AuditEntry[]) => entries.map((e) => e.correlationId);

describe('record', () => {
  it('appends each entry as one JSON line to the file of its UTC month', async () => {
    now = new Date('2026-01-31T23:59:00Z');
    const january = await log.record(entry({ correlationId: 'c-1' }));
    now = new Date('2026-02-01T00:00:00Z');
    const february = await log.record(entry({ outcome: 'failed', errorCode: 'DIRECTORY_POLICY_VIOLATION' }));
    const again = await log.record(entry({ correlationId: 'c-3' }));

    expect(await monthFiles()).toEqual(['2026-01.jsonl', '2026-02.jsonl']);
    expect(await readFile(fileOf('2026-01'), 'utf8')).toBe(`${JSON.stringify(january)}\n`);
    expect(await readFile(fileOf('2026-02'), 'utf8')).toBe(`${JSON.stringify(february)}\n${JSON.stringify(again)}\n`);
    expect(january.time).toBe('2026-01-31T23:59:00.000Z');
    expect(january.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(january.id).not.toBe(february.id);
  });

  it('uses the time given instead of the clock', async () => {
    const recorded = await log.record(entry({ time: new Date('2025-12-24T08:00:00Z') }));
    expect(recorded.time).toBe('2025-12-24T08:00:00.000Z');
    expect(await entriesIn('2025-12')).toEqual([recorded]);
  });

  it('writes 200 concurrent entries as 200 whole lines, in the order they were recorded', async () => {
    const recorded = await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.record(entry({ correlationId: `c-${i}`, detail: 'x'.repeat(i * 2) }))),
    );
    const lines = await linesIn('2026-02');
    expect(lines).toHaveLength(200);
    expect(lines).toEqual(recorded.map((e) => JSON.stringify(e)));
    expect(await monthFiles()).toEqual(['2026-02.jsonl']); // no temp file left behind
  });

  it('keeps what another instance on the same folder recorded, and reads it back', async () => {
    const first = await log.record(entry({ correlationId: 'first' }));
    const second = open();
    const [a, b] = await Promise.all([second.record(entry({ correlationId: 'second' })), log.record(entry({ correlationId: 'third' }))]);
    const lines = await entriesIn('2026-02');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual(first);
    expect(new Set(lines)).toEqual(new Set([first, a, b]));
    expect(await open().recent({})).toEqual([...lines].reverse());
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

  it('throws AUDIT_WRITE_FAILED when the folder or the month file cannot be written', async () => {
    // Running as root, chmod would not stop a write: put a regular file where the folder goes.
    const inTheWay = join(root, 'not-a-dir');
    await writeFile(inTheWay, '');
    for (const blocked of [inTheWay, join(inTheWay, 'audit')]) {
      const broken = open(blocked);
      const error = await expectAppError(broken.record(entry()), 'AUDIT_WRITE_FAILED');
      expect(error.cause).toBeInstanceOf(Error);
    }
    // ... and a folder where the month file goes
    await mkdir(fileOf('2026-02'), { recursive: true });
    await expectAppError(log.record(entry()), 'AUDIT_WRITE_FAILED');
  });

  it('answers every one of many entries recorded at once with the failure of the write that held it', async () => {
    const first = await log.record(entry({ correlationId: 'before' }));
    await rm(fileOf('2026-02'));
    await mkdir(fileOf('2026-02'));
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => log.record(entry({ correlationId: `c-${i}` }))));
    expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 20 }, () => 'rejected'));
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'AUDIT_WRITE_FAILED' });
    // The file back in place: the next entries are written, the failed ones never claimed to be.
    await rm(fileOf('2026-02'), { recursive: true });
    const after = await Promise.all([log.record(entry({ correlationId: 'a' })), log.record(entry({ correlationId: 'b' }))]);
    expect(await entriesIn('2026-02')).toEqual(after);
    expect(first.correlationId).toBe('before');
  });

  it('starts on a new line after a torn last line, which reads as skipped', async () => {
    const first = await log.record(entry({ correlationId: 'before' }));
    const torn = JSON.stringify(stored({ correlationId: 'torn' })).slice(0, 50);
    await appendFile(fileOf('2026-02'), torn); // a crash mid-append
    const next = await log.record(entry({ correlationId: 'after' }));

    expect(await linesIn('2026-02')).toEqual([JSON.stringify(first), torn, JSON.stringify(next)]);
    expect(ids(await log.recent({}))).toEqual(['after', 'before']);
    expect(events).toEqual([{ kind: 'skipped-lines', file: '2026-02.jsonl', count: 1 }]);
  });

  it('reads a torn last line as skipped, whoever reads first', async () => {
    await log.record(entry({ correlationId: 'whole' }));
    await appendFile(fileOf('2026-02'), '{"id":"');
    expect(ids(await log.recent({}))).toEqual(['whole']);
    expect(events).toEqual([{ kind: 'skipped-lines', file: '2026-02.jsonl', count: 1 }]);
  });

  it('creates the folder 0700 and the files 0600', async () => {
    await log.record(entry());
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(fileOf('2026-02'))).mode & 0o777).toBe(0o600);
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

  it('filters by environment and target, newest first, across the month boundary', async () => {
    const found = await log.recent({ environment: 'acme', targetSam: 'SBF_JMUS' });
    expect(ids(found)).toEqual(['february-outcome', 'february-intent', 'january']);
  });

  it('filters by environment only, and honours the limit', async () => {
    expect(ids(await log.recent({ environment: 'hosting' }))).toEqual(['other-env']);
    expect(ids(await log.recent({ environment: 'acme', limit: 2 }))).toEqual(['refused-lookup', 'other-target']);
    expect(await log.recent({})).toHaveLength(6);
    expect(await log.recent({ limit: 0 })).toEqual([]);
  });

  it('orders by time the entries it read, also when one was recorded with an earlier time', async () => {
    await log.record(entry({ time: new Date('2026-02-02T09:00:00Z'), correlationId: 'late-arrival' }));
    expect(ids(await log.recent({ environment: 'acme' }))).toEqual(['refused-lookup', 'other-target', 'late-arrival', 'february-outcome', 'february-intent', 'january']);
  });

  it('returns nothing when there is no log yet', async () => {
    expect(await open(join(root, 'none')).recent({})).toEqual([]);
  });

  it('skips and counts lines that are not JSON or not a valid entry, and never returns a password', async () => {
    const withPassword = { ...stored({ correlationId: 'with-password' }), password: 'Temp-Secret-123!' };
    const badOutcome = { ...stored({ correlationId: 'bad-outcome' }), outcome: 'maybe' };
    await appendFile(fileOf('2026-02'), ['not json', '[1,2]', JSON.stringify(withPassword), JSON.stringify(badOutcome), ''].join('\n'));
    await log.record(entry({ correlationId: 'last' }));

    const found = await log.recent({ limit: 3 });
    expect(ids(found)).toEqual(['last', 'refused-lookup', 'other-target']);
    expect(events).toEqual([{ kind: 'skipped-lines', file: '2026-02.jsonl', count: 4 }]);
    expect(JSON.stringify(await log.recent({ limit: 100 }))).not.toContain('Temp-Secret-123!');
  });
});

describe('recent over a big month file', () => {
  it('returns the newest 15 of 100,000 entries, and finds an old one for one account', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const sam = i === 5 ? 'SBF_Rare' : `sbf_user${i % 500}`;
      const time = new Date(Date.parse('2026-02-01T00:00:00Z') + i * 1000).toISOString();
      const environment = i % 2 === 0 ? 'acme' : 'hosting';
      lines.push(JSON.stringify(stored({ correlationId: `n-${i}`, time, environment, target: { dn: null, sam, guid: null } })));
    }
    await mkdir(dir, { recursive: true });
    await writeFile(fileOf('2026-02'), `${lines.join('\n')}\n`);

    const newest = await log.recent({ limit: 15 });
    expect(ids(newest)).toEqual(Array.from({ length: 15 }, (_, i) => `n-${99_999 - i}`));
    const acme = await log.recent({ environment: 'acme', limit: 15 });
    expect(ids(acme)).toEqual(Array.from({ length: 15 }, (_, i) => `n-${99_998 - 2 * i}`));
    expect(ids(await log.recent({ environment: 'hosting', targetSam: 'SBF_RARE', limit: 15 }))).toEqual(['n-5']);
    expect(events).toEqual([]);
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
    await appendFile(fileOf('2026-02'), 'torn');

    expect(await log.purge(new Date('2026-03-15T12:00:00Z'))).toBe(3);
    expect(await monthFiles()).toEqual(['2026-02.jsonl', '2026-03.jsonl']);
    // the unreadable line stays: it goes with its month
    expect((await readFile(fileOf('2026-02'), 'utf8')).split('\n').map((l) => (l.startsWith('{') ? JSON.parse(l).correlationId : l))).toEqual([
      '2026-02-20T10:00:00Z',
      'torn',
      '',
    ]);
    expect((await entriesIn('2026-03')).map((e) => e.correlationId)).toEqual(['2026-03-10T10:00:00Z']);
    expect((await stat(fileOf('2026-02'))).mode & 0o777).toBe(0o600);

    expect(await log.purge(new Date('2026-03-15T12:00:00Z'))).toBe(0);
    expect(await monthFiles()).toEqual(['2026-02.jsonl', '2026-03.jsonl']); // no temp file left
    expect(await log.purge(new Date('2026-04-05T12:00:00Z'))).toBe(1); // February, whole
    expect(await monthFiles()).toEqual(['2026-03.jsonl']);
    expect(await log.purge(new Date('2026-04-15T12:00:00Z'))).toBe(1); // March's last, file and all
    expect(await monthFiles()).toEqual([]);
  });

  it('keeps appending to a month while it is purged', async () => {
    now = new Date('2026-02-20T12:00:00Z');
    await log.record(entry({ time: new Date('2026-02-01T10:00:00Z'), correlationId: 'old' }));
    const cutoffNow = new Date('2026-03-05T12:00:00Z'); // cutoff 2026-02-03T12:00Z
    const [removed] = await Promise.all([
      log.purge(cutoffNow),
      ...Array.from({ length: 20 }, (_, i) => log.record(entry({ correlationId: `new-${i}` }))),
    ]);
    expect(removed).toBe(1);
    expect((await entriesIn('2026-02')).map((e) => e.correlationId)).toEqual(Array.from({ length: 20 }, (_, i) => `new-${i}`));
  });

  it('uses the clock by default and does nothing without a log', async () => {
    expect(await open(join(root, 'none')).purge()).toBe(0);
    await log.record(entry());
    expect(await log.purge()).toBe(0);
  });

  it('refuses a retention that would purge everything', () => {
    for (const retentionDays of [0, -1, Number.NaN]) {
      expect(() => createFileAuditLog({ dir, retentionDays })).toThrow(AppError);
    }
  });
});

describe('month files of earlier versions (YYYY-MM.json)', () => {
  const legacy = async (month: string, entries: unknown[]) => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, `${month}.json`), JSON.stringify({ entries }, null, 2), { mode: 0o600 });
  };

  it('are converted to JSON Lines once, before the first call returns, keeping every entry', async () => {
    const january = stored({ correlationId: 'january', time: '2026-01-15T10:00:00.000Z' });
    const refusedByToday = { ...stored({ correlationId: 'old-shape', time: '2026-02-01T10:00:00.000Z' }), retired: true };
    const february = stored({ correlationId: 'february', time: '2026-02-02T10:00:00.000Z' });
    await legacy('2026-01', [january]);
    await legacy('2026-02', [refusedByToday, february]);

    const recorded = await log.record(entry({ correlationId: 'new' }));
    expect(await monthFiles()).toEqual(['2026-01.jsonl', '2026-02.jsonl']);
    expect(await linesIn('2026-02')).toEqual([JSON.stringify(refusedByToday), JSON.stringify(february), JSON.stringify(recorded)]);
    expect((await stat(fileOf('2026-02'))).mode & 0o777).toBe(0o600);
    expect(events).toEqual([
      { kind: 'legacy-converted', file: '2026-01.json', entries: 1, invalid: 0 },
      { kind: 'legacy-converted', file: '2026-02.json', entries: 2, invalid: 1 },
    ]);
    expect(ids(await log.recent({}))).toEqual(['new', 'february', 'january']);
  });

  it('are not added twice when a crash left both files', async () => {
    const january = stored({ correlationId: 'january', time: '2026-01-15T10:00:00.000Z' });
    const later = stored({ correlationId: 'later', time: '2026-01-16T10:00:00.000Z' });
    await legacy('2026-01', [january]);
    await writeFile(fileOf('2026-01'), `${JSON.stringify(january)}\n${JSON.stringify(later)}\n`);

    expect(ids(await log.recent({}))).toEqual(['later', 'january']);
    expect(await linesIn('2026-01')).toEqual([JSON.stringify(january), JSON.stringify(later)]);
  });

  it('one that is not JSON is left in place and reported; recording goes on', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '2026-02.json'), '{"entries":[]}{"entries":[]}'); // what concurrent writes left
    const recorded = await log.record(entry());
    expect(await monthFiles()).toEqual(['2026-02.json', '2026-02.jsonl']);
    expect(await entriesIn('2026-02')).toEqual([recorded]);
    expect(events).toMatchObject([{ kind: 'legacy-not-converted', file: '2026-02.json' }]);
    expect(String((events[0] as { cause: Error }).cause.message)).not.toContain('entries');

    // and it goes with its month
    expect(await log.purge(new Date('2026-04-15T12:00:00Z'))).toBe(1);
    expect(await monthFiles()).toEqual([]);
  });
});
