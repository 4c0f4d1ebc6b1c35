/**
 * Link mode (Acme's `mailMode: "link"`): Mail password sends a single-use link to the Password
 * Change Portal and no password; the employee chooses their own there. The bot runs for real
 * against the test DC and a real SMTP server; the portal is used over HTTP as a browser without
 * script would (the browser itself is in test/browser/portal.test.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { employeeCard, linkOutcomeCard, mailFormCard } from '../../src/bot/cards.js';
import { linkMailDeps, mailLink } from '../../src/reset/mail-link.js';
import { resetPassword, type Admin } from '../../src/reset/reset-password.js';
import type { Tenant } from '../../src/config/config.js';
import { bindResult, restoreSeedPassword } from '../support/directory.js';
import { caught } from '../support/errors.js';
import { ACME, SEED_PASSWORD } from '../support/fixtures.js';
import { adminOf, everythingUnder } from '../support/harness.js';
import { getPage, portalTenantsFile, startPortalBot, submit, type PortalBot } from '../support/portal.js';

let p: PortalBot;
let acmeAdmin: Admin;
let acme: Tenant;
const tokens: string[] = [];

beforeAll(async () => {
  p = await startPortalBot({ SIGN_IN_FAILURE_MIN_MS: '0' }, portalTenantsFile((tenants) => {
    for (const tenant of tenants) if (tenant['key'] === 'acme') tenant['mailMode'] = 'link';
  }));
  acmeAdmin = await adminOf(p.h, ACME.admin);
  acme = p.bot.core.config.tenants.find((t) => t.key === 'acme') as Tenant;
});

afterEach(async () => {
  p.h.smtp.refuseWith(null);
  await restoreSeedPassword(ACME.jdoe.dn);
});

afterAll(async () => {
  if (p) {
    // The token is in the mail alone: nowhere in the data folder (store, audit) or a log line.
    expect(tokens.length).toBeGreaterThan(0);
    const written = everythingUnder(p.h.dataDir) + p.logs.join('\n') + p.h.logs.join('\n');
    for (const token of tokens) expect(written).not.toContain(token);
    await p.close();
  }
});

/** Mails jdoe a link, as the Mail password button does in link mode; returns the link from the mail. */
async function mailJdoeLink(): Promise<{ link: string; text: string; html: string }> {
  const count = p.h.smtp.messages.length;
  const result = await mailLink(acmeAdmin, acme, { reference: 'jdoe' }, ACME.jdoe.mail as string, 'en', linkMailDeps(p.bot.core));
  expect(result.status).toBe('link-mailed');
  const mail = await p.h.smtp.waitForMessage((m) => p.h.smtp.messages.indexOf(m) >= count);
  const link = new RegExp(`${p.url.replace(/\./g, '\\.')}/change\\?token=[A-Za-z0-9_-]{43}`).exec(mail.text ?? '')?.[0];
  if (!link) throw new Error('no link in the mail');
  tokens.push(new URL(link).searchParams.get('token') as string);
  return { link, text: mail.text ?? '', html: typeof mail.html === 'string' ? mail.html : '' };
}

