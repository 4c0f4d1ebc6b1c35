/**
 * The portal's HTML, server-rendered: one form (password mode: user name, temporary password, new
 * password twice; link mode: new password twice), the policy, a strength meter and the one
 * message. No inline script or style: the page's behaviour is /change/portal.js, allowed by the CSP.
 * Every value is escaped; a password is never written into a page.
 */
import type { PasswordPolicy } from '../directory/directory.js';
import { fill, type Language } from '../i18n/translations.js';
import { escapeHtml } from '../mail/templates.js';
import { PORTAL_TEXTS, type PortalTexts } from './texts.js';

export const ASSET_PATH = '/change/assets';

export interface PageMessage {
  readonly kind: 'error' | 'done';
  readonly text: string;
}

interface Common {
  readonly language: Language;
  readonly csrf: string;
  /** The query that keeps the page's state when the language is switched (env, token). */
  readonly switchQuery: Record<string, string>;
  readonly message?: PageMessage | undefined;
}

export interface PasswordFormPage extends Common {
  readonly mode: 'password';
  readonly environmentName?: string | undefined;
  readonly tenantKey?: string | undefined;
  readonly login?: string | undefined;
  readonly policy: PasswordPolicy;
}

export interface LinkFormPage extends Common {
  readonly mode: 'link';
  readonly token: string;
  readonly accountName: string;
  readonly environmentName: string;
  readonly policy: PasswordPolicy;
}

export interface MessagePage extends Common {
  readonly mode: 'message';
  readonly title: 'title' | 'titleLink';
  readonly message: PageMessage;
  readonly hint?: string | undefined;
}

export type Page = PasswordFormPage | LinkFormPage | MessagePage;

const e = escapeHtml;

function policyList(t: PortalTexts, policy: PasswordPolicy, link: boolean): string {
  const items = [
    fill(t.policyLength, { n: Math.max(policy.minLength, 1) }),
    ...(policy.complexity ? [t.policyComplexity] : []),
    ...(policy.historyLength > 0 ? [link ? t.policyHistoryLink : fill(t.policyHistory, { n: policy.historyLength })] : []),
    ...(policy.minAgeMinutes > 0 && !link ? [fill(t.policyMinAge, { n: policy.minAgeMinutes })] : []),
    t.policyCommon,
  ];
  return (
    `<section class="policy" aria-labelledby="policy-title"><h2 id="policy-title">${e(t.policyTitle)}</h2>` +
    (policy.source === 'fine-grained' ? `<p>${e(t.policyFineGrained)}</p>` : '') +
    `<ul id="policy">${items.map((item) => `<li>${e(item)}</li>`).join('')}</ul></section>`
  );
}

function field(id: string, label: string, attributes: string, hint?: string): string {
  const described = hint ? ` aria-describedby="${id}-hint"` : '';
  return (
    `<div class="field"><label for="${id}">${e(label)}</label>` +
    `<input id="${id}" name="${id}" ${attributes}${described}>` +
    (hint ? `<p class="hint" id="${id}-hint">${e(hint)}</p>` : '') +
    '</div>'
  );
}

function newPasswordFields(t: PortalTexts): string {
  return (
    field('next', t.next, 'type="password" autocomplete="new-password" required maxlength="256"', undefined) +
    `<div class="strength"><span id="strength-label">${e(t.strength)}</span> <meter id="strength" min="0" max="4" low="2" high="3" optimum="4" value="0" aria-labelledby="strength-label"></meter> <span id="strength-text" aria-live="polite"></span></div>` +
    field('confirm', t.confirm, 'type="password" autocomplete="new-password" required maxlength="256"') +
    `<div class="field inline"><input type="checkbox" id="show"><label for="show">${e(t.show)}</label></div>`
  );
}

/** What portal.js needs in the page's language: the rules and its messages. */
function scriptData(t: PortalTexts, policy: PasswordPolicy): string {
  const data: Record<string, string> = {
    'min-length': String(Math.max(policy.minLength, 1)),
    complexity: String(policy.complexity),
    'msg-mismatch': t.clientMismatch,
    'msg-short': fill(t.clientShort, { n: Math.max(policy.minLength, 1) }),
    'msg-complex': t.clientComplex,
    'msg-required': t.clientRequired,
    levels: t.strengthLevels.join('|'),
  };
  return Object.entries(data)
    .map(([key, value]) => ` data-${key}="${e(value)}"`)
    .join('');
}

function status(message: PageMessage | undefined): string {
  // Announced on load and focused, so a screen reader reads the outcome first.
  const text = message ? e(message.text) : '';
  const kind = message ? ` ${message.kind}` : '';
  return `<div id="status" class="status${kind}" role="alert" aria-live="assertive" tabindex="-1">${text}</div>`;
}

function switchLink(page: Page, t: PortalTexts): string {
  const other: Language = page.language === 'nl' ? 'en' : 'nl';
  const query = new URLSearchParams({ ...page.switchQuery, lang: other });
  return `<nav class="language"><a href="?${e(query.toString())}" lang="${other}" hreflang="${other}">${e(t.switchTo)}</a></nav>`;
}

function body(page: Page, t: PortalTexts): string {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${e(value)}">`;
  switch (page.mode) {
    case 'password':
      return (
        `<h1>${e(t.title)}</h1>` +
        (page.environmentName ? `<p class="environment">${e(fill(t.environment, { environment: page.environmentName }))}</p>` : '') +
        status(page.message) +
        `<p>${e(t.intro)}</p>` +
        `<form method="post" action="/change" id="portal-form" novalidate${scriptData(t, page.policy)}>` +
        hidden('csrf', page.csrf) +
        hidden('lang', page.language) +
        (page.tenantKey ? hidden('env', page.tenantKey) : '') +
        field('login', t.login, `type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="256" value="${e(page.login ?? '')}"`, t.loginHint) +
        field('current', t.current, 'type="password" autocomplete="current-password" required maxlength="256"') +
        newPasswordFields(t) +
        `<button type="submit">${e(t.submit)}</button></form>` +
        policyList(t, page.policy, false)
      );
    case 'link':
      return (
        `<h1>${e(t.titleLink)}</h1>` +
        `<p class="environment">${e(fill(t.environment, { environment: page.environmentName }))}</p>` +
        status(page.message) +
        `<p>${e(fill(t.introLink, { name: page.accountName }))}</p>` +
        `<form method="post" action="/change" id="portal-form" novalidate${scriptData(t, page.policy)}>` +
        hidden('csrf', page.csrf) +
        hidden('lang', page.language) +
        hidden('token', page.token) +
        newPasswordFields(t) +
        `<button type="submit">${e(t.submitLink)}</button></form>` +
        policyList(t, page.policy, true)
      );
    case 'message':
      return `<h1>${e(t[page.title])}</h1>` + status(page.message) + (page.hint ? `<p>${e(page.hint)}</p>` : '');
  }
}

export function renderPage(page: Page): string {
  const t = PORTAL_TEXTS[page.language];
  const title = page.mode === 'password' ? t.title : page.mode === 'link' ? t.titleLink : t[page.title];
  return (
    `<!DOCTYPE html>\n<html lang="${page.language}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="referrer" content="no-referrer">' +
    `<title>${e(title)}</title>` +
    `<link rel="stylesheet" href="${ASSET_PATH}/portal.css">` +
    `<script src="${ASSET_PATH}/portal.js" defer></script>` +
    `</head><body><main>${switchLink(page, t)}${body(page, t)}</main></body></html>\n`
  );
}
