#!/usr/bin/env node
/**
 * `npm run bench`: the bot over its real HTTP endpoint (local mode, as the tests drive it) against
 * a Samba AD DC with 10,000 employees in one environment and 100 in another, beside the same
 * LDAP and SMTP work done with raw ldapts and nodemailer calls in the same run. Prints a table;
 * asserts nothing (it is not part of `npm test`).
 *
 *   npm run bench [-- --runs 20 --lists 200 --admins 50 --audit 100000 --fresh]
 *
 * The DC is provisioned once (scripts/samba-dc.sh, then the employees added offline with ldbadd:
 * several minutes) in BENCH_DC_DIR (default: $TMPDIR/pwreset-bench-dc) and reused by later runs;
 * --fresh provisions it again. Needs what the demo needs: scripts/install-system-packages.sh.
 *
 * Raw work per turn (one bound service connection kept for the whole run, as the bot keeps its
 * pool): what the bot asks the directory (and the mail server) for that turn, see RAW below. The
 * bot answers list, next page and find from its list in memory: their raw work is the admin's
 * re-check; reference rows show what a client without that list asks the directory for a page.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AndFilter, Attribute, Change, Client, EqualityFilter, ExtensibleFilter, OrFilter, ServerSideSortingRequestControl, SubstringFilter, GreaterThanEqualsFilter } from 'ldapts';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { fillAudit } from './audit-fill.mjs';
import { freeIp } from './loopback.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    lists: { type: 'string', default: '200' },
    admins: { type: 'string', default: '50' },
    audit: { type: 'string', default: '100000' },
    employees: { type: 'string', default: '10000' },
    fresh: { type: 'boolean', default: false },
    /** The bot's LDAP_POOL_SIZE (its default when not given). */
    pool: { type: 'string' },
    /** A folder: each bot started writes a V8 CPU profile there (open it in Chrome's DevTools). */
    profile: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const LISTS = Number(args.lists);
const ADMINS = Number(args.admins);
const AUDIT_ENTRIES = Number(args.audit);
const EMPLOYEES = Number(args.employees);
const SMALL = 100;

const PASSWORDS = { DC_ADMIN_PASSWORD: 'Dc-Admin-Pass-2026!', DC_SERVICE_PASSWORD: 'Svc-Reset-Pass-2026!', DC_SEED_PASSWORD: 'Seed-Pass-2026!' };
const BASE_DN = 'DC=corp,DC=test';
const SERVICE_DN = `CN=svc-pwreset,CN=Users,${BASE_DN}`;
const BIG_TEAMS_TENANT = 'b1b10000-0000-4000-8000-000000000001';
const SMALL_TEAMS_TENANT = '5a110000-0000-4000-8000-000000000002';
const ENVIRONMENTS = {
  big: { name: 'Big', ou: `OU=Big,OU=Tenants,${BASE_DN}`, teams: BIG_TEAMS_TENANT, count: EMPLOYEES },
  small: { name: 'Small', ou: `OU=Small,OU=Tenants,${BASE_DN}`, teams: SMALL_TEAMS_TENANT, count: SMALL },
};

const log = (...parts) => console.error('bench:', ...parts);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (xs, q) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]);

// ------------------------------------------------------------------------------------ the DC

