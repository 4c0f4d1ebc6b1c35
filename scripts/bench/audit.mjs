#!/usr/bin/env node
/**
 * Audit log benchmark: time per `record` and per `recent({ limit: 15 })` with 0, 10,000 and
 * 100,000 entries in the month file, and of the operator's export of them all (CSV, src/audit/export.ts), for the JSON Lines log (with and without an fdatasync per
 * entry) and, for comparison, the lowdb document of earlier versions (reimplemented here on
 * src/storage/json-file.ts as it was: the whole month file read, rewritten and fsync'd per entry).
 * Prints figures; asserts nothing.
 *
 *   npx node scripts/bench/audit.mjs [--dir <folder on the disk to measure>] [--quick]
 *
 * It compiles src/audit (and what it imports) with the repo's TypeScript into a temp folder first,
 * so it needs no build. The data folder defaults to the OS temp folder; pass --dir to measure the
 * disk DATA_DIR is on (fsync costs depend on it).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({ options: { dir: { type: 'string' }, quick: { type: 'boolean', default: false } } });

// --- compile src/audit into a temp folder -------------------------------------------------------
const build = await mkdtemp(path.join(tmpdir(), 'audit-bench-build-'));
await symlink(path.join(repo, 'node_modules'), path.join(build, 'node_modules'), 'dir');
await writeFile(
  path.join(build, 'tsconfig.json'),
  JSON.stringify({
    extends: path.join(repo, 'tsconfig.json'),
    compilerOptions: { noEmit: false, sourceMap: false, rootDir: repo, outDir: path.join(build, 'out') },
    include: [],
    files: [path.join(repo, 'src/audit/audit-log.ts'), path.join(repo, 'src/audit/export.ts'), path.join(repo, 'src/storage/json-file.ts')],
  }),
);
execFileSync(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', path.join(build, 'tsconfig.json')], { stdio: 'inherit' });
const load = (file) => import(pathToFileURL(path.join(build, 'out', file)).href);
const { createFileAuditLog, auditEntrySchema } = await load('src/audit/audit-log.js');
const { jsonFile, ensurePrivateDir } = await load('src/storage/json-file.js');
const { exportAudit } = await load('src/audit/export.js');

// --- data ---------------------------------------------------------------------------------------
const NOW = new Date('2026-02-27T12:00:00Z');
const MONTH = '2026-02';
const monthStart = Date.parse(`${MONTH}-01T00:00:00Z`);

/** A mail entry as the bot writes them (the largest kind), for account `sam`. */
function input(i, sam = `sbf_user${i % 500}`) {
  return {
    environment: i % 3 === 0 ? 'hosting' : 'acme',
    admin: { dn: 'CN=Helpdesk Medewerker,OU=Beheerders,OU=Acme,DC=corp,DC=example,DC=nl', upn: 'helpdesk.medewerker@acme.example.nl', teamsId: '29:1a2b3c4d5e6f7g8h9i0j-kLmNoPqRsTuVwXyZ_0123456789' },
    target: { dn: `CN=Employee ${i},OU=Medewerkers,OU=Acme,DC=corp,DC=example,DC=nl`, sam, guid: randomUUID() },
    action: 'mail',
    outcome: 'success',
    mail: {
      recipient: `employee.${i}@private-mail.example.com`,
      language: 'nl',
      messageId: `<${randomUUID()}@acme.example.nl>`,
      smtpResponse: '250 2.0.0 Ok: queued as 4ABCD12EFG',
    },
    correlationId: randomUUID(),
  };
}

function stored(i) {
  const time = new Date(monthStart + Math.floor((i * (NOW.getTime() - monthStart - 60_000)) / 100_000)).toISOString();
  return auditEntrySchema.parse({ ...input(i), id: randomUUID(), time });
}

async function fill(dir, n, format) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (n === 0) return 0;
  const entries = Array.from({ length: n }, (_, i) => stored(i));
  const file = path.join(dir, `${MONTH}.${format}`);
  const text = format === 'jsonl' ? `${entries.map((e) => JSON.stringify(e)).join('\n')}\n` : `${JSON.stringify({ entries }, null, 2)}\n`;
  await writeFile(file, text, { mode: 0o600 });
  return (await stat(file)).size;
}

