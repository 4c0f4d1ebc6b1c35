/** The bot's HTTP side: authentication of Teams requests, the health check, and start-up refusals. */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { AUTH_TIMEOUT_MS, MAX_PENDING_AUTH } from '../../src/bot/server.js';
import { HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';

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
    execFile(process.execPath, [INDEX], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 45_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

/** POSTs raw bytes to the real endpoint; the status and the body as text. Never waits forever. */
async function postRaw(b: BotHarness, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${b.bot.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(AUTH_TIMEOUT_MS + 5000),
  });
  return { status: response.status, text: await response.text(), ms: Date.now() - started };
}

/** A complete Teams message activity from an allowed tenant, to this harness's stand-in connector. */
function teamsActivity(b: BotHarness, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const aadObjectId = randomUUID();
  return {
    type: 'message',
    text: 'help',
    id: randomUUID(),
    channelId: 'msteams',
    serviceUrl: b.connector.url,
    from: { id: `29:${aadObjectId}`, aadObjectId },
    recipient: { id: '28:bot' },
    conversation: { id: `a:${randomUUID()}`, conversationType: 'personal', tenantId: HOSTING_TEAMS_TENANT },
    channelData: { tenant: { id: HOSTING_TEAMS_TENANT } },
    ...fields,
  };
}

/** The bot's log lines (pino JSON) from `from` on, parsed. */
function logEntries(b: BotHarness, from = 0): Record<string, unknown>[] {
  return b.logs.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** What the process printed through console.* (the SDK prints there), without Node's deprecation warnings. */
function printed(spies: MockInstance[]): string[] {
  return spies
    .flatMap((spy) => spy.mock.calls)
    .map((args) => args.map((a) => (a instanceof Error ? `${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
    .filter((line) => !line.includes('DeprecationWarning'));
}

const STACK = /\n\s+at |\\n\s+at |"stack"/;

// ------------------------------------------------------------------ a stand-in for Microsoft's signing keys

/**
 * botbuilder fetches the Bot Framework channel's OpenID metadata and keys from
 * login.botframework.com (unreachable here). Its JwtTokenExtractor keeps one OpenIdMetadata per
 * URL in a static cache; pointing that entry at a local server lets the real SDK verify tokens
 * signed by a key of the test's own, or makes key fetching hang or fail.
 */
const fromBotbuilder = createRequire(createRequire(import.meta.url).resolve('botbuilder'));
const { JwtTokenExtractor } = fromBotbuilder('botframework-connector/lib/auth/jwtTokenExtractor.js') as { JwtTokenExtractor: { openIdMetadataCache: Map<string, unknown> } };
const { OpenIdMetadata } = fromBotbuilder('botframework-connector/lib/auth/openIdMetadata.js') as { OpenIdMetadata: new (url: string) => unknown };
const { AuthenticationConstants } = fromBotbuilder('botframework-connector') as { AuthenticationConstants: { ToBotFromChannelOpenIdMetadataUrl: string; ToBotFromChannelTokenIssuer: string } };

const KID = 'test-channel-key';
const channelKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

interface KeyHost {
  readonly url: string;
  /** Requests seen, by path. */
  readonly seen: string[];
  /** Makes the SDK fetch the channel's metadata from `path` on this host; returns the undo. */
  use(path: '/openid' | '/hang'): () => void;
  close(): Promise<void>;
}

async function startKeyHost(): Promise<KeyHost> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/hang') return; // never answers
    res.setHeader('content-type', 'application/json');
    if (req.url === '/openid') res.end(JSON.stringify({ issuer: AuthenticationConstants.ToBotFromChannelTokenIssuer, jwks_uri: `${url}/keys` }));
    else res.end(JSON.stringify({ keys: [{ ...channelKey.publicKey.export({ format: 'jwk' }), kid: KID, use: 'sig', endorsements: ['msteams'] }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    use(path) {
      const cacheKey = AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl;
      const before = JwtTokenExtractor.openIdMetadataCache.get(cacheKey);
      JwtTokenExtractor.openIdMetadataCache.set(cacheKey, new OpenIdMetadata(`${url}${path}`));
      return () => (before ? JwtTokenExtractor.openIdMetadataCache.set(cacheKey, before) : JwtTokenExtractor.openIdMetadataCache.delete(cacheKey));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Makes the SDK fetch the channel's metadata from a closed port (as when login.botframework.com is unreachable). */
function unreachableKeys(): () => void {
  const cacheKey = AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl;
  const before = JwtTokenExtractor.openIdMetadataCache.get(cacheKey);
  JwtTokenExtractor.openIdMetadataCache.set(cacheKey, new OpenIdMetadata('http://127.0.0.1:1/openid'));
  return () => (before ? JwtTokenExtractor.openIdMetadataCache.set(cacheKey, before) : JwtTokenExtractor.openIdMetadataCache.delete(cacheKey));
}

function jwt(key: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const part = (o: Record<string, unknown>) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** A Bot Framework channel token as Teams' connector sends it, signed with `key`. */
function channelToken(serviceUrl: string, key: KeyObject = channelKey.privateKey, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt(key, { alg: 'RS256', typ: 'JWT', kid: KID }, { iss: AuthenticationConstants.ToBotFromChannelTokenIssuer, aud: BOT.BOT_ID, serviceurl: serviceUrl, nbf: now - 60, exp: now + 3600, ...claims });
}

describe('the HTTP endpoint', () => {
  it('answers 401 to a POST without Authorization when BOT_ID is set, and acts on nothing', async () => {
    const b = await startBotHarness({ ...BOT, DANGEROUSLY_ALLOW_UNAUTHENTICATED: undefined });
    try {
      const user = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
      const result = await user.post({ type: 'message', text: 'list', id: 'm1', channelId: 'msteams', serviceUrl: b.connector.url, conversation: { id: 'x', conversationType: 'personal', tenantId: HOSTING_TEAMS_TENANT }, from: { id: 'u', aadObjectId: user.aadObjectId }, recipient: { id: '28:bot' } });
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
      const activity = { type: 'message', text: 'help', id: 'm1', channelId: 'msteams', conversation: { id: 'x', conversationType: 'personal', tenantId: HOSTING_TEAMS_TENANT }, from: { id: 'u', aadObjectId: user.aadObjectId }, recipient: { id: '28:bot' } };
      expect((await user.post({ ...activity, serviceUrl: 'https://attacker.example/' })).status).toBe(403);
      expect(await postWithHost(`${b.bot.url}/api/messages`, 'evil.example:3978', { ...activity, serviceUrl: b.connector.url })).toBe(403);
      expect(b.connector.calls).toEqual([]);
      expect((await user.post({ ...activity, serviceUrl: b.connector.url })).status).toBe(200);
      expect(b.connector.calls).toHaveLength(1);
    } finally {
      await b.close();
    }
  });

  it('answers /healthz from the process alone, even with the directory down', async () => {
    const down = await startBotHarness({ LDAP_URL: 'ldaps://127.0.0.1:1' });
    try {
      const response = await fetch(`${down.bot.url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    } finally {
      await down.close();
    }
  });
});

describe('POST /api/messages refuses without detail, before the adapter runs', () => {
  let spies: MockInstance[] = [];
  beforeEach(() => {
    spies = (['error', 'warn', 'log', 'info'] as const).map((method) => vi.spyOn(console, method).mockImplementation(() => undefined));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('authenticated mode: a JWT with a made-up signature gets 401 and an empty body, whether the signing keys are unreachable or reachable; one warn line each, no stack trace, no token', async () => {
    const b = await startBotHarness({ ...BOT, DANGEROUSLY_ALLOW_UNAUTHENTICATED: undefined });
    const keys = await startKeyHost();
    try {
      const from = b.logs.length;
      const activity = teamsActivity(b);
      const forged = channelToken(b.connector.url, otherKey.privateKey);

      const undoUnreachable = unreachableKeys();
      const unreachable = await postRaw(b, JSON.stringify(activity), { authorization: `Bearer ${forged}` });
      undoUnreachable();
      expect(unreachable).toMatchObject({ status: 401, text: '' });

      const undoKeys = keys.use('/openid');
      try {
        const badSignature = await postRaw(b, JSON.stringify(activity), { authorization: `Bearer ${forged}` });
        expect(badSignature).toMatchObject({ status: 401, text: '' });
        expect(keys.seen).toEqual(['/openid', '/keys']);
      } finally {
        undoKeys();
      }

      expect(b.connector.calls).toEqual([]);
      const entries = logEntries(b, from);
      expect(entries.map((e) => [e['code'], e['level'], e['reason']])).toEqual([
        ['BOT_AUTH_REFUSED', 40, 'verification-error'],
        ['BOT_AUTH_REFUSED', 40, 'token-refused'],
      ]);
      const everything = [...b.logs.slice(from), ...printed(spies)].join('\n');
      expect(everything).not.toMatch(STACK);
      for (const part of forged.split('.')) expect(everything).not.toContain(part);
    } finally {
      await keys.close();
      await b.close();
    }
  });

  it('authenticated mode: a missing, malformed or expired Authorization gets 401 at once, without fetching keys or printing anything', async () => {
    const b = await startBotHarness({ ...BOT, DANGEROUSLY_ALLOW_UNAUTHENTICATED: undefined });
    const keys = await startKeyHost();
    const undoKeys = keys.use('/openid');
    try {
      const from = b.logs.length;
      const activity = JSON.stringify(teamsActivity(b));
      const hourAgo = Math.floor(Date.now() / 1000) - 3600;
      const expired = channelToken(b.connector.url, channelKey.privateKey, { nbf: hourAgo - 60, exp: hourAgo });
      const headers: Record<string, string>[] = [
        {},
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: 'Bearer not-a-jwt' },
        { authorization: 'Bearer e30.e30' },
        { authorization: `Bearer ${expired}` },
      ];
      for (const header of headers) expect(await postRaw(b, activity, header), JSON.stringify(header)).toMatchObject({ status: 401, text: '' });
      expect(keys.seen).toEqual([]);
      expect(b.connector.calls).toEqual([]);
      expect(logEntries(b, from).map((e) => [e['code'], e['reason']])).toEqual([
        ['BOT_AUTH_REFUSED', 'no-authorization'],
        ['BOT_AUTH_REFUSED', 'malformed-authorization'],
        ['BOT_AUTH_REFUSED', 'malformed-authorization'],
        ['BOT_AUTH_REFUSED', 'malformed-authorization'],
        ['BOT_AUTH_REFUSED', 'expired-token'],
      ]);
      expect(printed(spies)).toEqual([]);
      expect(b.logs.slice(from).join('\n')).not.toContain(expired.split('.')[2]);
    } finally {
      undoKeys();
      await keys.close();
      await b.close();
    }
  });

  it(`authenticated mode: a key fetch that hangs is answered 401 after ${AUTH_TIMEOUT_MS} ms; beyond ${MAX_PENDING_AUTH} waiting verifications, 503 at once`, async () => {
    const b = await startBotHarness({ ...BOT, DANGEROUSLY_ALLOW_UNAUTHENTICATED: undefined });
    const keys = await startKeyHost();
    const undoKeys = keys.use('/hang');
    try {
      const from = b.logs.length;
      const body = JSON.stringify(teamsActivity(b));
      const authorization = `Bearer ${channelToken(b.connector.url)}`;
      // A request that never gets an answer fails its assertion below, not as an unhandled rejection.
      const waiting = Array.from({ length: MAX_PENDING_AUTH }, () => postRaw(b, body, { authorization }).catch((error: unknown) => ({ status: 0, text: String(error), ms: -1 })));
      await vi.waitFor(() => expect(keys.seen).toHaveLength(MAX_PENDING_AUTH), { timeout: 3000 });
      const shed = await postRaw(b, body, { authorization });
      expect(shed).toMatchObject({ status: 503, text: '' });
      expect(shed.ms).toBeLessThan(1000);
      const answers = await Promise.all(waiting);
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: 401, text: '' });
        expect(answer.ms).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 100);
        expect(answer.ms).toBeLessThan(AUTH_TIMEOUT_MS + 3000);
      }
      expect(b.connector.calls).toEqual([]);
      const entries = logEntries(b, from);
      expect(entries.filter((e) => e['code'] === 'BOT_AUTH_BUSY')).toHaveLength(1);
      expect(entries.filter((e) => e['code'] === 'BOT_AUTH_REFUSED' && e['reason'] === 'timeout')).toHaveLength(MAX_PENDING_AUTH);
      expect(entries).toHaveLength(MAX_PENDING_AUTH + 1);
      expect(printed(spies)).toEqual([]);
    } finally {
      undoKeys();
      await keys.close();
      await b.close();
    }
  });

  it('authenticated mode: a token signed with the channel key passes, and an invoke gets 200 with its answer (the guards refuse only what they should)', async () => {
    const b = await startBotHarness({ ...BOT, DANGEROUSLY_ALLOW_UNAUTHENTICATED: undefined });
    const keys = await startKeyHost();
    const undoKeys = keys.use('/openid');
    try {
      const invoke = teamsActivity(b, { type: 'invoke', name: 'adaptiveCard/action', text: undefined, value: { action: { type: 'Action.Execute', verb: 'list', data: { nonsense: true } }, trigger: 'manual' } });
      const answer = await postRaw(b, JSON.stringify(invoke), { authorization: `Bearer ${channelToken(b.connector.url)}` });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
      // The same token for another serviceUrl is refused by the SDK's own claim check.
      const elsewhere = await postRaw(b, JSON.stringify({ ...invoke, serviceUrl: 'https://smba.example/' }), { authorization: `Bearer ${channelToken(b.connector.url)}` });
      expect(elsewhere).toMatchObject({ status: 401, text: '' });
    } finally {
      undoKeys();
      await keys.close();
      await b.close();
    }
  });

  for (const mode of ['local', 'authenticated'] as const) {
    it(`${mode} mode: a body that is not a JSON Activity gets 400 (413, 415) with an empty body and one warn line, and reaches nothing`, async () => {
      const b = await startBotHarness(mode === 'local' ? {} : { ...BOT, DANGEROUSLY_ALLOW_UNAUTHENTICATED: undefined });
      try {
        const from = b.logs.length;
        const valid = teamsActivity(b);
        const { type: _type, ...untyped } = valid;
        const malformed: [string, string][] = [
          ['type a number', JSON.stringify({ ...valid, type: 5 })],
          ['type missing', JSON.stringify(untyped)],
          ['type an array', JSON.stringify({ ...valid, type: ['message'] })],
          ['body an array', JSON.stringify([valid])],
          ['body null', 'null'],
          ['body a string', JSON.stringify('message')],
          ['body not JSON', '{"type": "message",'],
          ['conversation.id a number', JSON.stringify({ ...valid, conversation: { id: 7 } })],
          ['serviceUrl an object', JSON.stringify({ ...valid, serviceUrl: { href: b.connector.url } })],
          ['channelId a number', JSON.stringify({ ...valid, channelId: 1 })],
          ['recipient missing', JSON.stringify({ ...valid, recipient: undefined })],
          ['entities not an array', JSON.stringify({ ...valid, entities: 'mention' })],
        ];
        for (const [what, body] of malformed) expect(await postRaw(b, body), what).toMatchObject({ status: 400, text: '' });
        expect(await postRaw(b, JSON.stringify({ ...valid, text: 'x'.repeat(300 * 1024) }))).toMatchObject({ status: 413, text: '' });
        // A web page can post text/plain cross-origin without a preflight; Teams sends JSON.
        expect(await postRaw(b, JSON.stringify(valid), { 'content-type': 'text/plain' })).toMatchObject({ status: 415, text: '' });
        expect(b.connector.calls).toEqual([]);

        const entries = logEntries(b, from);
        expect(entries).toHaveLength(malformed.length + 2);
        for (const entry of entries) expect([entry['code'], entry['level']]).toEqual(['BAD_ACTIVITY', 40]);
        expect(b.logs.slice(from).join('\n')).not.toMatch(STACK);
        expect(printed(spies)).toEqual([]);

        if (mode === 'local') {
          const ok = await postRaw(b, JSON.stringify(valid));
          expect(ok).toMatchObject({ status: 200, text: '' });
          expect(b.connector.calls).toHaveLength(1);
        }
      } finally {
        await b.close();
      }
    });
  }
});

// A loaded machine (a CI host running other builds) can take several seconds to start Node and load the SDKs.
describe('starting the process', { timeout: 120_000 }, () => {
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