/** Provisions the DC with the benchmark's environments, or reuses the one provisioned before. */
async function benchDc() {
  const dir = process.env.BENCH_DC_DIR ?? path.join(tmpdir(), 'pwreset-bench-dc');
  const markerFile = path.join(dir, 'bench.json');
  const want = { layout: 1, employees: EMPLOYEES, small: SMALL };
  const marker = existsSync(markerFile) ? JSON.parse(readFileSync(markerFile, 'utf8')) : undefined;
  const reuse = !args.fresh && marker && marker.layout === want.layout && marker.employees === want.employees && marker.small === want.small;
  const ip = reuse ? marker.ip : await freeIp();
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin:${path.dirname(process.execPath)}`, DC_DIR: dir, DC_IP: ip, DC_OWNER: 'pwreset-bench', ...PASSWORDS };
  const samba = (command) => execFileSync(path.join(repo, 'scripts', 'samba-dc.sh'), [command], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (reuse) {
    log(`reusing the DC in ${dir} (${EMPLOYEES} + ${SMALL} employees; --fresh provisions it again)`);
    try {
      execFileSync(path.join(repo, 'scripts', 'samba-dc.sh'), ['status'], { env, stdio: 'ignore' });
    } catch {
      samba('start');
    }
    return { ip, dir, stop: () => samba('stop') };
  }
  const t0 = Date.now();
  log(`provisioning a DC with ${EMPLOYEES} + ${SMALL} employees in ${dir} on ${ip} (several minutes, once)…`);
  samba('provision');
  const ldif = path.join(dir, 'private', 'bench.ldif');
  writeFileSync(ldif, execFileSync(process.execPath, [path.join(repo, 'scripts', 'bench', 'employees-ldif.mjs'), 'Big', String(EMPLOYEES), 'Small', String(SMALL)], { env, maxBuffer: 1 << 30 }), { mode: 0o600 });
  execFileSync('ldbadd', [`--configfile=${path.join(dir, 'etc', 'smb.conf')}`, '-H', path.join(dir, 'private', 'sam.ldb'), ldif], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await rm(ldif);
  samba('start');
  writeFileSync(markerFile, JSON.stringify({ ...want, ip }));
  log(`DC ready in ${Math.round((Date.now() - t0) / 1000)} s`);
  return { ip, dir, stop: () => samba('stop') };
}

// ------------------------------------------------------------------- SMTP sink and connector

async function smtpSink() {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        received++;
        callback();
      });
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.server.address().port, received: () => received, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The Bot Connector's stand-in: takes the bot's replies and card updates. */
async function connector() {
  const posted = new Map();
  let counter = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const id = `activity-${++counter}`;
      const activity = body ? JSON.parse(body) : {};
      const conversation = decodeURIComponent(/\/v3\/conversations\/([^/]+)/.exec(req.url ?? '')?.[1] ?? '');
      if (req.method === 'POST' && activity.type === 'message') {
        const list = posted.get(conversation) ?? [];
        list.push({ id, activity });
        posted.set(conversation, list);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    /** Messages posted in a conversation since index `from`. */
    since: (conversation, from) => (posted.get(conversation) ?? []).slice(from),
    count: (conversation) => (posted.get(conversation) ?? []).length,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

// --------------------------------------------------------------------------------- the bot

/**
 * Memory after a full garbage collection, asked of the bot over its inspector (started on a
 * loopback port of its own): what the bot holds, not when V8 last happened to collect.
 */
async function memoryAfterGc(inspectorUrl, pid) {
  const socket = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => (socket.addEventListener('open', resolve, { once: true }), socket.addEventListener('error', reject, { once: true })));
  let next = 0;
  const pending = new Map();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data));
    pending.get(message.id)?.(message);
  });
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    // Twice: the first collection can leave garbage that only a second one frees (weak references, finalizers).
    await call('HeapProfiler.collectGarbage');
    await sleep(200);
    await call('HeapProfiler.collectGarbage');
    await sleep(200);
    const answer = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    const usage = JSON.parse(answer.result.result.value);
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
    return { rss, heap: usage.heapUsed / 1024 / 1024 };
  } finally {
    socket.close();
  }
}

async function startBot(env, { inspect = false } = {}) {
  const started = performance.now();
  const profiling = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args.profile)}`] : [];
  const inspecting = inspect ? ['--inspect=127.0.0.1:0'] : [];
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', ...profiling, ...inspecting, path.join(repo, 'dist', 'src', 'index.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  child.stdout.on('data', (c) => output.push(c.toString()));
  child.stderr.on('data', (c) => output.push(c.toString()));
  const url = `http://127.0.0.1:${env.PORT}`;
  let healthy;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bot exited:\n${output.join('')}`);
    const status = await fetch(`${url}/${healthy === undefined ? 'healthz' : 'readyz'}`).then((r) => r.status, () => 0);
    if (status === 200 && healthy === undefined) healthy = performance.now() - started;
    else if (status === 200) break;
    await sleep(10);
  }
  const ready = performance.now() - started;
  return {
    url,
    child,
    healthyMs: healthy,
    readyMs: ready,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024,
    memoryAfterGc: () => {
      const url = /Debugger listening on (ws:\/\/\S+)/.exec(output.join(''))?.[1];
      if (!url) throw new Error('the bot was not started with its inspector');
      return memoryAfterGc(url, child.pid);
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** One Teams user in one conversation, driving the bot's endpoint. */
class User {
  constructor(bot, conn, teamsTenantId) {
    this.bot = bot;
    this.conn = conn;
    this.teamsTenantId = teamsTenantId;
    this.aad = randomUUID();
    this.conversation = `a:${randomUUID()}`;
  }

  activity(fields) {
    return {
      id: randomUUID(),
      channelId: 'msteams',
      serviceUrl: this.conn.url,
      timestamp: new Date().toISOString(),
      locale: 'en-US',
      from: { id: `29:${this.aad}`, aadObjectId: this.aad, name: 'Bench Admin' },
      recipient: { id: '28:bot', name: 'Password Reset' },
      conversation: { id: this.conversation, conversationType: 'personal', tenantId: this.teamsTenantId },
      channelData: { tenant: { id: this.teamsTenantId } },
      ...fields,
    };
  }

  async post(activity) {
    const response = await fetch(`${this.bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`the bot answered ${response.status}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** A message; resolves with the card the bot posted in reply (and its id). */
  async say(text) {
    const from = this.conn.count(this.conversation);
    await this.post(this.activity({ type: 'message', text }));
    const replies = this.conn.since(this.conversation, from);
    const last = replies[replies.length - 1];
    if (!last) throw new Error(`no reply to "${text}"`);
    return { id: last.id, card: last.activity.attachments?.[0]?.content };
  }

  async execute(data, replyToId) {
    const body = await this.post(this.activity({ type: 'invoke', name: 'adaptiveCard/action', replyToId, value: { action: { type: 'Action.Execute', verb: data.verb, data }, trigger: 'manual' } }));
    return body?.value;
  }

  async taskFetch(data, replyToId) {
    const body = await this.post(this.activity({ type: 'invoke', name: 'task/fetch', replyToId, value: { data, context: { theme: 'default' } } }));
    return body?.task?.value?.card?.content;
  }
}

function buttons(card) {
  const found = [];
  const walk = (node) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      if (node.type === 'Action.Execute' || node.type === 'Action.Submit') found.push({ title: node.title, data: node.data ?? {} });
      Object.values(node).forEach(walk);
    }
  };
  walk(card);
  return found;
}
/** A button by its title, or by its verb when given a string. */
const buttonOf = (card, title) => {
  const found = buttons(card).find((b) => (typeof title === 'string' ? b.data.verb === title : title.test(b.title ?? '')));
  if (!found) throw new Error(`no ${title} button: ${JSON.stringify(card).slice(0, 400)}`);
  return found.data;
};
const text = (card) => JSON.stringify(card ?? {});
const PASSWORD = /[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}/;
/** An error card: the catalog's sentence with a reference for the log (src/bot/context.ts errorCard). */
const looksFailed = (card) => /Reference: |Referentie: /.test(text(card));
let errorSamples = [];

async function signIn(user, env) {
  const { id } = await user.say('signin');
  const result = await user.execute({ verb: 'signin', login: `${env.name.toLowerCase()}_admin@${env.name.toLowerCase()}.example.nl`, password: PASSWORDS.DC_SEED_PASSWORD }, id);
  if (!/working in/.test(text(result))) throw new Error(`sign-in failed: ${text(result).slice(0, 300)}`);
}

// ------------------------------------------------------------------ raw ldapts and nodemailer

class Raw {
  constructor(ip, ca, smtpPort) {
    this.ip = ip;
    this.ca = ca;
    this.mailer = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, pool: true });
  }

  async client() {
    const c = new Client({ url: `ldaps://${this.ip}:636`, tlsOptions: { ca: [this.ca], minVersion: 'TLSv1.2' }, timeout: 30_000 });
    await c.bind(SERVICE_DN, PASSWORDS.DC_SERVICE_PASSWORD);
    return c;
  }

  async open() {
    this.c = await this.client();
    return this;
  }

  close() {
    this.mailer.close();
    return this.c?.unbind().catch(() => undefined);
  }
}