// --- the lowdb document of earlier versions ------------------------------------------------------
function oldAuditLog(dir) {
  const monthFile = (month) =>
    jsonFile({
      file: path.join(dir, `${month}.json`),
      validate: (data) => {
        if (!Array.isArray(data?.entries)) throw new Error('not an audit file');
        return data;
      },
      empty: () => ({ entries: [] }),
    });
  return {
    async record(entryInput) {
      const entry = auditEntrySchema.parse({ ...entryInput, id: randomUUID(), time: NOW.toISOString() });
      await ensurePrivateDir(dir);
      await monthFile(MONTH).update((data) => ({ result: undefined, next: { entries: [...data.entries, entry] } }));
      return entry;
    },
    async recent({ environment, targetSam, limit = 20 }) {
      const sam = targetSam?.toLowerCase();
      const files = await Promise.all(['2026-01', MONTH].map(async (m) => (await monthFile(m).read()).entries));
      return files
        .flat()
        .reverse()
        .filter((e) => environment === undefined || e.environment === environment)
        .filter((e) => sam === undefined || e.target?.sam?.toLowerCase() === sam)
        .sort((a, b) => b.time.localeCompare(a.time))
        .slice(0, Math.max(0, limit));
    },
  };
}

// --- measuring ----------------------------------------------------------------------------------
async function time(runs, task) {
  for (let i = 0; i < 3; i++) await task(runs + i); // warm-up, not counted
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await task(i);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { mean: samples.reduce((s, x) => s + x, 0) / runs, median: samples[Math.floor(runs / 2)], runs };
}

const fmt = (r) => `${r.median.toFixed(3).padStart(9)} ms median ${r.mean.toFixed(3).padStart(9)} ms mean  (${r.runs} runs)`;
const root = args.dir ? await mkdtemp(path.join(path.resolve(args.dir), 'audit-bench-')) : await mkdtemp(path.join(tmpdir(), 'audit-bench-'));
const q = args.quick ? 0.2 : 1;
const runs = (n) => Math.max(3, Math.round(n * q));

console.log(`audit log benchmark · Node ${process.version} · data in ${root}`);
console.log(`entries are mail entries (the largest kind); "recent" is history without a user, "recent for one account" is history <user> for an account with one entry (reads both months whole)\n`);

try {
  for (const n of [0, 10_000, 100_000]) {
    const dir = path.join(root, `jsonl-${n}`);
    const size = await fill(dir, n, 'jsonl');
    console.log(`— ${n.toLocaleString('en')} entries in the month file (JSON Lines ${(size / 1e6).toFixed(1)} MB)`);
    const synced = createFileAuditLog({ dir, retentionDays: 3650, clock: () => NOW });
    const unsynced = createFileAuditLog({ dir, retentionDays: 3650, clock: () => NOW, sync: false });
    await unsynced.recent({ limit: 1 }); // conversion check, first open
    console.log(`  new record, fdatasync per entry     ${fmt(await time(runs(200), (i) => synced.record(input(i))))}`);
    console.log(`  new record, no fsync (page cache)   ${fmt(await time(runs(200), (i) => unsynced.record(input(i))))}`);
    console.log(`  new recent({ limit: 15 })           ${fmt(await time(runs(100), () => synced.recent({ environment: 'acme', limit: 15 })))}`);
    console.log(`  new recent for one account          ${fmt(await time(runs(10), () => synced.recent({ environment: 'acme', targetSam: 'sbf_rare', limit: 15 })))}`);
    if (n > 0) {
      let bytes = 0;
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const count = await exportAudit(synced, { range: {}, format: 'csv', write: async (chunk) => void (bytes += Buffer.byteLength(chunk)) });
      const ms = performance.now() - started;
      const rssGrowth = (process.memoryUsage().rss - rssBefore) / 1e6;
      console.log(`  export as CSV, every entry          ${ms.toFixed(0).padStart(9)} ms for ${count.toLocaleString('en')} entries, ${(bytes / 1e6).toFixed(1)} MB of CSV, RSS +${rssGrowth.toFixed(0)} MB`);
    }

    const oldDir = path.join(root, `json-${n}`);
    const oldSize = await fill(oldDir, n, 'json');
    const old = oldAuditLog(oldDir);
    const few = n >= 100_000 ? 5 : n >= 10_000 ? 20 : 100;
    console.log(`  (old lowdb document, ${(oldSize / 1e6).toFixed(1)} MB)`);
    console.log(`  old record (rewrite + fsync)        ${fmt(await time(runs(few), (i) => old.record(input(i))))}`);
    console.log(`  old recent({ limit: 15 })           ${fmt(await time(runs(few), () => old.recent({ environment: 'acme', limit: 15 })))}`);
    console.log('');
    await rm(oldDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
} finally {
  await rm(root, { recursive: true, force: true });
  await rm(build, { recursive: true, force: true });
}
