/**
 * The two mails the product sends, in Dutch and English, as plain text and HTML.
 *
 * Pure functions: no I/O, nothing stored. The password passes through only into the body of the
 * password mail (never the subject, which mail servers log and phones show on lock screens).
 */
import type { Language } from '../errors/catalog.js';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface PasswordMailInput {
  language: Language;
  /** The employee's displayName. */
  displayName: string;
  /** The name they sign in with (e.g. the UPN), so they know which account this is about. */
  accountName: string;
  /** The temporary password. */
  password: string;
  /** The environment's name (the Domainname column). */
  environmentName: string;
  /** The environment's Password Change Portal address. */
  changePortalUrl: string;
}

export interface ResetNoticeInput {
  language: Language;
  displayName: string;
  environmentName: string;
  /** Where the password went, already masked (maskMailAddress): this mail never shows it whole. */
  maskedRecipient: string;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Header values must be one line: a stray line break in a name must not start a new header. */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/**
 * Only an http(s) address becomes a link; anything else (a config typo, `javascript:`) is shown
 * as text, so the mail never carries a clickable non-web link.
 */
function linkOrText(url: string): string {
  let isWeb = false;
  try {
    const protocol = new URL(url).protocol;
    isWeb = protocol === 'https:' || protocol === 'http:';
  } catch {
    isWeb = false;
  }
  const text = escapeHtml(url);
  return isWeb ? `<a href="${text}">${text}</a>` : text;
}

const PARAGRAPH = 'margin:0 0 12px 0;';
/** Monospace, so look-alike characters (l, 1, I, O, 0) can be told apart when typing it over. */
const PASSWORD_BLOCK =
  "font-family:Consolas,Menlo,'Courier New',monospace;" +
  'font-size:18px;letter-spacing:1px;' +
  'background:#f3f3f3;border:1px solid #d0d0d0;border-radius:4px;padding:8px 12px;margin:0 0 12px 0;' +
  'display:inline-block;white-space:pre;';

function htmlDocument(language: Language, title: string, body: string): string {
  return (
    `<!DOCTYPE html>\n<html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n` +
    `<body style="font-family:'Segoe UI',Arial,sans-serif;font-size:14px;line-height:1.5;color:#222;">\n${body}\n</body></html>\n`
  );
}

const p = (html: string): string => `<p style="${PARAGRAPH}">${html}</p>`;

/** The mail that carries the temporary password to the employee. */
export function renderPasswordMail(input: PasswordMailInput): RenderedMail {
  const name = escapeHtml(input.displayName);
  const account = escapeHtml(input.accountName);
  const env = escapeHtml(input.environmentName);
  const password = escapeHtml(input.password);
  const link = linkOrText(input.changePortalUrl);

  if (input.language === 'nl') {
    const subject = oneLine(`Uw tijdelijke wachtwoord voor ${input.environmentName}`);
    const text = [
      `Beste ${input.displayName},`,
      '',
      `Uw wachtwoord voor ${input.environmentName} (account ${input.accountName}) is opnieuw ingesteld door uw helpdesk.`,
      'Uw tijdelijke wachtwoord is:',
      '',
      `    ${input.password}`,
      '',
      'Dit wachtwoord werkt maar één keer: bij de eerste aanmelding kiest u zelf een nieuw wachtwoord.',
      'Meld u daarom direct aan op de Password Change Portal en kies uw eigen wachtwoord:',
      '',
      input.changePortalUrl,
      '',
      'Bewaar uw nieuwe wachtwoord veilig. Heeft u dit niet aangevraagd? Neem dan contact op met uw helpdesk.',
      '',
      'Met vriendelijke groet,',
      'Uw helpdesk',
      '',
    ].join('\n');
    const html = htmlDocument(
      'nl',
      subject,
      [
        p(`Beste ${name},`),
        p(`Uw wachtwoord voor ${env} (account <strong>${account}</strong>) is opnieuw ingesteld door uw helpdesk. Uw tijdelijke wachtwoord is:`),
        `<pre style="${PASSWORD_BLOCK}">${password}</pre>`,
        p('Dit wachtwoord werkt maar één keer: bij de eerste aanmelding kiest u zelf een nieuw wachtwoord.'),
        p(`Meld u daarom direct aan op de Password Change Portal en kies uw eigen wachtwoord:<br>${link}`),
        p('Bewaar uw nieuwe wachtwoord veilig. Heeft u dit niet aangevraagd? Neem dan contact op met uw helpdesk.'),
        p('Met vriendelijke groet,<br>Uw helpdesk'),
      ].join('\n'),
    );
    return { subject, text, html };
  }

  const subject = oneLine(`Your temporary password for ${input.environmentName}`);
  const text = [
    `Dear ${input.displayName},`,
    '',
    `Your password for ${input.environmentName} (account ${input.accountName}) has been reset by your helpdesk.`,
    'Your temporary password is:',
    '',
    `    ${input.password}`,
    '',
    'This password works only once: when you first sign in, you choose a new password of your own.',
    'Please sign in right away at the Password Change Portal and choose your own password:',
    '',
    input.changePortalUrl,
    '',
    'Keep your new password safe. Did you not ask for this? Then please contact your helpdesk.',
    '',
    'Kind regards,',
    'Your helpdesk',
    '',
  ].join('\n');
  const html = htmlDocument(
    'en',
    subject,
    [
      p(`Dear ${name},`),
      p(`Your password for ${env} (account <strong>${account}</strong>) has been reset by your helpdesk. Your temporary password is:`),
      `<pre style="${PASSWORD_BLOCK}">${password}</pre>`,
      p('This password works only once: when you first sign in, you choose a new password of your own.'),
      p(`Please sign in right away at the Password Change Portal and choose your own password:<br>${link}`),
      p('Keep your new password safe. Did you not ask for this? Then please contact your helpdesk.'),
      p('Kind regards,<br>Your helpdesk'),
    ].join('\n'),
  );
  return { subject, text, html };
}

/**
 * The notice to the employee's own address when the password was mailed elsewhere: it says that
 * and where (masked), and carries no password, so a reset nobody asked for does not go unseen.
 */
export function renderResetNoticeMail(input: ResetNoticeInput): RenderedMail {
  const name = escapeHtml(input.displayName);
  const env = escapeHtml(input.environmentName);
  const recipient = escapeHtml(input.maskedRecipient);

  if (input.language === 'nl') {
    const subject = oneLine(`Uw wachtwoord voor ${input.environmentName} is opnieuw ingesteld`);
    const text = [
      `Beste ${input.displayName},`,
      '',
      `Uw wachtwoord voor ${input.environmentName} is opnieuw ingesteld door uw helpdesk.`,
      `Het tijdelijke wachtwoord is verstuurd naar ${input.maskedRecipient}.`,
      '',
      'Had u dit niet verwacht? Neem dan direct contact op met uw helpdesk.',
      '',
      'Met vriendelijke groet,',
      'Uw helpdesk',
      '',
    ].join('\n');
    const html = htmlDocument(
      'nl',
      subject,
      [
        p(`Beste ${name},`),
        p(`Uw wachtwoord voor ${env} is opnieuw ingesteld door uw helpdesk. Het tijdelijke wachtwoord is verstuurd naar <strong>${recipient}</strong>.`),
        p('Had u dit niet verwacht? Neem dan direct contact op met uw helpdesk.'),
        p('Met vriendelijke groet,<br>Uw helpdesk'),
      ].join('\n'),
    );
    return { subject, text, html };
  }

  const subject = oneLine(`Your password for ${input.environmentName} has been reset`);
  const text = [
    `Dear ${input.displayName},`,
    '',
    `Your password for ${input.environmentName} has been reset by your helpdesk.`,
    `The temporary password was sent to ${input.maskedRecipient}.`,
    '',
    'Did you not expect this? Then please contact your helpdesk straight away.',
    '',
    'Kind regards,',
    'Your helpdesk',
    '',
  ].join('\n');
  const html = htmlDocument(
    'en',
    subject,
    [
      p(`Dear ${name},`),
      p(`Your password for ${env} has been reset by your helpdesk. The temporary password was sent to <strong>${recipient}</strong>.`),
      p('Did you not expect this? Then please contact your helpdesk straight away.'),
      p('Kind regards,<br>Your helpdesk'),
    ].join('\n'),
  );
  return { subject, text, html };
}
