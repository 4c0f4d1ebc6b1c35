/**
 * The playground as a person uses it: Debian's Chromium (headless, driven by playwright-core) opens
 * /playground on the bot running in local mode against the test DC, with the demo's mail catcher as
 * its SMTP server. Cards are rendered by Microsoft's Adaptive Cards renderer in the page; every
 * step goes through the bot's real /api/messages and the playground's stand-in Bot Connector.
 * Screenshots of each card go to test-results/screenshots/ (git-ignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type RunningBot } from '../../src/bot/bot.js';
import { loadConfig } from '../../src/config/config.js';
import { startMailCatcher, type MailCatcher } from '../../src/demo/mail-catcher.js';
import { createLogger } from '../../src/log/logger.js';
import { playgroundRoutes, type PlaygroundRoutes } from '../../src/playground/playground.js';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { everythingUnder, startHarness, type Harness } from '../support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const PASSWORD = /[A-HJ-NP-Za-km-z2-9]{4}(?:-[A-HJ-NP-Za-km-z2-9]{4}){3}/;

let h: Harness;
let catcher: MailCatcher;
let playground: PlaygroundRoutes;
let bot: RunningBot;
let browser: Browser;
let page: Page;
const botLogs: string[] = [];
const passwordsSeen: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Debian's Chromium at ${CHROMIUM}, and it is not installed. Install it (.ci/run does): apt-get install -y chromium`,
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  catcher = await startMailCatcher({ port: 0 });
  // The harness's settings (test DC, temp DATA_DIR, local mode), with the mail catcher as SMTP server.
  h = await startHarness({ SMTP_URL: catcher.url, SMTP_CA_FILE: undefined, SMTP_ALLOW_PLAINTEXT: 'true' });
  const config = loadConfig(h.env);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      botLogs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  playground = playgroundRoutes({ config, outbox: () => catcher.mails() });
  bot = await startBot(config, createLogger('debug', sink), { port: 0, extend: playground, state: h.state });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'Europe/Amsterdam' });
  page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  await browser?.close();
  playground?.close();
  await bot?.close();
  await catcher?.close();
  await restoreSeedPassword(HOSTING.jmus.dn);
  await restoreSeedPassword(HOSTING.avries.dn);
  // The passwords were in the dialog and the mail only: never in a log line or a stored file.
  if (h) {
    const files = everythingUnder(h.dataDir);
    for (const secret of [...passwordsSeen, SEED_PASSWORD]) {
      expect(botLogs.join('\n')).not.toContain(secret);
      expect(files).not.toContain(secret);
    }
    await h.close();
  }
});

const chat = () => page.locator('#chat');
/** The last card in the chat that shows this text. */
const card = (text: string | RegExp): Locator => chat().locator('.card').filter({ hasText: text }).last();
/** A screenshot; of a whole page, with the outbox's mail texts (temporary passwords) masked. */
const shoot = (target: Page | Locator, name: string) =>
  target.screenshot({ path: `${SCREENSHOTS}${name}.png`, ...('goto' in target ? { mask: [target.locator('.mail-text')] } : {}) });

async function say(text: string): Promise<Locator> {
  const before = await chat().locator('.message.from-bot').count();
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  const reply = chat().locator('.message.from-bot').nth(before);
  await reply.waitFor();
  return reply;
}

/** Everything the page keeps in the browser's storage (this origin). */
const storedBy = (target: Page) => target.evaluate<string>('JSON.stringify({ session: { ...sessionStorage }, local: { ...localStorage } })');

/** A browser of its own (its own storage, so its own Teams user), in a window of this size and language. */
async function ownWindow(width: number, height: number, locale: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height }, locale, timezoneId: 'Europe/Amsterdam' });
  const own = await context.newPage();
  own.setDefaultTimeout(10_000);
  return { context, page: own };
}

const DUTCH_DATE = /^\d{1,2} (jan|feb|mrt|apr|mei|jun|jul|aug|sep|okt|nov|dec)\.?,? \d\d:\d\d:\d\d$/;
const ENGLISH_DATE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2},? \d\d:\d\d:\d\d$/;

function passwordIn(text: string): string {
  const found = PASSWORD.exec(text)?.[0];
  if (!found) throw new Error(`no temporary password in: ${text}`);
  passwordsSeen.push(found);
  return found;
}

