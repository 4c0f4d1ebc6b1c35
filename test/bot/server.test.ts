/** The bot's HTTP side: authentication of Teams requests, the health check, and start-up refusals. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { startBotHarness } from '../support/bot-harness.js';

const INDEX = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
const BOT = { BOT_ID: '33333333-3333-4333-8333-333333333333', BOT_PASSWORD: 'not-a-real-secret', BOT_TENANT_ID: '44444444-4444-4444-8444-444444444444' };

/** fetch() will not send another Host header; a DNS-rebinding page would. */
function postWithHost(url: string, host: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { host, 'content-type': 'application/json' } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [INDEX], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 15_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

describe('the HTTP endpoint', () => {
  it('answers 401 to a POST without Authorization when BOT_ID is set, and acts on nothing', async () => {
    const b = await startBotHarness({ ...BOT, DANGEROUSLY_ALLOW_UNAUTHENTICATED: undefined });
    try {
      const user = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
      const result = await user.post({ type: 'message', text: 'list', channelId: 'msteams', serviceUrl: b.connector.url, conversation: { id: 'x', conversationType: 'personal', tenantId: HOSTING_TEAMS_TENANT }, from: { id: 'u', aadObjectId: user.aadObjectId } });
      expect(result.status).toBe(401);
      expect(b.connector.calls).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it('in unauthenticated local mode, refuses requests that do not come from this machine', async () => {
    const b = await startBotHarness();
    try {
      const user = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
      const activity = { type: 'message', text: 'help', channelId: 'msteams', conversation: { id: 'x', conversationType: 'personal', tenantId: HOSTING_TEAMS_TENANT }, from: { id: 'u', aadObjectId: user.aadObjectId } };
      expect((await user.post({ ...activity, serviceUrl: 'https://attacker.example/' })).status).toBe(403);
      expect(await postWithHost(`${b.bot.url}/api/messages`, 'evil.example:3978', { ...activity, serviceUrl: b.connector.url })).toBe(403);
      expect(b.connector.calls).toEqual([]);
      expect((await user.post({ ...activity, serviceUrl: b.connector.url })).status).toBe(200);
      expect(b.connector.calls).toHaveLength(1);
    } finally {
      await b.close();
    }
  });

  it('reports the directory and the mail server in /healthz, without secrets', async () => {
    const b = await startBotHarness();
    try {
      const response = await fetch(`${b.bot.url}/healthz`);
      const text = await response.text();
      expect(response.status).toBe(200);
      expect(JSON.parse(text)).toEqual({ status: 'ok', directory: 'ok', mail: 'ok' });
      for (const value of [b.h.env['LDAP_BIND_PASSWORD'], b.h.env['LDAP_URL'], b.h.env['SMTP_URL']]) expect(text).not.toContain(value);
    } finally {
      await b.close();
    }
    const down = await startBotHarness({ LDAP_URL: 'ldaps://127.0.0.1:1' });
    try {
      const response = await fetch(`${down.bot.url}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'degraded', directory: 'unreachable', mail: 'ok' });
    } finally {
      await down.close();
    }
  });
});

describe('starting the process', () => {
  it('exits non-zero without BOT_ID and says what to set', async () => {
    expect(existsSync(INDEX)).toBe(true);
    const b = await startBotHarness();
    const { DANGEROUSLY_ALLOW_UNAUTHENTICATED: _on, ...withoutSwitch } = b.h.env;
    await b.close();
    const { code, stderr } = await run({ ...withoutSwitch, TENANTS_FILE: '/nonexistent-but-not-reached' });
    expect(code).toBe(1);
    expect(stderr).toContain('BOT_ID: is required');
    expect(stderr).toContain('DANGEROUSLY_ALLOW_UNAUTHENTICATED=true');
    expect(stderr).not.toContain(String(withoutSwitch['LDAP_BIND_PASSWORD']));
  });

  it('names a bad setting without echoing its value', async () => {
    const settings = { LDAP_URL: 'ldaps://dc.example', LDAP_BIND_DN: 'CN=svc,DC=example', LDAP_BIND_PASSWORD: 'Hush-Secret-1', MAIL_FROM: 'a@b.nl', DANGEROUSLY_ALLOW_UNAUTHENTICATED: 'true' };
    const missing = await run(settings);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('SMTP_URL: is required');
    const plain = await run({ ...settings, LDAP_URL: 'ldap://dc.example', SMTP_URL: 'smtp://u:Hush-Secret-1@mail.example' });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('LDAP_URL: plain LDAP is refused');
    expect(missing.stderr + plain.stderr).not.toContain('Hush-Secret-1');
  });
});
