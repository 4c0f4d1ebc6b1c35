/**
 * The Password Change Portal over HTTP, as a browser without script would use it: the bot running
 * for real (its restify server, PUBLIC_URL on loopback) against the test DC and a real SMTP server.
 * The browser itself is in test/browser/portal.test.ts.
 */
import { Attribute, Change } from 'ldapts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/config/config.js';
import { PORTAL_CSP } from '../../src/portal/routes.js';
import type { Admin } from '../../src/reset/reset-password.js';
import { mailPassword, resetPassword } from '../../src/reset/reset-password.js';
import { badPwdCount, withLockoutThreshold } from '../support/accounts.js';
import { asDomainAdmin, bindResult, restoreSeedPassword } from '../support/directory.js';
import { ACME, DOMAIN_ADMIN, HOSTING, SEED_PASSWORD } from '../support/fixtures.js';
import { ACME_TEAMS_TENANT, adminOf, everythingUnder, HOSTING_TEAMS_TENANT } from '../support/harness.js';
import { getPage, postForm, startPortalBot, submit, type PortalBot } from '../support/portal.js';

let p: PortalBot;
let hostingAdmin: Admin;
let acmeAdmin: Admin;
const secrets: string[] = [];

beforeAll(async () => {
  p = await startPortalBot({ SIGN_IN_FAILURE_MIN_MS: '0' });
  hostingAdmin = { ...(await adminOf(p.h, HOSTING.admin)), teamsId: 'aad-hosting-admin', teamsTenantId: HOSTING_TEAMS_TENANT } as Admin;
  acmeAdmin = { ...(await adminOf(p.h, ACME.admin)), teamsId: 'aad-acme-admin', teamsTenantId: ACME_TEAMS_TENANT } as Admin;
});

afterEach(async () => {
  for (const person of [HOSTING.jmus, HOSTING.avries, HOSTING.board, HOSTING.info, HOSTING.nomail, ACME.jdoe]) await restoreSeedPassword(person.dn);
});

afterAll(async () => {
  if (p) {
    const written = everythingUnder(p.h.dataDir) + p.logs.join('\n') + p.h.logs.join('\n');
    for (const secret of secrets) expect(written).not.toContain(secret);
    await p.close();
  }
});

function passwordIn(text: string): string {
  const match = /[A-HJ-NP-Za-km-z2-9]{4}(-[A-HJ-NP-Za-km-z2-9]{1,4}){2,}/.exec(text);
  if (!match) throw new Error('no temporary password in the mail');
  secrets.push(match[0]);
  return match[0];
}

/** A reset by the bot, as it records it for the follow-up (state.pendingResets). */
async function pending(admin: Admin, tenantKey: string, guid: string, name: string): Promise<void> {
  if (await p.h.state.pendingResets.get(guid)) return;
  await p.h.state.pendingResets.put({
    accountGuid: guid,
    tenantKey,
    accountName: name,
    admin: { teamsTenantId: tenantKey === 'acme' ? ACME_TEAMS_TENANT : HOSTING_TEAMS_TENANT, aadObjectId: admin.teamsId as string, dn: admin.identity.dn, sam: admin.identity.sam },
    resetAt: new Date().toISOString(),
  });
}

async function keyVersion(dn: string): Promise<string> {
  return asDomainAdmin(async (c) => String((await c.search(dn, { scope: 'base', attributes: ['msDS-KeyVersionNumber'] })).searchEntries[0]?.['msDS-KeyVersionNumber']));
}

