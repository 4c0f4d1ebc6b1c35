/**
 * `npm run demo`: try the bot without Teams, Azure or a directory of your own, on Debian or Ubuntu
 * as root. It installs the missing system packages, provisions a Samba AD DC with the seed's demo
 * data into .demo/dc (first run only: a second run reuses it), starts that DC on 127.0.0.3, a mail
 * catcher on 127.0.0.1:2525 and the bot in local mode with the playground on
 * http://localhost:3978/playground. Ctrl-C stops everything it started; so does a failed start-up.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBot } from '../bot/bot.js';
import { loadConfig } from '../config/config.js';
import { readEnvironment } from '../config/environment.js';
import { createLogger } from '../log/logger.js';
import { playgroundRoutes } from '../playground/playground.js';
import { DEFAULT_MAIL_CATCHER_PORT, startMailCatcher } from './mail-catcher.js';

const DC_IP = '127.0.0.3';
const BOT_PORT = 3978;
const BASE_DN = 'DC=corp,DC=test';
/** The passwords of the demo directory (scripts/samba-dc.sh seeds them; nothing here is secret). */
const DC_PASSWORDS = {
  DC_ADMIN_PASSWORD: 'Dc-Admin-Pass-2026!',
  DC_SERVICE_PASSWORD: 'Svc-Reset-Pass-2026!',
  DC_SEED_PASSWORD: 'Seed-Pass-2026!',
};
/** Fixed Teams tenant ids for the demo's two environments. */
const HOSTING_TEAMS_TENANT = '5eed0000-0000-4000-8000-000000000001';
const ACME_TEAMS_TENANT = '5eed0000-0000-4000-8000-000000000002';

function demoTenants(): string {
  const ou = (name: string) => `OU=${name},OU=Tenants,${BASE_DN}`;
  return `${JSON.stringify(
    {
      tenants: [
        {
          key: 'hosting',
          name: 'Hosting',
          baseDn: ou('Hosting'),
          adminGroupDn: `CN=Hosting Admins,${ou('Hosting')}`,
          samPrefix: 'sbf_',
          netbiosDomain: 'CORP',
          language: 'nl',
          teamsTenantIds: [HOSTING_TEAMS_TENANT],
        },
        {
          key: 'acme',
          name: 'Acme',
          baseDn: ou('Acme'),
          adminGroupDn: `CN=Acme Admins,${ou('Acme')}`,
          samPrefix: 'acme_',
          netbiosDomain: 'CORP',
          language: 'en',
          teamsTenantIds: [ACME_TEAMS_TENANT],
        },
      ],
    },
    null,
    2,
  )}\n`;
}

/** The repository: the folder above this file that holds scripts/samba-dc.sh (src/demo or dist/src/demo). */
function findRepository(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    if (existsSync(join(dir, 'scripts', 'samba-dc.sh')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`scripts/samba-dc.sh not found above ${start}`);
    dir = parent;
  }
}

class DemoError extends Error {}

/** Runs a script; its output goes to the terminal, or is shown only when it fails (`quiet`). */
function runScript(script: string, args: string[], env: Record<string, string>, quiet = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { env, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new DemoError(`${[script, ...args].join(' ')} failed (${signal ?? `exit ${code}`})${quiet && output.trim() ? `:\n${output.trim()}` : ''}`));
    });
  });
}