const PERSON_ATTRIBUTES = ['objectGUID', 'sAMAccountName', 'userPrincipalName', 'displayName', 'mail', 'userAccountControl', 'msDS-User-Account-Control-Computed', 'pwdLastSet', 'objectCategory', 'objectClass'];
const IS_PERSON = [new EqualityFilter({ attribute: 'objectCategory', value: 'person' }), new EqualityFilter({ attribute: 'objectClass', value: 'user' })];
const chain = (group) => new ExtensibleFilter({ matchType: 'memberOf', rule: '1.2.840.113556.1.4.1941', value: group });
const BINARY = ['objectGUID', 'objectSid', 'tokenGroups', 'replPropertyMetaData'];
const search = (c, base, options, controls) => c.search(base, { explicitBufferAttributes: BINARY, ...options }, controls).then((r) => r.searchEntries);

/** The LDAP (and SMTP) work of each turn, as the bot does it, on one bound connection. */
const RAW = {
  adminCheck: (c, admin, env) =>
    search(c, BASE_DN, { scope: 'sub', filter: new AndFilter({ filters: [new EqualityFilter({ attribute: 'objectGUID', value: admin.guidBytes }), chain(`CN=${env.name} Admins,${env.ou}`)] }), attributes: ['userAccountControl', 'msDS-User-Account-Control-Computed', 'accountExpires', 'pwdLastSet'], sizeLimit: 2 }),
  /** A page as a plain client asks for it: sorted by the directory, 21 rows. */
  page: (c, env, after) =>
    search(
      c,
      env.ou,
      { scope: 'sub', filter: new AndFilter({ filters: [...IS_PERSON, ...(after ? [new GreaterThanEqualsFilter({ attribute: 'displayName', value: after })] : [])] }), attributes: PERSON_ATTRIBUTES, sizeLimit: 21 },
      [new ServerSideSortingRequestControl({ critical: true, value: { attributeType: 'displayName' } })],
    ),
  find: (c, env, prefix) =>
    search(c, env.ou, { scope: 'sub', filter: new AndFilter({ filters: [...IS_PERSON, new OrFilter({ filters: ['displayName', 'givenName', 'sn', 'cn'].map((attribute) => new SubstringFilter({ attribute, initial: prefix })) })] }), attributes: PERSON_ATTRIBUTES, sizeLimit: 26 }),
  bySam: (c, env, sam) => search(c, env.ou, { scope: 'sub', filter: new AndFilter({ filters: [...IS_PERSON, new EqualityFilter({ attribute: 'sAMAccountName', value: sam })] }), attributes: PERSON_ATTRIBUTES, sizeLimit: 26 }),
  byGuid: (c, env, guid) => search(c, env.ou, { scope: 'sub', filter: new AndFilter({ filters: [...IS_PERSON, new EqualityFilter({ attribute: 'objectGUID', value: guid })] }), attributes: PERSON_ATTRIBUTES, sizeLimit: 2 }),
  /** The target re-read and its protection checks, its password version, and the modify. */
  async reset(c, env, guid, dn, password) {
    await search(c, BASE_DN, { scope: 'sub', filter: new EqualityFilter({ attribute: 'objectGUID', value: guid }), attributes: [...PERSON_ATTRIBUTES, 'adminCount', 'objectSid'], sizeLimit: 2 });
    await search(c, dn, { scope: 'base', attributes: ['tokenGroups'] });
    const adminGroups = Object.values(ENVIRONMENTS).map((e) => `CN=${e.name} Admins,${e.ou}`);
    await search(c, dn, { scope: 'base', filter: new OrFilter({ filters: adminGroups.map(chain) }), attributes: ['1.1'] });
    await search(c, BASE_DN, { scope: 'sub', filter: new EqualityFilter({ attribute: 'objectGUID', value: guid }), attributes: ['msDS-KeyVersionNumber', 'pwdLastSet', 'replPropertyMetaData'], sizeLimit: 2 });
    await c.modify(dn, [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) }),
    ]);
  },
};