describe('the page', () => {
  it('carries a strict CSP, no-store and no-referrer, and no HSTS on http', async () => {
    const page = await getPage(`${p.url}/change?env=hosting`, { 'accept-language': 'nl-NL,nl;q=0.9,en;q=0.8' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(PORTAL_CSP);
    expect(PORTAL_CSP).toContain("script-src 'self'");
    expect(PORTAL_CSP).not.toContain('unsafe-inline');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('strict-transport-security')).toBeNull();
    expect(page.headers.get('set-cookie')).toMatch(/^pwportal_csrf=[A-Za-z0-9_-]{43}; Path=\/change; HttpOnly; SameSite=Strict$/);
    // No inline script or style anywhere in the page.
    expect(page.html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.html).not.toMatch(/\sstyle=|<style/);
    expect(page.html).toContain('<html lang="nl">');
    expect(page.html).toContain('Omgeving: Hosting');
    expect(page.html).toContain('Minstens 7 tekens.');
    expect(page.html).toContain('Niet een van uw laatste 24 wachtwoorden.');
    const english = await getPage(`${p.url}/change?env=hosting&lang=en`, { 'accept-language': 'nl' });
    expect(english.html).toContain('<html lang="en">');
    expect(english.html).toContain('At least 7 characters.');
    const script = await fetch(`${p.url}/change/assets/portal.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(script.headers.get('content-security-policy')).toBe(PORTAL_CSP);
  });

  it('sends HSTS when PUBLIC_URL is https', async () => {
    const https = await startPortalBot({ PUBLIC_URL: 'https://wachtwoord.provider.example' });
    try {
      const page = await getPage(`${https.url}/change`);
      expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(page.headers.get('set-cookie')).toContain('; Secure');
    } finally {
      await https.close();
    }
  });

  it('refuses a form without its page\'s CSRF token, or from another site, and tries nothing', async () => {
    await resetPassword(hostingAdmin, p.h.hosting, { guid: (await p.h.core.directory.findPersonByLogin(p.h.hosting, 'jmus'))!.guid }, p.h.core).then((r) => {
      secrets.push(r.password);
      return pending(hostingAdmin, 'hosting', r.person.guid, r.person.displayName).then(() => r);
    }).then(async (reset) => {
      const before = await keyVersion(HOSTING.jmus.dn);
      const fields = { login: HOSTING.jmus.upn, current: reset.password, next: 'Eigen-Keuze-Wachtwoord-71', confirm: 'Eigen-Keuze-Wachtwoord-71', lang: 'en' };
      const page = await getPage(`${p.url}/change?env=hosting`);
      // No cookie; a cookie that does not match; a matching pair posted by another site.
      const answers = [
        await postForm(`${p.url}/change`, { ...fields, csrf: page.csrf }),
        await postForm(`${p.url}/change`, { ...fields, csrf: page.csrf }, { cookie: 'pwportal_csrf=' + 'A'.repeat(43) }),
        await postForm(`${p.url}/change`, { ...fields, csrf: page.csrf }, { cookie: page.cookie, origin: 'https://evil.example' }),
        await postForm(`${p.url}/change`, { ...fields, csrf: page.csrf }, { cookie: page.cookie, 'sec-fetch-site': 'cross-site' }),
        await postForm(`${p.url}/change`, { ...fields, csrf: page.csrf }, { cookie: page.cookie, 'sec-fetch-site': 'same-site', origin: 'null' }),
      ];
      for (const refused of answers) {
        expect(refused.status).toBe(403);
        expect(refused.message).toBe('This form has expired or did not come from this page. Reload the page and try again.');
      }
      expect(await keyVersion(HOSTING.jmus.dn)).toBe(before);
      expect(await bindResult(HOSTING.jmus.upn, reset.password)).toBe('773');
      // The same form with its token goes through.
      const done = await postForm(`${p.url}/change`, { ...fields, csrf: page.csrf }, { cookie: page.cookie, origin: p.url });
      expect(done.message).toBe('Your password has been changed. You can now sign in with your new password.');
      expect(await bindResult(HOSTING.jmus.upn, 'Eigen-Keuze-Wachtwoord-71')).toBe('ok');
    });
  });
});

describe('password mode', () => {
  it('the mail from Mail password points at the portal, where the temporary password becomes the employee\'s own', async () => {
    const started = Date.now();
    const hosting = p.bot.core.config.tenants.find((t) => t.key === 'hosting')!;
    const result = await mailPassword(hostingAdmin, hosting, { reference: 'jmus' }, HOSTING.jmus.mail as string, 'nl', p.bot.core);
    expect(result.status).toBe('mailed');
    const mail = await p.h.smtp.waitForMessage((m) => m.text?.includes('/change?env=hosting') ?? false);
    const temporary = passwordIn(mail.text ?? '');
    const link = /http:\/\/127\.0\.0\.1:\d+\/change\?env=hosting/.exec(mail.text ?? '')?.[0];
    expect(link).toBe(`${p.url}/change?env=hosting`);
    await pending(hostingAdmin, 'hosting', result.person.guid, result.person.displayName);

    const wrong = await submit(link as string, { login: 'CORP\\sbf_jmus', current: 'Not-The-Temporary-1', next: 'Zelf-Gekozen-Zin-2026', confirm: 'Zelf-Gekozen-Zin-2026' }, { 'accept-language': 'nl' });
    expect(wrong.message).toBe('De gebruikersnaam of het huidige wachtwoord is niet juist.');
    const done = await submit(link as string, { login: 'jmus', current: temporary, next: 'Zelf-Gekozen-Zin-2026', confirm: 'Zelf-Gekozen-Zin-2026' }, { 'accept-language': 'nl' });
    expect(done.message).toBe('Uw wachtwoord is gewijzigd. U kunt zich nu aanmelden met uw nieuwe wachtwoord.');
    expect(await bindResult(HOSTING.jmus.upn, 'Zelf-Gekozen-Zin-2026')).toBe('ok');
    expect(await bindResult(HOSTING.jmus.dn, temporary)).toBe('52e');
    // Once changed, the temporary password is no way in: the portal no longer serves the account.
    const again = await submit(link as string, { login: 'jmus', current: 'Zelf-Gekozen-Zin-2026', next: 'Nog-Een-Andere-Zin-77', confirm: 'Nog-Een-Andere-Zin-77' }, { 'accept-language': 'nl' });
    expect(again.message).toBe('De gebruikersnaam of het huidige wachtwoord is niet juist.');

    const audit = await p.h.state.audit.recent({ environment: 'hosting', targetSam: 'sbf_jmus', limit: 50 });
    // Newest first: the refusal after the change, the change, the wrong current password.
    const changes = audit.filter((e) => e.action === 'portal-change' && Date.parse(e.time) >= started);
    expect(changes.map((e) => e.outcome)).toEqual(['refused', 'success', 'refused']);
    expect(changes[1]?.client?.address).toBe('127.0.0.1');
    secrets.push('Zelf-Gekozen-Zin-2026', 'Not-The-Temporary-1');
  });

  it('refuses a too-short, a common, a name-bearing and a mismatched new password before the directory is asked', async () => {
    const reset = await resetPassword(hostingAdmin, p.h.hosting, { reference: 'avries' }, p.h.core);
    secrets.push(reset.password);
    await pending(hostingAdmin, 'hosting', reset.person.guid, reset.person.displayName);
    const before = await keyVersion(HOSTING.avries.dn);
    const url = `${p.url}/change?env=hosting`;
    const cases: [Record<string, string>, string][] = [
      [{ next: 'Ab1!x', confirm: 'Ab1!x' }, 'The new password is too short for the password policy.'],
      [{ next: 'Welcome2024!', confirm: 'Welcome2024!' }, 'This password is too common: it appears in lists of passwords that attackers try first. Choose another.'],
      [{ next: 'Anna-Vries-Zomer-88', confirm: 'Anna-Vries-Zomer-88' }, 'The new password must not contain your name or user name.'],
      [{ next: 'Goed-Wachtwoord-901', confirm: 'Goed-Wachtwoord-902' }, 'The two new passwords are not the same.'],
    ];
    for (const [fields, message] of cases) {
      const answer = await submit(url, { login: HOSTING.avries.upn, current: reset.password, lang: 'en', ...fields });
      expect(answer.message).toBe(message);
      expect(answer.html).toContain(`value="${HOSTING.avries.upn}"`);
      expect(answer.html).not.toContain(reset.password);
    }
    expect(await keyVersion(HOSTING.avries.dn)).toBe(before);
  });
});

describe('no oracle', () => {
  it('a protected account, Administrator, another environment\'s employee and an employee without a pending reset get the wrong-password answer for a right and a wrong password, and nothing reaches the directory', async () => {
    // Acme's jdoe has a reset by this bot pending and must change: served at Acme's page, not at Hosting's.
    const acmeReset = await resetPassword(acmeAdmin, p.h.acme, { reference: 'jdoe' }, p.h.core);
    secrets.push(acmeReset.password);
    await pending(acmeAdmin, 'acme', acmeReset.person.guid, acmeReset.person.displayName);
    // Hosting's board member is protected in Hosting: even with must-change set and a pending reset recorded, not served.
    await asDomainAdmin((c) => c.modify(HOSTING.board.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) })));
    // Info must change its password too, but after a reset made elsewhere (not by this bot): nothing pending here.
    await asDomainAdmin((c) => c.modify(HOSTING.info.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) })));
    // Kees must change too, and what is pending for him is a link (link mode), not a temporary password.
    await asDomainAdmin((c) => c.modify(HOSTING.nomail.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) })));
    const kees = await p.bot.core.directory.findPersonByLogin(p.bot.core.config.tenants[0] as Tenant, HOSTING.nomail.sam);
    await p.h.state.pendingResets.put({
      accountGuid: kees?.guid as string,
      tenantKey: 'hosting',
      accountName: 'Kees Zondermail',
      admin: { teamsTenantId: HOSTING_TEAMS_TENANT, aadObjectId: 'aad-hosting-admin', dn: hostingAdmin.identity.dn, sam: hostingAdmin.identity.sam },
      resetAt: new Date().toISOString(),
      link: { keyVersion: 1, expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    const board = await p.bot.core.directory.findPersonByLogin(p.bot.core.config.tenants[0] as Tenant, HOSTING.board.sam);
    await pending(hostingAdmin, 'hosting', board?.guid as string, 'Directie Lid');
    const accounts = [
      { who: 'protected board member', dn: HOSTING.board.dn, login: HOSTING.board.upn, right: SEED_PASSWORD },
      { who: 'Administrator', dn: DOMAIN_ADMIN.dn, login: 'CORP\\Administrator', right: DOMAIN_ADMIN.password },
      { who: 'Acme employee', dn: ACME.jdoe.dn, login: ACME.jdoe.upn, right: acmeReset.password },
      { who: 'no pending reset', dn: HOSTING.info.dn, login: HOSTING.info.upn, right: SEED_PASSWORD },
      { who: 'a link pending', dn: HOSTING.nomail.dn, login: HOSTING.nomail.upn, right: SEED_PASSWORD },
    ];
    await withLockoutThreshold(5, async () => {
      const before = await Promise.all(accounts.map(async (a) => ({ bad: await badPwdCount(a.dn), version: await keyVersion(a.dn) })));
      const answers: { status: number; message: string }[] = [];
      for (const account of accounts) {
        for (const current of [account.right, 'Surely-Wrong-Pass-5']) {
          const answer = await submit(`${p.url}/change?env=hosting`, { login: account.login, current, next: 'Nieuw-Sterk-Wachtwoord-64', confirm: 'Nieuw-Sterk-Wachtwoord-64', lang: 'en' });
          answers.push({ status: answer.status, message: answer.message });
        }
      }
      expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify({ status: 400, message: 'The user name or the current password is not correct.' })]));
      const after = await Promise.all(accounts.map(async (a) => ({ bad: await badPwdCount(a.dn), version: await keyVersion(a.dn) })));
      // A wrong current password sent to the directory raises badPwdCount; a change raises the key version.
      expect(after).toEqual(before);
    });
    expect(await bindResult(DOMAIN_ADMIN.dn, DOMAIN_ADMIN.password)).toBe('ok');
    expect(await bindResult(ACME.jdoe.dn, acmeReset.password)).toBe('773');
    // The same wrong password for the one account the page serves does reach the directory (the check above can see it).
    await withLockoutThreshold(5, async () => {
      const bad = await badPwdCount(ACME.jdoe.dn);
      const answer = await submit(`${p.url}/change?env=acme`, { login: ACME.jdoe.upn, current: 'Surely-Wrong-Pass-5', next: 'Nieuw-Sterk-Wachtwoord-64', confirm: 'Nieuw-Sterk-Wachtwoord-64', lang: 'en' });
      expect(answer.message).toBe('The user name or the current password is not correct.');
      expect(await badPwdCount(ACME.jdoe.dn)).toBe(bad + 1);
    });
  });

  it('limits attempts per user name', async () => {
    const url = `${p.url}/change?env=hosting`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await submit(url, { login: 'sbf_bjansen', current: `Wrong-${i}-Password`, next: 'Nieuw-Sterk-Wachtwoord-64', confirm: 'Nieuw-Sterk-Wachtwoord-64', lang: 'en' });
      statuses.push(answer.status);
      if (i === 5) expect(answer.message).toBe('Too many attempts. Wait 15 minutes and try again.');
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
  });
});
