/**
 * The bot running for real with its Password Change Portal reachable at PUBLIC_URL (its own
 * loopback address), against the test DC and a real SMTP server; and a plain HTTP client for the
 * portal's form, as a browser without script would send it.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startBot, type RunningBot } from '../../src/bot/bot.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { startHarness, tenantsFileContent, type Harness } from './harness.js';

export interface PortalBot {
  readonly h: Harness;
  readonly bot: RunningBot;
  /** http://127.0.0.1:PORT, which PUBLIC_URL names too (unless overridden). */
  readonly url: string;
  readonly logs: string[];
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The harness's environments, where Hosting has no changePortalUrl of its own (its mail points at
 * this bot's portal) and `change` edits the rest.
 */
export function portalTenantsFile(change: (tenants: Record<string, unknown>[]) => void = () => undefined): string {
  const file = JSON.parse(tenantsFileContent()) as { tenants: Record<string, unknown>[] };
  for (const tenant of file.tenants) if (tenant['key'] === 'hosting') delete tenant['changePortalUrl'];
  change(file.tenants);
  return JSON.stringify(file);
}

export async function startPortalBot(overrides: Record<string, string | undefined> = {}, tenants = portalTenantsFile()): Promise<PortalBot> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const h = await startHarness({ PUBLIC_URL: url, ...overrides });
  const tenantsFile = join(h.dir, 'portal-tenants.json');
  writeFileSync(tenantsFile, tenants);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ ...h.env, TENANTS_FILE: tenantsFile });
  const bot = await startBot(config, createLogger('debug', sink), { port, state: h.state });
  return {
    h,
    bot,
    url,
    logs,
    async close() {
      await bot.close();
      await h.close();
    },
  };
}

export interface PortalAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly html: string;
  /** The text of the page's status message (the one sentence it announces). */
  readonly message: string;
}

function answer(status: number, headers: Headers, html: string): PortalAnswer {
  const raw = /<div id="status"[^>]*>([^<]*)<\/div>/.exec(html)?.[1] ?? '';
  const message = raw.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { status, headers, html, message };
}

export async function getPage(url: string, headers: Record<string, string> = {}): Promise<PortalAnswer & { csrf: string; cookie: string; hidden: Record<string, string> }> {
  const response = await fetch(url, { headers, redirect: 'manual' });
  const html = await response.text();
  const csrf = /name="csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([a-z]+)" value="([^"]*)">/g)].map((m) => [m[1] as string, (m[2] as string).replace(/&amp;/g, '&')]));
  return { ...answer(response.status, response.headers, html), csrf, cookie, hidden };
}

/** Posts the form the way the page does (urlencoded), with its CSRF cookie and field unless told otherwise. */
export async function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PortalAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return answer(response.status, response.headers, await response.text());
}

/** GETs the page and posts its form (its hidden fields: CSRF token, environment, language) with these fields. */
export async function submit(pageUrl: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PortalAnswer> {
  const page = await getPage(pageUrl, headers);
  const postUrl = new URL('/change', pageUrl).toString();
  return postForm(postUrl, { ...page.hidden, ...fields }, { cookie: page.cookie, ...headers });
}