/** Fails early, and clearly, when another program (another demo?) holds one of our ports. */
function assertPortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () => reject(new DemoError(`port ${port} on 127.0.0.1 is in use, needed for ${what}: is another "npm run demo" running?`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const started = performance.now();
  if (process.getuid?.() !== 0) {
    throw new DemoError('run it as root (sudo npm run demo): it installs Debian packages, and Samba listens on the privileged LDAP ports 389 and 636');
  }
  const repo = findRepository();
  const demoDir = join(repo, '.demo');
  const dcDir = join(demoDir, 'dc');
  const marker = join(demoDir, 'provisioned.json');
  const samba = join(repo, 'scripts', 'samba-dc.sh');
  const outer = readEnvironment();
  // samba lives in /usr/sbin; the seed generator needs this node.
  const path = [outer['PATH'] ?? '/usr/bin:/bin', '/usr/sbin', '/sbin', dirname(process.execPath)].join(delimiter);
  const childEnv: Record<string, string> = { ...outer, PATH: path, DC_DIR: dcDir, DC_IP, ...DC_PASSWORDS };

  // What has been started, stopped last-first on Ctrl-C or when the start-up fails.
  const stops: { what: string; stop: () => Promise<void> }[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const { what, stop } of stops.reverse()) {
      await stop().catch((error: unknown) => console.error(`could not stop ${what}: ${error instanceof Error ? error.message : String(error)}`));
    }
    stops.length = 0;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    console.log(`\n${signal}: stopping…`);
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let t = performance.now();
    console.log('[1/5] System packages (scripts/install-system-packages.sh)…');
    await runScript(join(repo, 'scripts', 'install-system-packages.sh'), [], childEnv);
    console.log(`      ok (${seconds(t)})`);

    await assertPortFree(BOT_PORT, 'the bot and the playground');
    await assertPortFree(DEFAULT_MAIL_CATCHER_PORT, 'the mail catcher');

    // Provision once; provision again only when the DC script or the seed changed since.
    const fingerprint = createHash('sha256')
      .update(readFileSync(samba))
      .update(readFileSync(join(repo, 'scripts', 'seed', 'seed-ldif.mjs')))
      .update(DC_IP)
      .digest('hex');
    const provisioned = existsSync(marker) && existsSync(join(dcDir, 'etc', 'smb.conf')) && (JSON.parse(readFileSync(marker, 'utf8')) as { fingerprint?: string }).fingerprint === fingerprint;
    t = performance.now();
    if (provisioned) {
      console.log(`[2/5] Directory: reusing the Samba AD DC in ${relative(process.cwd(), dcDir) || dcDir}`);
    } else {
      console.log(`[2/5] Directory: provisioning a Samba AD DC with the demo data into ${relative(process.cwd(), dcDir) || dcDir} (first run only)…`);
      mkdirSync(demoDir, { recursive: true });
      rmSync(marker, { force: true });
      await runScript(samba, ['stop'], childEnv, true).catch(() => undefined);
      await runScript(samba, ['provision'], childEnv, true);
      writeFileSync(marker, `${JSON.stringify({ fingerprint, dcIp: DC_IP, at: new Date().toISOString() }, null, 2)}\n`);
      console.log(`      ok (${seconds(t)})`);
    }
    writeFileSync(join(demoDir, 'tenants.json'), demoTenants());

    t = performance.now();
    console.log(`[3/5] Directory: starting on ldaps://${DC_IP}…`);
    // A DC left running by a demo that was killed (nothing holds the bot's port, checked above).
    await runScript(samba, ['stop'], childEnv, true);
    stops.push({ what: 'the directory', stop: () => runScript(samba, ['stop'], childEnv, true) });
    await runScript(samba, ['start'], childEnv, true);
    console.log(`      ok (${seconds(t)})`);

    console.log(`[4/5] Mail catcher on smtp://127.0.0.1:${DEFAULT_MAIL_CATCHER_PORT}…`);
    const catcher = await startMailCatcher({ port: DEFAULT_MAIL_CATCHER_PORT });
    stops.push({ what: 'the mail catcher', stop: () => catcher.close() });

    console.log(`[5/5] Bot on http://127.0.0.1:${BOT_PORT} (local mode)…`);
    const logFile = join(demoDir, 'bot.log');
    const config = loadConfig({
      LDAP_URL: `ldaps://${DC_IP}:636`,
      LDAP_CA_FILE: join(dcDir, 'private', 'tls', 'ca.pem'),
      LDAP_BIND_DN: `CN=svc-pwreset,CN=Users,${BASE_DN}`,
      LDAP_BIND_PASSWORD: DC_PASSWORDS.DC_SERVICE_PASSWORD,
      SMTP_URL: catcher.url,
      SMTP_ALLOW_PLAINTEXT: 'true',
      MAIL_FROM: 'Helpdesk <helpdesk@provider.test>',
      DATA_DIR: join(demoDir, 'data'),
      TENANTS_FILE: join(demoDir, 'tenants.json'),
      LOG_LEVEL: outer['LOG_LEVEL'] ?? 'info',
      DANGEROUSLY_ALLOW_UNAUTHENTICATED: 'true',
      PORT: String(BOT_PORT),
      // The mails point at this bot's own Password Change Portal.
      PUBLIC_URL: `http://localhost:${BOT_PORT}`,
    });
    const logStream = createWriteStream(logFile, { flags: 'a' });
    const playground = playgroundRoutes({ config, outbox: () => catcher.mails() });
    const bot = await startBot(config, createLogger(config.logLevel, logStream), { extend: playground });
    stops.push({
      what: 'the bot',
      stop: async () => {
        playground.close();
        await bot.close();
        await new Promise<void>((resolve) => logStream.end(resolve));
      },
    });

    const seed = DC_PASSWORDS.DC_SEED_PASSWORD;
    console.log(`
Ready in ${seconds(started)}. The Password Reset bot runs locally, with a playground instead of Teams.

  Playground   http://localhost:${BOT_PORT}/playground
  Outbox       http://localhost:${BOT_PORT}/playground/outbox
  Portal       http://localhost:${BOT_PORT}/change  (the Password Change Portal the mails link to)

  Sign in as Hosting's admin:   admin@mijnsynergy.nl   password ${seed}
  or, with Teams tenant "Acme" chosen in the playground, as Acme's admin:   admin@acme.test   password ${seed}
  Then type:   list   ·   reset jmus   ·   mail jmus   ·   find mus   ·   help

  Directory    ldaps://${DC_IP}  (Samba AD DC in ${relative(process.cwd(), dcDir) || dcDir})
  Mail         smtp://127.0.0.1:${catcher.port}  (caught for the outbox, never delivered)
  Bot log      ${relative(process.cwd(), logFile) || logFile}

Local mode: no Teams authentication, loopback only. Ctrl-C stops the bot, the mail catcher and the directory.`);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(`\nnpm run demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
