/**
 * The Password Change Portal's HTTP side, on the bot's restify server: GET and POST /change, and
 * its two static files. Thin: read the request, call changePassword / setPasswordWithLink /
 * openLink, render the page.
 *
 * Every answer carries: a strict CSP (no inline script or style, forms post only here, no
 * framing), `Cache-Control: no-store` (a page with a link's token or a typed user name is never
 * kept), `Referrer-Policy: no-referrer` (the link's token must not leak to another site), HSTS when
 * PUBLIC_URL is https. A POST must carry the CSRF token of its page (double submit: a cookie of
 * this path, SameSite=Strict, and the same value in the form) and must not come from another site
 * (Origin and Sec-Fetch-Site); otherwise nothing is tried.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type restify from 'restify';
import { z } from 'zod';
import { PORTAL_PATH, type Tenant } from '../config/config.js';
import { AppError, ERROR_CATALOG } from '../errors/catalog.js';
import { LANGUAGES, type Language } from '../i18n/translations.js';
import { changePassword } from './change-password.js';
import { openLink, setPasswordWithLink, type LinkDeps } from './link.js';
import { ASSET_PATH, renderPage, type Page, type PageMessage } from './page.js';
import { PORTAL_TEXTS } from './texts.js';

type WithoutCsrf<T> = T extends unknown ? Omit<T, 'csrf'> : never;

export interface PortalOptions {
  /** PUBLIC_URL: its origin is the only one a form may be posted from; https turns HSTS on. */
  readonly publicUrl: string | undefined;
}

const CSRF_COOKIE = 'pwportal_csrf';
const CSRF = /^[A-Za-z0-9_-]{43}$/;

export const PORTAL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const ASSETS: Record<string, string> = {
  'portal.js': 'text/javascript; charset=utf-8',
  'portal.css': 'text/css; charset=utf-8',
};

