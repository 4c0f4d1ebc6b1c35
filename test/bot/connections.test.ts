/**
 * One bound service connection per action, kept between actions: counted with a TCP proxy in
 * front of the test DC (each accepted connection is a TLS handshake and a bind). The pool
 * survives a cut socket, and a connection that hung is never lent again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restoreSeedPassword } from '../support/directory.js';
import { DC_IP, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { button, cardOf, dialogCardOf, textOf, type CardJson, type ConnectorCall, type TeamsUser } from '../support/teams.js';

const LDAP_TIMEOUT_MS = 1000;

let proxy: TcpProxy;
let b: BotHarness;
let admin: TeamsUser;

beforeAll(async () => {
  proxy = await startTcpProxy({ host: DC_IP, port: 636 });
  // The DC's certificate names localhost too: TLS is verified end to end through the proxy.
  b = await startBotHarness({ LDAP_URL: `ldaps://localhost:${proxy.port}`, LDAP_TIMEOUT_MS: String(LDAP_TIMEOUT_MS) });
  admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
  const [signInCall] = await admin.say('signin');
  const result = await admin.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD }, signInCall!.id);
  expect(textOf(cardOf(result))).toMatch(/working in/);
  // The first list of an environment also reads it whole (src/employees), beside the re-check.
  await admin.say('list');
});

afterEach(async () => {
  proxy.delayMs = 0;
  await restoreSeedPassword(HOSTING.jmus.dn);
});

afterAll(async () => {
  await b?.close();
  await proxy?.close();
});

function only(calls: ConnectorCall[]): CardJson {
  expect(calls).toHaveLength(1);
  return cardOf(calls[0]!);
}

/** The connections the directory accepted while `work` ran. */
async function connectionsOf(work: () => Promise<unknown>): Promise<number> {
  proxy.resetCount();
  await work();
  return proxy.accepted;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('directory connections', () => {
  it('opens no connection for a list, reset <user>, a Reset dialog or a Mail password once one is open', async () => {
    // Signing in again: the admin's password is tried on a connection of its own, and only there.
    const [signInCall] = await admin.say('signin');
    expect(await connectionsOf(() => admin.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD }, signInCall!.id))).toBe(1);

    expect(await connectionsOf(() => admin.say('list'))).toBe(0);
    let employee: CardJson | undefined;
    expect(await connectionsOf(async () => (employee = only(await admin.say('reset jmus'))))).toBe(0);
    const cardId = b.connector.calls[b.connector.calls.length - 1]!.id;
    let dialog: CardJson | undefined;
    expect(await connectionsOf(async () => (dialog = dialogCardOf(await admin.taskFetch(button(employee, /^Reset$/).data, cardId))))).toBe(0);
    expect(textOf(dialog)).toMatch(/[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){3}/);
    // The chat card is updated after the dialog was answered.
    await b.connector.waitFor((c) => c.method === 'PUT' && c.activityId === cardId);

    const form = only(await admin.say('mail jmus'));
    let outcome: CardJson | undefined;
    const mailed = await connectionsOf(async () => {
      outcome = cardOf(await admin.execute('mail.send', { ...button(form, /^Reset and mail$/).data, address: HOSTING.jmus.mail, language: 'en' }));
    });
    expect(textOf(outcome)).toMatch(/mailed to/);
    expect(mailed).toBe(0);
  });

  it('drops connections whose socket was cut, and the next action works on a new one', async () => {
    await admin.say('list');
    expect(proxy.open).toBeGreaterThan(0);
    proxy.cutAll();
    await settle();
    let list: CardJson | undefined;
    expect(await connectionsOf(async () => (list = only(await admin.say('list'))))).toBe(1);
    expect(textOf(list)).toContain('Joman Mus');
  });

  it('sends nothing more on a connection that lost its socket during an action: it does not run again unbound', async () => {
    const { directory } = b.bot.core;
    const [jmus] = await directory.resolvePeople(b.h.hosting, 'sbf_jmus');
    const second = await directory.withConnection(async (connection) => {
      expect(await connection.findPersonByGuid(b.h.hosting, jmus!.guid)).toMatchObject({ sam: 'sbf_jmus' });
      proxy.cutAll();
      await settle();
      // ldapts would open a new connection by itself, unbound: the read must fail instead.
      return connection.findPersonByGuid(b.h.hosting, jmus!.guid).then(
        (found) => ({ found }),
        (error: unknown) => ({ error }),
      );
    });
    expect(second).toMatchObject({ error: { code: 'DIRECTORY_UNREACHABLE' } });
  });

  it('never lends a connection that hung again: after a timeout the next action runs on a new connection', async () => {
    await admin.say('list');
    proxy.delayMs = 3 * LDAP_TIMEOUT_MS;
    // A slow answer comes after a typing indicator.
    const slow = (await admin.say('list')).filter((c) => c.body['type'] === 'message');
    expect(textOf(only(slow))).toMatch(/cannot be reached/i);
    proxy.delayMs = 0;
    let list: CardJson | undefined;
    expect(await connectionsOf(async () => (list = only(await admin.say('list'))))).toBe(1);
    expect(textOf(list)).toContain('Joman Mus');
  });
});