describe('the playground in Chromium', () => {
  it('signs in, mails a password in English from the employee card, and shows the mail in the outbox', async () => {
    await page.goto(`${bot.url}/playground`);
    await page.locator('#locale-en').click();
    await expect.poll(() => page.locator('#locale-en').getAttribute('aria-pressed')).toBe('true');

    // Teams greets a new user with help and the sign-in card.
    const signIn = card('Sign in with your own directory account');
    await signIn.waitFor();
    await shoot(signIn, '01-sign-in');
    await signIn.getByLabel(/^User name/).fill(HOSTING.admin.upn);
    await signIn.getByLabel(/^Password/).fill(SEED_PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    // Action.Execute: the answer replaces the sign-in card in place.
    const signedIn = card('You are now working in Hosting');
    await signedIn.waitFor();
    await expect.poll(() => chat().locator('input[type=password]').count()).toBe(0);
    await shoot(signedIn, '02-signed-in');

    const reply = await say('reset jmus');
    const employee = reply.locator('.card');
    for (const value of ['Joman Mus', 'Hosting', HOSTING.jmus.upn, HOSTING.jmus.sam, 'This process is irreversible']) {
      expect(await employee.innerText()).toContain(value);
    }
    await shoot(employee, '03-employee');

    await employee.getByRole('button', { name: 'Mail password' }).click();
    const form = card('Reset password and mail');
    await form.waitFor();
    await form.getByLabel(/^Address/).fill(HOSTING.jmus.mail!);
    await form.getByRole('radio', { name: 'EN' }).check();
    await shoot(form, '04-mail-form');
    await form.getByRole('button', { name: 'Reset and mail', exact: true }).click();

    const outcome = card('Password mailed');
    await outcome.waitFor();
    expect(await outcome.innerText()).toMatch(/mailed to jo…@mijnsynergy\.nl/);
    await shoot(outcome, '05-mail-outcome');

    // The outbox lists what the bot really sent through the mail catcher.
    const mail = page.locator('#outbox .mail').filter({ hasText: HOSTING.jmus.mail! }).first();
    await mail.waitFor();
    expect(await mail.locator('.mail-subject').innerText()).toMatch(/temporary password/i);
    const mailed = passwordIn(await mail.locator('.mail-text').innerText());
    expect(catcher.mails()[0]?.text).toContain(mailed);
    expect(await bindResult(HOSTING.jmus.upn, mailed)).toBe('773');
    await shoot(mail, '06-outbox-mail');
    await shoot(page, '07-chat-and-outbox');

    // The outbox page alone: the same mail, and no chat.
    const alone = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await alone.goto(`${bot.url}/playground/outbox`);
      await alone.locator('#outbox .mail').filter({ hasText: HOSTING.jmus.mail! }).first().waitFor();
      expect(await alone.locator('.chat-pane').isVisible()).toBe(false);
    } finally {
      await alone.close();
    }
  });

  it('resets into a dialog only, and updates the chat card without the password', async () => {
    const reply = await say('reset jmus');
    const employee = reply.locator('.card');
    await employee.getByRole('button', { name: 'Reset', exact: true }).click();

    // task/fetch: the dialog opens as a modal with the password.
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.locator('#dialog-title').innerText()).not.toBe('');
    const dialogText = await dialog.innerText();
    expect(dialogText).toContain('Joman Mus');
    const password = passwordIn(dialogText);
    expect(await bindResult(HOSTING.jmus.upn, password)).toBe('773');
    await shoot(dialog, '08-password-dialog');

    // Meanwhile the bot replaced the clicked card (PUT at the connector): "reset by you at HH:MM".
    await expect.poll(() => reply.innerText()).toMatch(/Password of Joman Mus reset by you at \d\d:\d\d/);
    expect(await reply.innerText()).not.toContain(password);

    // The dialog's Close button sends task/submit, and the dialog closes.
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await shoot(reply.locator('.card'), '09-reset-done');
    await shoot(page, '10-chat-after-reset');

    // The password was only in the dialog: not in the chat, and gone from the page.
    expect(await chat().innerText()).not.toContain(password);
    expect(await page.locator('body').innerText()).not.toContain(password);
  });

  it('keeps the chat over a reload, without the password the dialog showed', async () => {
    const before = await chat().locator('.message').allInnerTexts();
    expect(before.join('\n')).toMatch(/Password of Joman Mus reset by you at \d\d:\d\d/);
    expect(before.join('\n')).toContain('reset jmus');

    await page.reload();
    await expect.poll(() => page.locator('#status').innerText()).toBe('Local bot · connected');
    // The same messages, as they were last shown: the sign-in answered, the reset card updated.
    expect(await chat().locator('.message').allInnerTexts()).toEqual(before);
    await shoot(page, '11-chat-after-reload');

    // The chat was kept in this tab's storage, the dialog's password nowhere in it (nor the sign-in's).
    const stored = await storedBy(page);
    expect(stored).toContain('reset jmus');
    expect(passwordsSeen.length).toBeGreaterThanOrEqual(2);
    for (const secret of [...passwordsSeen, SEED_PASSWORD]) expect(stored).not.toContain(secret);

    // And the conversation goes on where it was.
    const reply = await say('status jmus');
    expect(await reply.innerText()).toContain('Joman Mus');
    await shoot(reply.locator('.card'), '12-status-card');
  });

  it('mails from two forms open at once, each in the language chosen in it', async () => {
    const list = (await say('list')).locator('.card');
    expect(await list.innerText()).toContain('Anna de Vries');
    // The whole list card in view (taller than the chat pane of a 900 px window), then back.
    await page.setViewportSize({ width: 1280, height: 2400 });
    await list.evaluate((node) => node.scrollIntoView({ block: 'start' }));
    await shoot(page, '13-list');
    await page.setViewportSize({ width: 1280, height: 900 });

    const first = (await say('mail jmus')).locator('.card');
    const second = (await say('mail avries')).locator('.card');
    await first.getByLabel(/^Address/).fill(HOSTING.jmus.mail!);
    await second.getByLabel(/^Address/).fill(HOSTING.avries.mail!);
    await first.getByRole('radio', { name: 'NL' }).check();
    await second.getByRole('radio', { name: 'EN' }).check();
    // The newer form's choice leaves the older one's alone.
    expect(await first.getByRole('radio', { name: 'NL' }).isChecked()).toBe(true);
    expect(await second.getByRole('radio', { name: 'EN' }).isChecked()).toBe(true);
    await shoot(page, '14-two-mail-forms');

    const mailsBefore = catcher.mails().length;
    await first.getByRole('button', { name: 'Reset and mail', exact: true }).click();
    await expect.poll(() => first.innerText()).toContain('Password mailed');
    await second.getByRole('button', { name: 'Reset and mail', exact: true }).click();
    await expect.poll(() => second.innerText()).toContain('Password mailed');

    await expect.poll(() => catcher.mails().length).toBe(mailsBefore + 2);
    const to = (address: string) => catcher.mails().find((mail) => mail.to.includes(address));
    const dutch = to(HOSTING.jmus.mail!);
    const english = to(HOSTING.avries.mail!);
    expect(dutch?.subject).toBe('Uw tijdelijke wachtwoord voor Hosting');
    expect(dutch?.text).toMatch(/Uw tijdelijke wachtwoord/);
    expect(english?.subject).toBe('Your temporary password for Hosting');
    expect(english?.text).toMatch(/Your temporary password/);
    expect(await bindResult(HOSTING.jmus.upn, passwordIn(dutch?.text ?? ''))).toBe('773');
    expect(await bindResult(HOSTING.avries.upn, passwordIn(english?.text ?? ''))).toBe('773');
  });

  it('in a phone-wide window in Dutch: Enter signs in, everything fits, the outbox speaks Dutch', async () => {
    const { context, page: phone } = await ownWindow(375, 740, 'nl-NL');
    try {
      await phone.goto(`${bot.url}/playground`);
      expect(await phone.locator('#locale-nl').getAttribute('aria-pressed')).toBe('true');

      // A new Teams user: greeted with the sign-in card. Enter in the password field signs in.
      const signIn = phone.locator('#chat .card').filter({ hasText: 'Meld u aan met uw eigen directory-account' }).last();
      await signIn.waitFor();
      await signIn.getByLabel(/^Gebruikersnaam/).fill(HOSTING.admin.upn);
      await signIn.getByLabel(/^Wachtwoord/).fill(SEED_PASSWORD);
      await signIn.getByLabel(/^Wachtwoord/).press('Enter');
      await phone.locator('#chat .card').filter({ hasText: 'U werkt nu in de omgeving Hosting' }).waitFor();
      // The password went to the sign-in only: not into the chat, the message field or the storage.
      expect(await phone.locator('#chat .message.from-user').count()).toBe(0);
      expect(await phone.getByLabel('Bericht').inputValue()).toBe('');
      expect(await phone.locator('body').innerText()).not.toContain(SEED_PASSWORD);
      expect(await storedBy(phone)).not.toContain(SEED_PASSWORD);

      const list = phone.locator('#chat .card').filter({ hasText: 'Medewerkers van Hosting' });
      await phone.getByLabel('Bericht').fill('lijst');
      await phone.getByRole('button', { name: 'Verstuur' }).click();
      await list.waitFor();

      // No sideways scrolling; the header's switch and the send button are on screen.
      const width = await phone.evaluate<{ scroll: number; body: number; inner: number }>(
        '({ scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: window.innerWidth })',
      );
      expect(width.scroll).toBeLessThanOrEqual(width.inner);
      expect(width.body).toBeLessThanOrEqual(width.inner);
      for (const control of [phone.locator('.switch'), phone.locator('#tenant'), phone.getByRole('button', { name: 'Verstuur' }), phone.getByLabel('Bericht')]) {
        expect(await control.isVisible()).toBe(true);
        const box = await control.boundingBox();
        expect(box).not.toBeNull();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.y).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(375);
        expect(box!.y + box!.height).toBeLessThanOrEqual(740);
      }
      await shoot(phone, '15-dutch-375');

      // The outbox (below the chat here) in Dutch: its labels, and its dates as Dutch write them.
      const mail = phone.locator('#outbox .mail').first();
      await mail.waitFor();
      expect(await phone.locator('.outbox-pane h2').innerText()).toContain('Postvak uit');
      expect(await mail.locator('.mail-to').innerText()).toMatch(/^Aan: /);
      expect(await mail.locator('.mail-subject').innerText()).toMatch(/^Onderwerp: /);
      expect(await mail.locator('.mail-from').innerText()).toMatch(/^Van: /);
      expect(await mail.locator('.mail-time').innerText()).toMatch(DUTCH_DATE);
      await mail.scrollIntoViewIfNeeded();
      await shoot(phone, '16-dutch-375-outbox');

      // EN turns the outbox to English, the mails already shown included.
      await phone.locator('#locale-en').click();
      expect(await phone.locator('.outbox-pane h2').innerText()).toContain('Outbox');
      expect(await mail.locator('.mail-to').innerText()).toMatch(/^To: /);
      expect(await mail.locator('.mail-subject').innerText()).toMatch(/^Subject: /);
      expect(await mail.locator('.mail-time').innerText()).toMatch(ENGLISH_DATE);
    } finally {
      await context.close();
    }
  });

  it('says that another Teams tenant starts another conversation', async () => {
    expect(await chat().locator('.message.from-user').count()).toBeGreaterThan(0);
    await page.locator('#tenant').selectOption({ label: 'Acme' });
    await expect.poll(() => chat().locator('.note').first().innerText()).toMatch(/^Teams tenant Acme: another conversation starts here/);
    expect(await chat().locator('.message.from-user').count()).toBe(0);
    // Acme's bot greets a user it has not met there, in the new conversation.
    await card('Sign in with your own directory account').waitFor();
    await shoot(page, '17-other-tenant');
  });

  it('serves loopback only, for the local mode only', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${bot.url}/playground/outbox.json`);
      request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: `evil.example:${url.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);

    const authenticated = loadConfig({
      ...h.env,
      DANGEROUSLY_ALLOW_UNAUTHENTICATED: undefined,
      BOT_ID: '33333333-3333-4333-8333-333333333333',
      BOT_PASSWORD: 'not-used',
      BOT_TENANT_ID: '44444444-4444-4444-8444-444444444444',
    });
    expect(() => playgroundRoutes({ config: authenticated, outbox: () => [] })).toThrow(/unauthenticated local mode only/);
  });
});
