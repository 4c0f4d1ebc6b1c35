/**
 * The Password Change Portal as an employee uses it: Debian's Chromium (headless, driven by
 * playwright-core) follows the link in the mail that Mail password sent, against the bot's real
 * HTTP server, the test DC and a real SMTP server. Screenshots go to test-results/screenshots/
 * (git-ignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/config/config.js';
import { linkMailDeps, mailLink } from '../../src/reset/mail-link.js';
import { mailPassword, type Admin } from '../../src/reset/reset-password.js';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { ACME, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { adminOf, everythingUnder, HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { portalTenantsFile, startPortalBot, type PortalBot } from '../support/portal.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const PASSWORD = /[A-HJ-NP-Za-km-z2-9]{4}(?:-[A-HJ-NP-Za-km-z2-9]{4}){3}/;

let p: PortalBot;
let browser: Browser;
const secrets: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  p = await startPortalBot({}, portalTenantsFile((tenants) => {
    for (const tenant of tenants) if (tenant['key'] === 'acme') tenant['mailMode'] = 'link';
  }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (p) {
    const written = everythingUnder(p.h.dataDir) + p.logs.join('\n') + p.h.logs.join('\n');
    for (const secret of secrets) expect(written).not.toContain(secret);
    await p.close();
  }
  await restoreSeedPassword(HOSTING.jmus.dn);
  await restoreSeedPassword(ACME.jdoe.dn);
});

async function phone(locale: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 420, height: 900 }, locale, timezoneId: 'Europe/Amsterdam' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page };
}

async function fillForm(page: Page, fields: { login?: string; current?: string; next: string; confirm: string }): Promise<void> {
  if (fields.login !== undefined) await page.getByLabel(/^(User name|Gebruikersnaam)$/).fill(fields.login);
  if (fields.current !== undefined) await page.getByLabel(/^(Temporary password|Tijdelijk wachtwoord)$/).fill(fields.current);
  await page.getByLabel(/^(New password|Nieuw wachtwoord)$/).fill(fields.next);
  await page.getByLabel(/^(New password again|Nieuw wachtwoord nogmaals)$/).fill(fields.confirm);
}

async function submitAndRead(page: Page): Promise<string> {
  await Promise.all([page.waitForNavigation(), page.getByRole('button').click()]);
  return (await page.locator('#status').textContent())?.trim() ?? '';
}

describe('the Password Change Portal in Chromium', () => {
  it('takes the employee from the mail to a password of their own, with every refusal in Dutch and English', async () => {
    const hosting = p.bot.core.config.tenants.find((t) => t.key === 'hosting') as Tenant;
    const admin: Admin = { ...(await adminOf(p.h, HOSTING.admin)), teamsId: 'aad-hosting-admin' };
    const result = await mailPassword(admin, hosting, { reference: 'jmus' }, HOSTING.jmus.mail as string, 'nl', p.bot.core);
    expect(result.status).toBe('mailed');
    // As the bot records a reset for its follow-up, when it came from Teams.
    if (!(await p.h.state.pendingResets.get(result.person.guid))) {
      await p.h.state.pendingResets.put({
        accountGuid: result.person.guid,
        tenantKey: 'hosting',
        accountName: result.person.displayName,
        admin: { teamsTenantId: HOSTING_TEAMS_TENANT, aadObjectId: 'aad-hosting-admin', dn: admin.identity.dn, sam: admin.identity.sam },
        resetAt: new Date().toISOString(),
      });
    }
    const mail = await p.h.smtp.waitForMessage((m) => m.text?.includes('/change?env=hosting') ?? false);
    const temporary = PASSWORD.exec(mail.text ?? '')?.[0] as string;
    secrets.push(temporary);
    const link = /http:\/\/127\.0\.0\.1:\d+\/change\?env=hosting/.exec(mail.text ?? '')?.[0] as string;

    const { context, page } = await phone('nl-NL');
    await page.goto(link);
    await expect.poll(() => page.locator('h1').textContent(), { timeout: 10_000 }).toBe('Wachtwoord wijzigen');
    await page.screenshot({ path: `${SCREENSHOTS}portal-nl-form.png`, fullPage: true });

    const refusals: Record<'nl' | 'en', { wrong: string; common: string; short: string }> = {
      nl: {
        wrong: 'De gebruikersnaam of het huidige wachtwoord is niet juist.',
        common: 'Dit wachtwoord komt te vaak voor: het staat in lijsten met wachtwoorden die aanvallers als eerste proberen. Kies een ander.',
        short: 'Het nieuwe wachtwoord moet minstens 7 tekens hebben.',
      },
      en: {
        wrong: 'The user name or the current password is not correct.',
        common: 'This password is too common: it appears in lists of passwords that attackers try first. Choose another.',
        short: 'The new password needs at least 7 characters.',
      },
    };
    for (const language of ['nl', 'en'] as const) {
      if (language === 'en') {
        await Promise.all([page.waitForURL(/lang=en/), page.getByRole('link', { name: 'English' }).click()]);
        expect(await page.locator('h1').textContent()).toBe('Change your password');
      }
      const says = refusals[language];
      await fillForm(page, { login: HOSTING.jmus.upn, current: 'Niet-Het-Tijdelijke-1', next: 'In-Chromium-Gekozen-2026', confirm: 'In-Chromium-Gekozen-2026' });
      expect(await submitAndRead(page)).toBe(says.wrong);
      // The outcome is announced: the status region is focused after the page loads.
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('status');
      await page.screenshot({ path: `${SCREENSHOTS}portal-${language}-wrong-password.png`, fullPage: true });

      await fillForm(page, { login: HOSTING.jmus.upn, current: temporary, next: 'Welcome2024!', confirm: 'Welcome2024!' });
      expect(await submitAndRead(page)).toBe(says.common);
      await page.screenshot({ path: `${SCREENSHOTS}portal-${language}-common-password.png`, fullPage: true });

      // Too short: the page says so before anything is sent.
      await fillForm(page, { login: HOSTING.jmus.upn, current: temporary, next: 'Ab1!x', confirm: 'Ab1!x' });
      await page.getByRole('button').click();
      await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe(says.short);
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('next');
      expect(await page.getByLabel(/^(New password|Nieuw wachtwoord)$/).getAttribute('aria-invalid')).toBe('true');
      await page.screenshot({ path: `${SCREENSHOTS}portal-${language}-too-short.png`, fullPage: true });
    }

    await fillForm(page, { login: 'jmus', current: temporary, next: 'In-Chromium-Gekozen-2026', confirm: 'In-Chromium-Gekozen-2026' });
    expect(await page.locator('#strength').getAttribute('value')).not.toBe('0');
    expect(await submitAndRead(page)).toBe('Your password has been changed. You can now sign in with your new password.');
    await page.screenshot({ path: `${SCREENSHOTS}portal-en-done.png`, fullPage: true });
    await context.close();
    secrets.push('In-Chromium-Gekozen-2026');

    expect(await bindResult(HOSTING.jmus.upn, 'In-Chromium-Gekozen-2026')).toBe('ok');
    expect(await bindResult(HOSTING.jmus.dn, temporary)).toBe('52e');
  });

  it('link mode: the link opens the page without its token in the address bar, and sets the password once', async () => {
    const acme = p.bot.core.config.tenants.find((t) => t.key === 'acme') as Tenant;
    const admin = await adminOf(p.h, ACME.admin);
    const count = p.h.smtp.messages.length;
    await mailLink(admin, acme, { reference: 'jdoe' }, ACME.jdoe.mail as string, 'nl', linkMailDeps(p.bot.core));
    const mail = await p.h.smtp.waitForMessage((m) => p.h.smtp.messages.indexOf(m) >= count);
    const link = /http:\/\/127\.0\.0\.1:\d+\/change\?token=[A-Za-z0-9_-]{43}/.exec(mail.text ?? '')?.[0] as string;
    secrets.push(new URL(link).searchParams.get('token') as string);

    const { context, page } = await phone('nl-NL');
    await page.goto(link);
    await expect.poll(() => page.locator('h1').textContent(), { timeout: 10_000 }).toBe('Kies uw wachtwoord');
    expect(page.url()).not.toContain('token=');
    await page.screenshot({ path: `${SCREENSHOTS}portal-nl-link.png`, fullPage: true });
    await fillForm(page, { next: 'Door-Mij-Gekozen-31', confirm: 'Door-Mij-Gekozen-31' });
    expect(await submitAndRead(page)).toBe('Uw wachtwoord is ingesteld. U kunt zich nu aanmelden met uw nieuwe wachtwoord.');
    await page.goto(link);
    expect(await page.locator('#status').textContent()).toContain('Deze link werkt niet meer');
    await page.screenshot({ path: `${SCREENSHOTS}portal-nl-link-used.png`, fullPage: true });
    await context.close();
    expect(await bindResult(ACME.jdoe.upn, 'Door-Mij-Gekozen-31')).toBe('ok');
    expect(await bindResult(ACME.jdoe.dn, SEED_PASSWORD)).toBe('52e');
  });
});
