/**
 * /readyz: ready when the tenants file matches the directory and the directory, mail server and
 * state store answer; asked at most once every few seconds, so it cannot be used to make the bot
 * connect or bind on demand. /healthz asks nothing at all.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';

let b: BotHarness;
beforeAll(async () => {
  b = await startBotHarness();
});
afterAll(async () => {
  await b.close();
});

/** A "directory" that accepts TCP connections and counts them, then hangs up (no TLS, no LDAP). */
async function countingListener(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => count };
}

describe('readiness', () => {
  it('is ready when the admin groups hold and the directory, mail server and store answer; no secret in it', async () => {
    const response = await fetch(`${b.bot.url}/readyz`);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ status: 'ready', setup: 'ok', directory: 'ok', mail: 'ok', store: 'ok' });
    for (const value of [b.h.env['LDAP_BIND_PASSWORD'], b.h.env['LDAP_URL'], b.h.env['SMTP_URL']]) expect(text).not.toContain(value);
  });

  it('asks an unreachable directory at most once for a burst of 50 calls, and neither /healthz nor /readyz binds on demand', async () => {
    const directory = await countingListener();
    const down = await startBotHarness({ LDAP_URL: `ldaps://127.0.0.1:${directory.port}`, LDAP_TIMEOUT_MS: '1000' });
    try {
      const atStart = directory.connections(); // the start-up check of the admin groups
      const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(`${down.bot.url}/readyz`).then(async (r) => ({ status: r.status, body: await r.json() }))));
      expect(answers.every((a) => a.status === 503)).toBe(true);
      expect(answers[0]?.body).toEqual({ status: 'not ready', setup: 'unchecked', directory: 'unreachable', mail: 'ok', store: 'ok' });
      expect(directory.connections() - atStart).toBeLessThanOrEqual(1);
      const afterReady = directory.connections();
      for (let i = 0; i < 20; i++) expect((await fetch(`${down.bot.url}/healthz`)).status).toBe(200);
      expect(directory.connections()).toBe(afterReady);
    } finally {
      await down.close();
      directory.server.close();
    }
  });
});
