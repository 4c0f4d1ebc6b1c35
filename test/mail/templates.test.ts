import { describe, expect, it } from 'vitest';
import type { Language } from '../../src/i18n/translations.js';
import { escapeHtml, renderPasswordMail, renderResetNoticeMail } from '../../src/mail/templates.js';

const base = {
  displayName: 'Joman Mus',
  accountName: 'joman.mus@mijnsynergy.nl',
  password: 'Tq7#<x>&"Zp=9',
  environmentName: 'Hosting',
  changePortalUrl: 'https://wachtwoord.mijnsynergy.nl/change?env=hosting&x=1',
};

describe.each<[Language, RegExp, RegExp]>([
  ['nl', /werkt maar één keer/, /het Wachtwoord-wijzigingsportal/],
  ['en', /works only once/, /Password Change Portal/],
])('renderPasswordMail (%s)', (language, onlyOnce, portal) => {
  const mail = renderPasswordMail({ ...base, language });

  it('puts the password, the portal address, the name and the account in the text', () => {
    expect(mail.text).toContain(base.password);
    expect(mail.text).toContain(base.changePortalUrl);
    expect(mail.text).toContain(base.displayName);
    expect(mail.text).toContain(base.accountName);
    expect(mail.text).toMatch(onlyOnce);
    expect(mail.text).toMatch(portal);
  });

  it('puts them, escaped, in the html, the password in a monospace block', () => {
    expect(mail.html).toContain(`monospace;`);
    expect(mail.html).toMatch(/<pre style="[^"]*monospace[^"]*">Tq7#&lt;x&gt;&amp;&quot;Zp=9<\/pre>/);
    expect(mail.html).not.toContain(base.password);
    expect(mail.html).toContain('href="https://wachtwoord.mijnsynergy.nl/change?env=hosting&amp;x=1"');
    expect(mail.html).toContain('Joman Mus');
    expect(mail.html).toMatch(onlyOnce);
    expect(mail.html).toContain(`lang="${language}"`);
  });

  it('keeps the password out of the subject', () => {
    expect(mail.subject).toContain('Hosting');
    expect(mail.subject).not.toContain(base.password);
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('escapes a <script> in the display name', () => {
    const evil = renderPasswordMail({ ...base, language, displayName: '<script>alert(1)</script>' });
    expect(evil.html).not.toContain('<script>');
    expect(evil.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('does not make a link of a non-web address', () => {
    const odd = renderPasswordMail({ ...base, language, changePortalUrl: 'javascript:alert(1)' });
    expect(odd.html).not.toContain('href="javascript:');
    expect(odd.html).toContain('javascript:alert(1)');
  });

  it('keeps a line break in the environment name out of the subject', () => {
    const odd = renderPasswordMail({ ...base, language, environmentName: 'Hosting\r\nBcc: x@y.nl' });
    expect(odd.subject).not.toMatch(/[\r\n]/);
  });
});

describe('renderPasswordMail wording', () => {
  it('uses the u-form in Dutch', () => {
    const nl = renderPasswordMail({ ...base, language: 'nl' });
    expect(nl.text).toMatch(/\bUw\b/);
    expect(nl.text).not.toMatch(/\b(je|jij|jouw)\b/i);
    expect(nl.subject).toBe('Uw tijdelijke wachtwoord voor Hosting');
  });
  it('is English in English', () => {
    expect(renderPasswordMail({ ...base, language: 'en' }).subject).toBe('Your temporary password for Hosting');
  });
});

describe.each<[Language, RegExp]>([
  ['nl', /opnieuw ingesteld door uw helpdesk[\s\S]*verstuurd naar jo…@mijnsynergy\.nl[\s\S]*contact op met uw helpdesk/],
  ['en', /reset by your helpdesk[\s\S]*sent to jo…@mijnsynergy\.nl[\s\S]*contact your helpdesk/],
])('renderResetNoticeMail (%s)', (language, wording) => {
  const notice = renderResetNoticeMail({
    language,
    displayName: 'Joman <b>Mus</b>',
    environmentName: 'Hosting',
    maskedRecipient: 'jo…@mijnsynergy.nl',
  });

  it('says where the password went, and to call the helpdesk', () => {
    expect(notice.text).toMatch(wording);
    expect(notice.html).toContain('jo…@mijnsynergy.nl');
    expect(notice.subject).toContain('Hosting');
  });

  it('escapes the display name', () => {
    expect(notice.html).toContain('Joman &lt;b&gt;Mus&lt;/b&gt;');
    expect(notice.html).not.toContain('<b>Mus');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  });
});
