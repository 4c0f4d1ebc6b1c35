#!/usr/bin/env node
/**
 * Lists benchmark: `list`, Next and `find` as the use cases answer them (the admin's re-check on a
 * bound connection, then the environment's list in memory), against a running directory, and the
 * process's RSS before and after 200 lists. Prints figures; asserts nothing.
 *
 *   npm run build && npx node scripts/bench/lists.mjs --url ldaps://127.0.0.2 --ca <dc>/private/tls/ca.pem \
 *     --bind-dn 'CN=svc-pwreset,CN=Users,DC=corp,DC=test' --bind-password 'Svc-Reset-Pass-2026!' \
 *     --base-dn 'OU=Big,OU=Tenants,DC=corp,DC=test' --admin-group-dn 'CN=Big Admins,OU=Big,OU=Tenants,DC=corp,DC=test' \
 *     --admin big_admin@big.example.nl [--runs 200] [--find 'Jansen 0042']
 *
 * (scripts/samba-dc.sh's demo passwords shown; point it at a DC with 10,000 employees in one OU.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (file) => import(pathToFileURL(path.join(repo, 'dist', file)).href);
const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    ca: { type: 'string' },
    'bind-dn': { type: 'string' },
    'bind-password': { type: 'string' },
    'base-dn': { type: 'string' },
    'admin-group-dn': { type: 'string' },
    admin: { type: 'string' },
    runs: { type: 'string', default: '200' },
    find: { type: 'string', default: 'jansen 004' },
  },
});
for (const name of ['url', 'bind-dn', 'bind-password', 'base-dn', 'admin-group-dn', 'admin']) {
  if (!args[name]) {
    process.stderr.write(`lists: --${name} is required\n`);
    process.exit(2);
  }
}
const RUNS = Number(args.runs);

const { LdapDirectory } = await dist('src/directory/ldap-directory.js');
const { PeopleIndex } = await dist('src/employees/people-index.js');
const { listEmployees } = await dist('src/employees/browse.js');

const tenant = {
  key: 'bench',
  name: 'Bench',
  baseDn: args['base-dn'],
  adminGroupDn: args['admin-group-dn'],
  language: 'en',
  changePortalUrl: 'https://example.test/',
  teamsTenantIds: [],
  protectedGroupDns: [],
};
const directory = new LdapDirectory(
  {
    url: args.url,
    startTls: false,
    ca: args.ca ? readFileSync(args.ca) : undefined,
    bindDn: args['bind-dn'],
    bindPassword: args['bind-password'],
    timeoutMs: 30_000,
    poolSize: 8,
  },
  [tenant],
);
const people = new PeopleIndex(directory, { pollMs: 5000, reloadMs: 10 * 60_000 });
const identity = await directory.findAdmin(args.admin, [tenant]);
if (!identity) throw new Error(`${args.admin} is not a member of ${args['admin-group-dn']}`);
const acting = { session: { admin: identity }, tenant, admin: { identity, teamsId: null } };
const deps = { directory, people };

const mib = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
async function timed(work) {
  const t0 = performance.now();
  const result = await work();
  return { ms: performance.now() - t0, result };
}

const rssStart = mib();
const cold = await timed(() => listEmployees(deps, acting, {}));
const size = (await people.list(tenant)).size;
const rssLoaded = mib();

const lists = [];
const nexts = [];
const finds = [];
let page = cold.result;
for (let i = 0; i < RUNS; i++) {
  const list = await timed(() => listEmployees(deps, acting, {}));
  lists.push(list.ms);
  // Next from wherever the walk is, starting over at the end.
  const from = page.next ? page : list.result;
  const next = await timed(() => listEmployees(deps, acting, { after: from.next, page: from.pageNumber }));
  nexts.push(next.ms);
  page = next.result;
  if (i % 4 === 0) finds.push((await timed(() => listEmployees(deps, acting, { search: args.find }))).ms);
}
globalThis.gc?.();
const rssEnd = mib();
people.close();

const row = (name, xs) => `${name.padEnd(10)} p50 ${pct(xs, 0.5).toFixed(1).padStart(7)} ms   p95 ${pct(xs, 0.95).toFixed(1).padStart(7)} ms   (${xs.length} runs)`;
process.stdout.write(
  [
    `environment: ${size} people under ${args['base-dn']}`,
    `first list (loads the environment): ${cold.ms.toFixed(0)} ms`,
    row('list', lists),
    row('next page', nexts),
    row('find', finds),
    `RSS: ${rssStart} MiB at start, ${rssLoaded} MiB with the list loaded, ${rssEnd} MiB after ${RUNS} lists (+ ${RUNS} next pages, ${finds.length} finds)`,
    '',
  ].join('\n'),
);
directory.close();