function guidBytes(guid) {
  const hex = guid.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  // objectGUID's first three groups are little-endian.
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}
const guidString = (bytes) => {
  const h = (b) => Buffer.from(b).toString('hex');
  return `${h(Buffer.from(bytes.subarray(0, 4)).reverse())}-${h(Buffer.from(bytes.subarray(4, 6)).reverse())}-${h(Buffer.from(bytes.subarray(6, 8)).reverse())}-${h(bytes.subarray(8, 10))}-${h(bytes.subarray(10, 16))}`;
};

async function accountOf(c, env, sam) {
  const [entry] = await RAW.bySam(c, env, sam);
  if (!entry) throw new Error(`no ${sam}`);
  return { dn: entry.dn, guid: guidString(entry.objectGUID), guidBytes: entry.objectGUID, displayName: String(entry.displayName), mail: String(entry.mail) };
}

// ------------------------------------------------------------------------------ measurement

async function time(work) {
  const t = performance.now();
  await work();
  return performance.now() - t;
}

const rows = [];
function row(turn, bot, raw, note = '') {
  rows.push({ turn, bot, raw, note });
}

function printTable(extra) {
  const f = (ms) => (Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : '—');
  const lines = [
    '| turn | bot p50 | bot p95 | raw p50 | raw p95 | bot/raw p50 | bot/raw p95 |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
      const [b50, b95, r50, r95] = [quantile(r.bot, 0.5), quantile(r.bot, 0.95), quantile(r.raw, 0.5), quantile(r.raw, 0.95)];
      return `| ${r.turn}${r.note ? ` (${r.note})` : ''} | ${f(b50)} | ${f(b95)} | ${f(r50)} | ${f(r95)} | ${ratio(b50, r50)} | ${ratio(b95, r95)} |`;
    }),
    '',
    '| measure | value |',
    '|---|---:|',
    ...extra.map(([k, v]) => `| ${k} | ${v} |`),
  ];
  console.log(lines.join('\n'));
}