describe('link mode', () => {
  it('mails a link and no password, changes nothing until it is used, and sets the chosen password once', async () => {
    const { link, text } = await mailJdoeLink();
    expect(text).toContain('Choose your new password with this link:');
    expect(text).not.toMatch(/[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{4}){3}/);
    // Sending the link changed nothing: the account keeps its password, without a forced change.
    expect(await bindResult(ACME.jdoe.upn, SEED_PASSWORD)).toBe('ok');

    const page = await getPage(link, { 'accept-language': 'en' });
    expect(page.status).toBe(200);
    expect(page.html).toContain('Hello John Doe. Choose a new password for your account. This link works once.');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');

    const done = await submit(link, { next: 'Mijn-Eigen-Keuze-2026', confirm: 'Mijn-Eigen-Keuze-2026' }, { 'accept-language': 'en' });
    expect(done.message).toBe('Your password has been set. You can now sign in with your new password.');
    // Chosen by the employee: it works at once, no change forced; the old one is gone.
    expect(await bindResult(ACME.jdoe.upn, 'Mijn-Eigen-Keuze-2026')).toBe('ok');
    expect(await bindResult(ACME.jdoe.dn, SEED_PASSWORD)).toBe('52e');

    const again = await getPage(link, { 'accept-language': 'en' });
    expect(again.status).toBe(410);
    expect(again.message).toBe('This link no longer works: it was used, it expired, or the password was reset since. Ask your helpdesk for a new one.');
    expect(again.html).not.toContain('name="next"');
    const reuse = await submit(`${p.url}/change`, { token: tokens.at(-1) as string, next: 'Nog-Een-Keuze-2027', confirm: 'Nog-Een-Keuze-2027', lang: 'en' });
    expect(reuse.status).toBe(410);
    expect(await bindResult(ACME.jdoe.upn, 'Mijn-Eigen-Keuze-2026')).toBe('ok');

    const audit = await p.h.state.audit.recent({ environment: 'acme', targetSam: 'acme_jdoe', limit: 10 });
    expect(audit.find((e) => e.action === 'link-mail' && e.outcome === 'success')?.mail?.recipient).toBe(ACME.jdoe.mail);
    expect(audit.filter((e) => e.action === 'link-change').map((e) => e.outcome)).toEqual(['success']);
  });

  it('refuses a link after another reset of the account, and one that has expired', async () => {
    const { link } = await mailJdoeLink();
    const reset = await resetPassword(acmeAdmin, acme, { reference: 'jdoe' }, p.bot.core);
    const refused = await submit(link, { next: 'Mijn-Eigen-Keuze-2026', confirm: 'Mijn-Eigen-Keuze-2026' }, { 'accept-language': 'nl' });
    expect(refused.message).toBe('Deze link werkt niet meer: hij is gebruikt, verlopen, of het wachtwoord is sindsdien opnieuw ingesteld. Vraag uw helpdesk om een nieuwe.');
    expect(await bindResult(ACME.jdoe.dn, reset.password)).toBe('773');

    await restoreSeedPassword(ACME.jdoe.dn);
    const second = await mailJdoeLink();
    // Time passes: the stored link's expiry lies behind us.
    const file = join(p.h.dataDir, 'link-tokens.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { links: { expiresAt: string }[] };
    for (const entry of stored.links) entry.expiresAt = new Date(Date.now() - 1000).toISOString();
    writeFileSync(file, JSON.stringify(stored));
    const expired = await getPage(second.link, { 'accept-language': 'en' });
    expect(expired.status).toBe(410);
    const late = await submit(`${p.url}/change`, { token: tokens.at(-1) as string, next: 'Mijn-Eigen-Keuze-2026', confirm: 'Mijn-Eigen-Keuze-2026', lang: 'en' });
    expect(late.status).toBe(410);
    expect(await bindResult(ACME.jdoe.upn, SEED_PASSWORD)).toBe('ok');
  });

  it('a newer link replaces the earlier one, and a password the directory refuses leaves the link usable', async () => {
    const first = await mailJdoeLink();
    const second = await mailJdoeLink();
    expect((await getPage(first.link)).status).toBe(410);
    // Not complex enough for the domain (not on the common list): the directory says no; nothing changed, the link still works.
    const weak = await submit(second.link, { next: 'onlysmallletterswordt', confirm: 'onlysmallletterswordt' }, { 'accept-language': 'en' });
    expect(weak.message).toBe('The new password is not complex enough: use at least three of capital letters, small letters, digits and symbols.');
    const done = await submit(second.link, { next: 'Sterk-Genoeg-Nu-818', confirm: 'Sterk-Genoeg-Nu-818' }, { 'accept-language': 'en' });
    expect(done.message).toBe('Your password has been set. You can now sign in with your new password.');
    expect(await bindResult(ACME.jdoe.upn, 'Sterk-Genoeg-Nu-818')).toBe('ok');
  });

  it('when the link mail fails, nothing changed and no link works', async () => {
    p.h.smtp.refuseWith(550, 'mailbox unavailable');
    const error = await caught(mailLink(acmeAdmin, acme, { reference: 'jdoe' }, ACME.jdoe.mail as string, 'en', linkMailDeps(p.bot.core)));
    expect(error.code).toBe('MAIL_SEND_FAILED');
    const stored = JSON.parse(readFileSync(join(p.h.dataDir, 'link-tokens.json'), 'utf8')) as { links: { accountGuid: string }[] };
    const jdoe = await p.bot.core.directory.findPersonByLogin(acme, 'jdoe');
    expect(stored.links.filter((l) => l.accountGuid === jdoe?.guid)).toEqual([]);
    expect(await bindResult(ACME.jdoe.upn, SEED_PASSWORD)).toBe('ok');
  });
});

describe('the admin\'s cards in link mode', () => {
  it('Mail password reads Send link, and its outcome says a link went out and nothing was changed', async () => {
    const person = await p.bot.core.directory.findPersonByLogin(acme, 'jdoe');
    if (!person) throw new Error('jdoe not found');
    const text = (card: { content: unknown }) => JSON.stringify(card.content);
    expect(text(employeeCard('en', { environmentName: 'Acme', person, nonce: 'n'.repeat(22), mailMode: 'link' }))).toContain('"Send link"');
    expect(text(employeeCard('nl', { environmentName: 'Acme', person, nonce: 'n'.repeat(22), mailMode: 'link' }))).toContain('"Link sturen"');
    expect(text(employeeCard('en', { environmentName: 'Acme', person, nonce: 'n'.repeat(22), mailMode: 'password' }))).toContain('"Mail password"');
    const form = text(mailFormCard('en', { environmentName: 'Acme', person, address: ACME.jdoe.mail as string, language: 'en', nonce: 'n'.repeat(22), mailMode: 'link' }));
    expect(form).toContain('Send a link to choose a password');
    expect(form).toContain('Nothing changes until the employee uses the link');
    expect(form).not.toContain('irreversible');
    const outcome = text(linkOutcomeCard('en', { person, maskedRecipient: 'j***@acme.test', at: new Date('2026-11-27T10:00:00Z'), expiresAt: new Date('2026-11-28T10:00:00Z') }));
    expect(outcome).toContain('Link mailed');
    expect(outcome).toContain('no password was set, shown or mailed');
    expect(outcome).not.toMatch(/temporary password/i);
  });
});