/** src/portal/public, found by walking up from this file (tsc does not copy it into dist). */
function publicDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'src', 'portal', 'public');
    if (existsSync(join(candidate, 'portal.js'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('portal files not found: no src/portal/public above this module');
    dir = parent;
  }
}

const formSchema = z
  .object({
    csrf: z.string().max(100).optional(),
    lang: z.string().max(8).optional(),
    env: z.string().max(64).optional(),
    token: z.string().max(128).optional(),
    login: z.string().max(1024).optional(),
    current: z.string().max(1024).optional(),
    next: z.string().max(1024).optional(),
    confirm: z.string().max(1024).optional(),
  })
  .passthrough();

/** The page's language: `lang` when it names one, else the first of Accept-Language we speak, else the environment's, else English. */
export function pickLanguage(explicit: unknown, acceptLanguage: string | undefined, fallback: Language = 'en'): Language {
  if (typeof explicit === 'string' && (LANGUAGES as readonly string[]).includes(explicit)) return explicit as Language;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1');
      return { language: tag.trim().toLowerCase().split('-')[0] ?? '', q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((entry) => entry.q > 0 && (LANGUAGES as readonly string[]).includes(entry.language))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return (ranked[0]?.language as Language | undefined) ?? fallback;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !CSRF.test(a) || !CSRF.test(b)) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** The sentence the page shows for a failure: the catalog's, in the page's language; INTERNAL for anything unexpected. */
function messageFor(error: unknown, language: Language): PageMessage {
  const code = error instanceof AppError && Object.hasOwn(ERROR_CATALOG, error.code) ? error.code : 'INTERNAL';
  return { kind: 'error', text: ERROR_CATALOG[code][language] };
}

function statusFor(error: unknown): number {
  if (!(error instanceof AppError)) return 500;
  if (error.code === 'PORTAL_RATE_LIMITED') return 429;
  if (error.code === 'PORTAL_FORM_EXPIRED') return 403;
  if (/^(DIRECTORY_UNREACHABLE|STATE_UNAVAILABLE|INTERNAL|DIRECTORY_ERROR|AUDIT_WRITE_FAILED)$/.test(error.code)) return 503;
  return 400;
}

export function portalRoutes(deps: LinkDeps, options: PortalOptions): (server: restify.Server) => void {
  const publicUrl = options.publicUrl ? new URL(options.publicUrl) : undefined;
  const secure = publicUrl?.protocol === 'https:';
  const assets = publicDirectory();
  const files = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(assets, name))]));

  const headers = (res: restify.Response): void => {
    res.header('Content-Security-Policy', PORTAL_CSP);
    res.header('Cache-Control', 'no-store');
    res.header('Pragma', 'no-cache');
    res.header('Referrer-Policy', 'no-referrer');
    res.header('X-Content-Type-Options', 'nosniff');
    res.header('X-Frame-Options', 'DENY');
    res.header('Cross-Origin-Opener-Policy', 'same-origin');
    if (secure) res.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };

  /** A fresh CSRF token for the page, set as this path's cookie. */
  const csrfFor = (res: restify.Response): string => {
    const token = randomBytes(32).toString('base64url');
    res.header('Set-Cookie', `${CSRF_COOKIE}=${token}; Path=${PORTAL_PATH}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
    return token;
  };

  const send = (res: restify.Response, status: number, page: WithoutCsrf<Page>): void => {
    headers(res);
    const html = renderPage({ ...page, csrf: csrfFor(res) } as Page);
    res.sendRaw(status, html, { 'Content-Type': 'text/html; charset=utf-8' });
  };

  /** Why a form did not come from this site's page (its CSRF token, another site), or undefined when it did. */
  const notFromOwnPage = (req: restify.Request, form: z.infer<typeof formSchema>): string | undefined => {
    // Browsers say where a request came from: only this page's own origin may post (not even a sibling subdomain).
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross-site';
    // With Referrer-Policy no-referrer, Chromium sends `Origin: null` for the page's own form.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      const expected = publicUrl ? publicUrl.origin : `${secure ? 'https' : 'http'}://${req.headers.host ?? ''}`;
      if (origin !== expected) return 'origin';
    }
    return sameToken(cookieValue(req.headers.cookie, CSRF_COOKIE), form.csrf) ? undefined : 'token';
  };

  const tenantOf = (key: string | undefined): Tenant | undefined => (key ? deps.tenants.find((t) => t.key === key) : undefined);

  const passwordForm = async (res: restify.Response, status: number, language: Language, env: string | undefined, extra: { login?: string; message?: PageMessage }) => {
    const tenant = tenantOf(env);
    const policy = await deps.directory.passwordPolicy();
    send(res, status, {
      mode: 'password',
      language,
      policy,
      environmentName: tenant?.name,
      tenantKey: tenant?.key,
      switchQuery: tenant ? { env: tenant.key } : {},
      login: extra.login,
      message: extra.message,
    });
  };

  const linkForm = async (res: restify.Response, status: number, language: Language, token: string, message?: PageMessage) => {
    const opened = await openLink(token, deps);
    if (!opened) {
      send(res, 410, { mode: 'message', title: 'titleLink', language, switchQuery: { token }, message: messageFor(new AppError('PORTAL_LINK_INVALID'), language), hint: undefined });
      return;
    }
    send(res, status, {
      mode: 'link',
      language,
      token,
      accountName: opened.link.accountName,
      environmentName: opened.tenant.name,
      policy: opened.policy,
      switchQuery: { token },
      message,
    });
  };

  const page = (res: restify.Response, language: Language, title: 'title' | 'titleLink', message: PageMessage, status = 200) =>
    send(res, status, { mode: 'message', title, language, switchQuery: {}, message, hint: undefined });

  return (server) => {
    server.get(`${ASSET_PATH}/:file`, async (req, res) => {
      const name = String(req.params?.file ?? '');
      const file = files.get(name);
      headers(res);
      if (!file || !Object.hasOwn(ASSETS, name)) {
        res.sendRaw(404, 'not found', { 'Content-Type': 'text/plain; charset=utf-8' });
        return;
      }
      res.sendRaw(200, file, { 'Content-Type': ASSETS[name] as string });
    });

    server.get(PORTAL_PATH, async (req, res) => {
      const query = new URL(req.url ?? '/', 'http://portal.invalid').searchParams;
      const env = query.get('env') ?? undefined;
      const language = pickLanguage(query.get('lang'), req.headers['accept-language'], tenantOf(env)?.language);
      try {
        const token = query.get('token');
        if (token !== null) await linkForm(res, 200, language, token);
        else await passwordForm(res, 200, language, env, {});
      } catch (error) {
        deps.log.error({ code: error instanceof AppError ? error.code : 'INTERNAL', cause: error instanceof AppError ? undefined : String(error) }, 'portal page failed');
        page(res, language, 'title', messageFor(error, language), statusFor(error));
      }
    });

    server.post(PORTAL_PATH, async (req, res) => {
      const parsed = formSchema.safeParse(req.body ?? {});
      const form = parsed.success ? parsed.data : {};
      const language = pickLanguage(form.lang, req.headers['accept-language'], tenantOf(form.env)?.language);
      const t = PORTAL_TEXTS[language];
      const clientAddress = req.socket.remoteAddress ?? 'unknown';
      const isLink = typeof form.token === 'string' && form.token !== '';
      try {
        if (!parsed.success) throw new AppError('INPUT_INVALID');
        const refused = notFromOwnPage(req, form);
        if (refused !== undefined) {
          deps.log.warn({ code: 'PORTAL_FORM_REFUSED', reason: refused }, 'portal form refused: not from its own page');
          throw new AppError('PORTAL_FORM_EXPIRED');
        }
        if (isLink) {
          await setPasswordWithLink({ token: form.token, next: form.next ?? '', confirm: form.confirm ?? '', clientAddress }, deps);
          page(res, language, 'titleLink', { kind: 'done', text: t.doneLink });
        } else {
          await changePassword(
            { login: form.login ?? '', current: form.current ?? '', next: form.next ?? '', confirm: form.confirm ?? '', tenantKey: form.env, clientAddress },
            deps,
          );
          page(res, language, 'title', { kind: 'done', text: t.done });
        }
      } catch (error) {
        const status = statusFor(error);
        if (status >= 500) deps.log.error({ code: error instanceof AppError ? error.code : 'INTERNAL' }, 'portal request failed');
        try {
          if (isLink) {
            if (error instanceof AppError && error.code === 'PORTAL_LINK_INVALID') page(res, language, 'titleLink', messageFor(error, language), 410);
            else await linkForm(res, status, language, form.token as string, messageFor(error, language));
          } else {
            const login = typeof form.login === 'string' && form.login.length <= 256 ? form.login : undefined;
            await passwordForm(res, status, language, form.env, { ...(login !== undefined ? { login } : {}), message: messageFor(error, language) });
          }
        } catch (again) {
          page(res, language, isLink ? 'titleLink' : 'title', messageFor(again, language), statusFor(again));
        }
      }
    });
  };
}
