/**
 * A directory that answers slowly, through a TCP proxy that holds every chunk for a while in front
 * of the test DC. Teams waits only a few seconds for a dialog (its budget, counted from when the
 * request arrived): the Reset dialog is answered within it, either with the password, or saying
 * plainly that nothing was changed, or that the outcome is being checked. A password the directory
 * sets after the bot gave up is recorded as applied in the audit: never a silent lost password.
 */
import { Client } from 'ldapts';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { DC_IP, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { expectNowhereWritten, startBotHarness, type BotHarness } from '../support/bot-harness.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { button, cardOf, dialogCardOf, textOf, type CardJson, type ConnectorCall, type TeamsUser } from '../support/teams.js';
import { passwordStateOf } from '../reset/pause-dc.js';

/** Teams gives an invoke about 5 s; the bot answers within its own, shorter budget. */
const TEAMS_BUDGET_MS = 5000;
const ANSWER_WITHIN_MS = 2000;
const PASSWORD = /[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}-[A-HJ-NP-Za-km-z2-9]{4}/;

let proxy: TcpProxy;
let b: BotHarness;
let admin: TeamsUser;
const secrets: string[] = [];

beforeAll(async () => {
  proxy = await startTcpProxy({ host: DC_IP, port: 636 });
  b = await startBotHarness({ LDAP_URL: `ldaps://localhost:${proxy.port}` }, { answerWithinMs: ANSWER_WITHIN_MS });
  admin = b.user({ teamsTenantId: HOSTING_TEAMS_TENANT });
  const [signInCall] = await admin.say('signin');
  const result = await admin.execute('signin', { verb: 'signin', login: HOSTING.admin.upn, password: SEED_PASSWORD }, signInCall!.id);
  expect(textOf(cardOf(result))).toMatch(/working in/);
});

afterEach(async () => {
  vi.restoreAllMocks();
  proxy.delayMs = 0;
  await restoreSeedPassword(HOSTING.jmus.dn);
});

afterAll(async () => {
  // The password set after the bot gave up was never shown: not in the chat, a log line or a file.
  expectNowhereWritten(b, secrets);
  await b?.close();
  await proxy?.close();
});

function only(calls: ConnectorCall[]): CardJson {
  const messages = calls.filter((c) => c.body['type'] === 'message');
  expect(messages).toHaveLength(1);
  return cardOf(messages[0]!);
}

/** The Reset button of `reset jmus`'s card, and that card's id. */
async function employeeCard(): Promise<{ reset: Record<string, unknown>; cardId: string }> {
  const card = only(await admin.say('reset jmus'));
  return { reset: button(card, /^Reset$/).data, cardId: b.connector.calls[b.connector.calls.length - 1]!.id };
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
}

async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const entriesOf = async (correlationId: string) =>
  (await b.h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 30 })).filter((e) => e.correlationId === correlationId).reverse();

describe('the Reset dialog with a slow directory', () => {
  it('shows the password when the directory is slow but in time', async () => {
    const { reset, cardId } = await employeeCard();
    proxy.delayMs = 20;
    const { result, ms } = await timed(() => admin.taskFetch(reset, cardId));
    expect(ms).toBeLessThan(TEAMS_BUDGET_MS);
    const password = PASSWORD.exec(textOf(dialogCardOf(result)))?.[0];
    expect(password).toBeDefined();
    proxy.delayMs = 0;
    expect(await bindResult(HOSTING.jmus.upn, password!)).toBe('773');
  });

  it('says in time that nothing was changed when the directory is too slow before the change, and changes nothing', async () => {
    const { reset, cardId } = await employeeCard();
    const before = await passwordStateOf(HOSTING.jmus.dn);
    const auditBefore = (await b.h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 1 }))[0]?.id;
    // Each round trip now takes over half a second: the checks before the change outlast the budget.
    proxy.delayMs = 300;
    const { result, ms } = await timed(() => admin.taskFetch(reset, cardId));
    expect(ms).toBeLessThan(TEAMS_BUDGET_MS);
    const said = textOf(dialogCardOf(result));
    expect(said).toContain('The directory answered too slowly: nothing was changed.');
    expect(said).not.toMatch(PASSWORD);

    // The reset stops before its intent: audited as refused for being too slow, and no change.
    const stopped = await until(async () => {
      const latest = (await b.h.core.audit.recent({ targetSam: 'sbf_jmus', limit: 1 }))[0];
      return latest && latest.id !== auditBefore && latest.errorCode === 'DIRECTORY_TOO_SLOW' ? latest : undefined;
    }, 'audit entry of the stopped reset');
    expect(stopped).toMatchObject({ action: 'reset', outcome: 'failed' });
    expect(await entriesOf(stopped.correlationId!)).toHaveLength(1);
    proxy.delayMs = 0;
    expect(await passwordStateOf(HOSTING.jmus.dn)).toEqual(before);
  });

  it('says in time that the outcome is being checked when the change is slow, and audits the password set later as applied', async () => {
    const { reset, cardId } = await employeeCard();
    const before = await passwordStateOf(HOSTING.jmus.dn);
    // The directory turns slow just as the password change leaves: it lands after the budget.
    let sent: string | undefined;
    const modify = Client.prototype.modify;
    vi.spyOn(Client.prototype, 'modify').mockImplementation(function (this: Client, ...args: Parameters<Client['modify']>) {
      const [, changes] = args;
      const value = (Array.isArray(changes) ? changes : [changes]).find((c) => c.modification.type === 'unicodePwd')?.modification.values[0];
      if (Buffer.isBuffer(value)) sent = value.toString('utf16le').slice(1, -1);
      proxy.delayMs = 2 * ANSWER_WITHIN_MS;
      return modify.apply(this, args);
    });
    const callsBefore = b.connector.calls.length;
    const { result, ms } = await timed(() => admin.taskFetch(reset, cardId));
    expect(ms).toBeLessThan(TEAMS_BUDGET_MS);
    const said = textOf(dialogCardOf(result));
    expect(said).toContain('The directory did not answer in time: the password of Joman Mus may or may not have been changed. Check again.');
    expect(said).not.toMatch(PASSWORD);
    expect(sent).toMatch(PASSWORD);
    secrets.push(sent!);

    // The chat card gets Check again.
    const update = await b.connector.waitFor((c) => c.method === 'PUT' && c.activityId === cardId);
    expect(b.connector.calls.indexOf(update)).toBeGreaterThanOrEqual(callsBefore);
    const check = button(cardOf(update), /^Check again$/);
    const correlationId = String(check.data['correlationId']);

    // The directory answers later: the password was set, nobody saw it, and the audit says so.
    const settled = await until(async () => {
      const entries = await entriesOf(correlationId);
      return entries.length >= 2 ? entries : undefined;
    }, 'outcome entry');
    expect(settled.map((e) => [e.action, e.outcome])).toEqual([
      ['reset', 'intent'],
      ['reset', 'applied'],
    ]);
    expect(settled[1]?.detail).toMatch(/never shown/);
    proxy.delayMs = 0;
    expect((await passwordStateOf(HOSTING.jmus.dn)).keyVersion).toBe(before.keyVersion + 1);
    expect(await bindResult(HOSTING.jmus.upn, sent!)).toBe('773');

    // Check again tells the admin it was changed, with Reset again for a password they can pass on.
    const answer = textOf(cardOf(await admin.execute('reset.check', check.data, cardId)));
    expect(answer).toContain('WAS changed');
    expect(answer).toContain('Nobody has seen that password');
  });
});