// ------------------------------------------------------------------------------------- main

const work = await mkdtemp(path.join(tmpdir(), 'pwreset-bench-'));
const dc = await benchDc();
const ca = readFileSync(path.join(dc.dir, 'private', 'tls', 'ca.pem'));
const smtp = await smtpSink();
const conn = await connector();
const tenantsFile = path.join(work, 'tenants.json');
writeFileSync(
  tenantsFile,
  JSON.stringify({
    tenants: Object.entries(ENVIRONMENTS).map(([key, e]) => ({
      key,
      name: e.name,
      baseDn: e.ou,
      adminGroupDn: `CN=${e.name} Admins,${e.ou}`,
      samPrefix: `${key}_`,
      language: 'en',
      changePortalUrl: 'https://password.example.nl/',
      teamsTenantIds: [e.teams],
    })),
  }),
);
let port = 39_000 + Math.floor(Math.random() * 2000);
const botEnv = (dataDir) => ({
  LDAP_URL: `ldaps://${dc.ip}:636`,
  LDAP_CA_FILE: path.join(dc.dir, 'private', 'tls', 'ca.pem'),
  LDAP_BIND_DN: SERVICE_DN,
  LDAP_BIND_PASSWORD: PASSWORDS.DC_SERVICE_PASSWORD,
  SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
  SMTP_ALLOW_PLAINTEXT: 'true',
  MAIL_FROM: 'Helpdesk <helpdesk@provider.test>',
  DATA_DIR: dataDir,
  TENANTS_FILE: tenantsFile,
  LOG_LEVEL: 'warn',
  DANGEROUSLY_ALLOW_UNAUTHENTICATED: 'true',
  ...(args.pool ? { LDAP_POOL_SIZE: args.pool } : {}),
  PORT: String(port++),
});

