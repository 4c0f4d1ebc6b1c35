#!/usr/bin/env node
/**
 * Reset benchmark: the time of one Reset (the use case: admin re-check, target checks, audit
 * intent, the LDAP modify, audit outcome) with an empty audit and with 100,000 audit entries in the
 * current month, on the embedded store and, when BENCH_DATABASE_URL is set, on PostgreSQL.
 * Prints medians and the ratio; asserts nothing.
 *
 *   npm run build && npx node scripts/bench/reset.mjs [--runs 30] [--entries 100000]
 *
 * It provisions and starts a Samba AD DC of its own (scripts/samba-dc.sh, the demo's data) in a
 * temp folder on a free loopback address, and stops it at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fillAudit } from './audit-fill.mjs';
import { freeIp } from './loopback.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '30' }, entries: { type: 'string', default: '100000' } } });
const RUNS = Number(args.runs);
const ENTRIES = Number(args.entries);
const dist = (file) => import(pathToFileURL(path.join(repo, 'dist', file)).href);

const PASSWORDS = { DC_ADMIN_PASSWORD: 'Dc-Admin-Pass-2026!', DC_SERVICE_PASSWORD: 'Svc-Reset-Pass-2026!', DC_SEED_PASSWORD: 'Seed-Pass-2026!' };
const BASE_DN = 'DC=corp,DC=test';
const HOSTING_OU = `OU=Hosting,OU=Tenants,${BASE_DN}`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];

const work = await mkdtemp(path.join(tmpdir(), 'reset-bench-'));
const dcDir = path.join(work, 'dc');
const ip = await freeIp();
const samba = path.join(repo, 'scripts', 'samba-dc.sh');
const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin:${path.dirname(process.execPath)}`, DC_DIR: dcDir, DC_IP: ip, ...PASSWORDS };
try {
  console.log(`Samba AD DC on ${ip} (provisioning, about 10 s)…`);
  execFileSync(samba, ['provision'], { env, stdio: 'inherit' });
  execFileSync(samba, ['start'], { env, stdio: 'inherit' });

  const { loadConfig } = await dist('src/config/config.js');
  const { createState } = await dist('src/state/create-state.js');
  const { createCore } = await dist('src/core.js');
  const { resetPassword } = await dist('src/reset/reset-password.js');
  const { createLogger } = await dist('src/log/logger.js');
  const tenantsFile = path.join(work, 'tenants.json');
  await writeFile(
    tenantsFile,
    JSON.stringify({
      tenants: [
        {
          key: 'hosting',
          name: 'Hosting',
          baseDn: HOSTING_OU,
          adminGroupDn: `CN=Hosting Admins,${HOSTING_OU}`,
          samPrefix: 'sbf_',
          language: 'nl',
          changePortalUrl: 'https://wachtwoord.example.nl/',
          teamsTenantIds: ['5eed0000-0000-4000-8000-000000000001'],
        },
      ],
    }),
  );

  const stores = [{ name: 'embedded', extra: {} }];
  if (process.env.BENCH_DATABASE_URL) stores.push({ name: 'postgres', extra: { DATABASE_URL: process.env.BENCH_DATABASE_URL } });
  const results = [];
  for (const store of stores) {
    for (const entries of [0, ENTRIES]) {
      const dataDir = path.join(work, `data-${store.name}-${entries}`);
      if (store.name === 'embedded' && entries > 0) await fillAudit(path.join(dataDir, 'audit'), entries, { environment: 'hosting', adminDn: `CN=Hosting Admin,${HOSTING_OU}`, adminUpn: 'admin@mijnsynergy.nl', ou: HOSTING_OU, samPrefix: 'sbf_' });
      const config = loadConfig({
        LDAP_URL: `ldaps://${ip}:636`,
        LDAP_CA_FILE: path.join(dcDir, 'private', 'tls', 'ca.pem'),
        LDAP_BIND_DN: `CN=svc-pwreset,CN=Users,${BASE_DN}`,
        LDAP_BIND_PASSWORD: PASSWORDS.DC_SERVICE_PASSWORD,
        SMTP_URL: 'smtp://127.0.0.1:1',
        SMTP_ALLOW_PLAINTEXT: 'true',
        MAIL_FROM: 'Helpdesk <helpdesk@provider.test>',
        DATA_DIR: dataDir,
        TENANTS_FILE: tenantsFile,
        DANGEROUSLY_ALLOW_UNAUTHENTICATED: 'true',
        ...store.extra,
      });
      const log = createLogger('silent');
      const state = await createState(config, log);
      if (store.name === 'postgres' && entries > 0) {
        // Filled through the store itself, 100 at a time.
        for (let i = 0; i < entries; i += 100) {
          await Promise.all(
            Array.from({ length: Math.min(100, entries - i) }, (_, k) =>
              state.audit.record({ environment: 'hosting', admin: { dn: 'CN=Bench', upn: null, teamsId: null }, action: 'reset', outcome: 'success', correlationId: randomUUID(), target: { dn: null, sam: `sbf_emp${(i + k) % 45}`, guid: null } }),
            ),
          );
        }
      }
      const core = createCore(config, log, state);
      // Let the start-up jobs (audit purge, reconciliation) finish before anything is timed.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const identity = await core.directory.findAdmin('admin@mijnsynergy.nl', config.tenants);
      const admin = { identity, teamsId: null };
      const times = [];
      for (let i = 0; i < RUNS + 3; i++) {
        const started = performance.now();
        await resetPassword(admin, config.tenants[0], { reference: `sbf_emp${String((i % 45) + 1).padStart(2, '0')}` }, core);
        if (i >= 3) times.push(performance.now() - started); // the first three warm up
      }
      core.close();
      await state.close();
      results.push({ store: store.name, entries, median: median(times), p90: p90(times) });
      console.log(`${store.name.padEnd(9)} ${String(entries).padStart(7)} audit entries: Reset median ${median(times).toFixed(1)} ms, p90 ${p90(times).toFixed(1)} ms (${RUNS} runs)`);
    }
  }
  for (const store of stores) {
    const [empty, full] = results.filter((r) => r.store === store.name);
    console.log(`${store.name}: with ${ENTRIES} entries a Reset takes ${(full.median / empty.median).toFixed(2)}× the time it takes with an empty audit`);
  }
} finally {
  try {
    execFileSync(samba, ['stop'], { env, stdio: 'inherit' });
  } catch {
    // already stopped
  }
  await rm(work, { recursive: true, force: true });
}