const raw = await new Raw(dc.ip, ca, smtp.port).open();
const extra = [];
let bot;
try {
  const big = ENVIRONMENTS.big;
  const small = ENVIRONMENTS.small;
  const bigAdmin = await accountOf(raw.c, big, 'big_admin');
  const smallAdmin = await accountOf(raw.c, small, 'small_admin');

  bot = await startBot(botEnv(path.join(work, 'data-empty')), { inspect: true });
  extra.push(['start to /healthz 200', `${Math.round(bot.healthyMs)} ms`], ['start to /readyz 200', `${Math.round(bot.readyMs)} ms`]);
  await sleep(2000);
  const idle = await bot.memoryAfterGc();
  extra.push(['RSS idle (after a full garbage collection; heap used)', `${idle.rss.toFixed(0)} MiB (${idle.heap.toFixed(1)} MiB)`]);

  // RSS after 200 lists at 100 and at 10,000 employees.
  log(`RSS: ${LISTS} lists at ${SMALL}, then at ${EMPLOYEES} employees…`);
  const admin = new User(bot, conn, big.teams);
  const smallUser = new User(bot, conn, small.teams);
  await signIn(smallUser, small);
  for (let i = 0; i < LISTS; i++) await smallUser.say('list');
  const rssSmall = bot.rss();
  const small100 = await bot.memoryAfterGc();
  await signIn(admin, big);
  for (let i = 0; i < LISTS; i++) await admin.say('list');
  const rssBig = bot.rss();
  const big10000 = await bot.memoryAfterGc();
  const plus = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} MiB`;
  extra.push(
    [`RSS after ${LISTS} lists at ${SMALL} employees (as found; after a full garbage collection)`, `${rssSmall.toFixed(0)} MiB; ${small100.rss.toFixed(0)} MiB`],
    [`RSS after ${LISTS} more lists at ${EMPLOYEES} employees (as found; after a full garbage collection)`, `${rssBig.toFixed(0)} MiB; ${big10000.rss.toFixed(0)} MiB (${plus(big10000.rss - small100.rss)})`],
    [`heap used after a full garbage collection, ${SMALL} → ${EMPLOYEES} employees listed`, `${small100.heap.toFixed(1)} → ${big10000.heap.toFixed(1)} MiB (${plus(big10000.heap - small100.heap)})`],
  );

  const t = { signin: [], list: [], next: [], find: [], resetCmd: [], dialog: [], mail: [] };
  const r = { signin: [], list: [], next: [], find: [], resetCmd: [], dialog: [], mail: [] };
  log(`per turn, ${RUNS} runs each, at ${EMPLOYEES} employees…`);
  for (let i = 0; i < RUNS; i++) {
    // sign-in: the admin found, their password tried on a connection of its own, their environments.
    const { id } = await admin.say('signin');
    t.signin.push(await time(() => admin.execute({ verb: 'signin', login: 'big_admin@big.example.nl', password: PASSWORDS.DC_SEED_PASSWORD }, id)));
    r.signin.push(
      await time(async () => {
        await search(raw.c, BASE_DN, { scope: 'sub', filter: new AndFilter({ filters: [...IS_PERSON, new EqualityFilter({ attribute: 'userPrincipalName', value: 'big_admin@big.example.nl' }), new OrFilter({ filters: [chain(`CN=Big Admins,${big.ou}`)] })] }), attributes: ['objectGUID'], sizeLimit: 2 });
        const own = new Client({ url: `ldaps://${dc.ip}:636`, tlsOptions: { ca: [ca] } });
        await own.bind(bigAdmin.dn, PASSWORDS.DC_SEED_PASSWORD);
        await own.unbind();
        await RAW.adminCheck(raw.c, bigAdmin, big);
      }),
    );
  }
  let listed;
  for (let i = 0; i < RUNS; i++) {
    t.list.push(await time(async () => (listed = await admin.say('list'))));
    r.list.push(await time(() => RAW.adminCheck(raw.c, bigAdmin, big)));
    const next = buttonOf(listed.card, /Next/);
    t.next.push(await time(() => admin.execute(next, listed.id)));
    r.next.push(await time(() => RAW.adminCheck(raw.c, bigAdmin, big)));
    const prefix = ['Anna', 'Bert', 'Sem', 'Vera'][i % 4] + ' ' + ['Jansen', 'de Vries', 'Bakker', 'Visser'][i % 4];
    t.find.push(await time(() => admin.say(`find ${prefix}`)));
    r.find.push(await time(() => RAW.adminCheck(raw.c, bigAdmin, big)));
  }
  const targets = Array.from({ length: RUNS }, (_, i) => `big_e${(i * 487) % EMPLOYEES}`);
  for (const [i, sam] of targets.entries()) {
    const person = await accountOf(raw.c, big, sam);
    let employee;
    t.resetCmd.push(await time(async () => (employee = await admin.say(`reset ${sam}`))));
    // The name is resolved in memory; the one hit is read again from the directory.
    r.resetCmd.push(await time(async () => (await RAW.adminCheck(raw.c, bigAdmin, big), await RAW.byGuid(raw.c, big, person.guidBytes))));
    let dialog;
    t.dialog.push(await time(async () => (dialog = await admin.taskFetch(buttonOf(employee.card, 'reset'), employee.id))));
    if (!PASSWORD.test(text(dialog))) throw new Error(`no password in the dialog: ${text(dialog).slice(0, 300)}`);
    r.dialog.push(
      await time(async () => {
        await RAW.adminCheck(raw.c, bigAdmin, big);
        await RAW.byGuid(raw.c, big, person.guidBytes);
        await RAW.reset(raw.c, big, person.guidBytes, person.dn, `Raw-${i}-Pass-2026!x`);
      }),
    );
    const form = await admin.say(`mail ${sam}`);
    const send = { ...buttonOf(form.card, 'mail.send'), address: person.mail, language: 'en' };
    let outcome;
    t.mail.push(await time(async () => (outcome = await admin.execute(send, form.id))));
    if (!/mailed to/.test(text(outcome))) throw new Error(`not mailed: ${text(outcome).slice(0, 300)}`);
    r.mail.push(
      await time(async () => {
        // The form's button: the employee read again; then the reset's own re-check and work, and the mail.
        await RAW.adminCheck(raw.c, bigAdmin, big);
        await RAW.byGuid(raw.c, big, person.guidBytes);
        await RAW.adminCheck(raw.c, bigAdmin, big);
        await RAW.byGuid(raw.c, big, person.guidBytes);
        await raw.mailer.verify();
        await RAW.reset(raw.c, big, person.guidBytes, person.dn, `Raw-${i}-Mail-2026!x`);
        await raw.mailer.sendMail({ from: 'helpdesk@provider.test', to: person.mail, subject: 'Your temporary password', text: 'A temporary password: Abcd-Efgh-Jkmn-Pqrs' });
      }),
    );
  }
  // For reference: a page as a client without the list in memory asks for it (the directory sorts the environment).
  const sorted = { first: [], next: [], find: [] };
  for (let i = 0; i < 3; i++) {
    let rows;
    sorted.first.push(await time(async () => (rows = await RAW.page(raw.c, big))));
    sorted.next.push(await time(() => RAW.page(raw.c, big, String(rows[20]?.displayName ?? 'A'))));
    sorted.find.push(await time(() => RAW.find(raw.c, big, 'Anna Jansen')));
  }
  const names = { signin: 'sign-in', list: '`list`', next: 'next page', find: '`find`', resetCmd: '`reset <user>`', dialog: 'Reset dialog', mail: 'Mail password' };
  for (const key of Object.keys(names)) row(names[key], t[key], r[key], `${EMPLOYEES}`);
  row('(reference) a page sorted by the directory, raw only', [], sorted.first, `${EMPLOYEES}`);
  row('(reference) the next page sorted by the directory, raw only', [], sorted.next, `${EMPLOYEES}`);
  row('(reference) a name search in the directory, raw only', [], sorted.find, `${EMPLOYEES}`);

  // 50 admins at once: each a list, the next page, a find, reset <user> and the Reset dialog.
  log(`${ADMINS} admins at once…`);
  const admins = Array.from({ length: ADMINS }, () => new User(bot, conn, big.teams));
  for (const a of admins) await signIn(a, big);
  let errors = 0;
  const flowBot = [];
  const byKind = {};
  const turn = async (work, check, kind) => {
    const started = performance.now();
    try {
      const result = await work();
      if (check(result)) {
        errors++;
        if (errorSamples.length < 3) errorSamples.push(text(result?.card ?? result).slice(0, 300));
      }
    } catch {
      errors++;
    }
    flowBot.push(performance.now() - started);
    (byKind[kind] ??= []).push(performance.now() - started);
  };
  const flowTargets = admins.map((_, i) => `big_e${(i * 193 + 7) % EMPLOYEES}`);
  await Promise.all(
    admins.map(async (a, i) => {
      let page;
      await turn(async () => (page = await a.say('list')), (x) => looksFailed(x.card), '`list`');
      let nextButton;
      try {
        nextButton = buttonOf(page.card, /Next/);
      } catch {
        errors++;
      }
      if (nextButton) await turn(() => a.execute(nextButton, page.id), looksFailed, 'next page');
      await turn(() => a.say('find Anna'), (x) => looksFailed(x.card), '`find`');
      let employee;
      await turn(async () => (employee = await a.say(`reset ${flowTargets[i]}`)), (x) => looksFailed(x.card), '`reset <user>`');
      if (employee) await turn(() => a.taskFetch(buttonOf(employee.card, 'reset'), employee.id), (card) => !PASSWORD.test(text(card)), 'Reset dialog');
    }),
  );
  log(`the same ${ADMINS} flows with raw calls…`);
  const people = await Promise.all(flowTargets.map((sam) => accountOf(raw.c, big, sam)));
  let rawErrors = 0;
  const flowRaw = [];
  const rawByKind = {};
  await Promise.all(
    people.map(async (person, i) => {
      let c;
      try {
        c = await raw.client();
      } catch {
        rawErrors += 5;
        return;
      }
      const step = async (work, kind) => {
        const started = performance.now();
        try {
          await work();
        } catch {
          rawErrors++;
        }
        flowRaw.push(performance.now() - started);
        (rawByKind[kind] ??= []).push(performance.now() - started);
      };
      await step(() => RAW.adminCheck(c, bigAdmin, big), '`list`');
      await step(() => RAW.adminCheck(c, bigAdmin, big), 'next page');
      await step(() => RAW.adminCheck(c, bigAdmin, big), '`find`');
      await step(async () => (await RAW.adminCheck(c, bigAdmin, big), await RAW.byGuid(c, big, person.guidBytes)), '`reset <user>`');
      await step(async () => {
        await RAW.adminCheck(c, bigAdmin, big);
        await RAW.byGuid(c, big, person.guidBytes);
        await RAW.reset(c, big, person.guidBytes, person.dn, `Raw-${i}-Flow-2026!x`);
      }, 'Reset dialog');
      await c.unbind();
    }),
  );
  for (const sample of errorSamples) log('an error the bot answered:', sample);
  row(`${ADMINS} admins at once, every turn`, flowBot, flowRaw, `${EMPLOYEES}; errors: bot ${errors}, raw ${rawErrors}`);
  for (const [kind, times] of Object.entries(byKind)) row(`${ADMINS} admins at once: ${kind}`, times, rawByKind[kind] ?? [], `${EMPLOYEES}`);
  await bot.stop();
  bot = undefined;

  // A Reset with an empty audit (above) and with 100,000 entries.
  log(`a Reset with ${AUDIT_ENTRIES} audit entries…`);
  const fullDir = path.join(work, 'data-full');
  mkdirSync(fullDir, { recursive: true, mode: 0o700 });
  await fillAudit(path.join(fullDir, 'audit'), AUDIT_ENTRIES, { environment: 'big', adminDn: bigAdmin.dn, adminUpn: 'big_admin@big.example.nl', ou: big.ou });
  bot = await startBot(botEnv(fullDir));
  extra.push([`start to /readyz 200 with ${AUDIT_ENTRIES} audit entries`, `${Math.round(bot.readyMs)} ms`]);
  const auditUser = new User(bot, conn, big.teams);
  await signIn(auditUser, big);
  await auditUser.say('list'); // the environment's list is read at sign-in: timed after it is in memory
  const full = [];
  for (const sam of targets) {
    const employee = await auditUser.say(`reset ${sam}`);
    full.push(await time(() => auditUser.taskFetch(buttonOf(employee.card, 'reset'), employee.id)));
  }
  row('Reset dialog', full, r.dialog, `${AUDIT_ENTRIES} audit entries`);
  extra.push([`Reset dialog p50, ${AUDIT_ENTRIES} audit entries / empty audit`, `${(quantile(full, 0.5) / quantile(t.dialog, 0.5)).toFixed(2)}×`]);
  extra.push(['mails received by the SMTP sink', String(smtp.received())]);
  void smallAdmin;
} finally {
  await bot?.stop();
  await raw.close();
  await conn.close();
  await smtp.close();
  await rm(work, { recursive: true, force: true });
}
printTable(extra);
log(`node ${process.version}; the DC stays in ${dc.dir} for the next run (scripts/samba-dc.sh stop with DC_DIR=${dc.dir} DC_IP=${dc.ip} stops it)`);
