/**
 * The two mails the product sends, as plain text and HTML. Each mail is written once, as a list of
 * paragraphs that both formats show alike (a line break in the text is a <br> in the HTML); its
 * words are in the table below, per language.
 *
 * Pure functions: no I/O, nothing stored. The password passes through only into the body of the
 * password mail (never the subject, which mail servers log and phones show on lock screens).
 */
import { fill, translations, type Language } from '../i18n/translations.js';

const EN = {
  greeting: 'Dear {name},',
  regards: 'Kind regards,',
  signature: 'Your helpdesk',
  password: {
    subject: 'Your temporary password for {environment}',
    reset: 'Your password for {environment} (account {account}) has been reset by your helpdesk.',
    passwordIs: 'Your temporary password is:',
    onlyOnce: 'This password works only once: when you first sign in, you choose a new password of your own.',
    signInNow: 'Please sign in right away at the Password Change Portal and choose your own password:',
    keepSafe: 'Keep your new password safe. Did you not ask for this? Then please contact your helpdesk.',
  },
  link: {
    subject: 'Choose a new password for {environment}',
    started: 'Your helpdesk has started a password reset for your account {account} of {environment}.',
    choose: 'Choose your new password with this link:',
    once: 'The link works once, until {expires}. Your current password keeps working until you choose a new one.',
    notYou: 'Did you not ask for this? Then ignore this mail and contact your helpdesk.',
  },
  notice: {
    subject: 'Your password for {environment} has been reset',
    reset: 'Your password for {environment} has been reset by your helpdesk.',
    sentTo: 'The temporary password was sent to {recipient}.',
    unexpected: 'Did you not expect this? Then please contact your helpdesk straight away.',
  },
};

type MailTexts = typeof EN;

const NL: MailTexts = {
  greeting: 'Beste {name},',
  regards: 'Met vriendelijke groet,',
  signature: 'Uw helpdesk',
  password: {
    subject: 'Uw tijdelijke wachtwoord voor {environment}',
    reset: 'Uw wachtwoord voor {environment} (account {account}) is opnieuw ingesteld door uw helpdesk.',
    passwordIs: 'Uw tijdelijke wachtwoord is:',
    onlyOnce: 'Dit wachtwoord werkt maar één keer: bij de eerste aanmelding kiest u zelf een nieuw wachtwoord.',
    signInNow: 'Meld u daarom direct aan op het Wachtwoord-wijzigingsportal en kies uw eigen wachtwoord:',
    keepSafe: 'Bewaar uw nieuwe wachtwoord veilig. Heeft u dit niet aangevraagd? Neem dan contact op met uw helpdesk.',
  },
  link: {
    subject: 'Kies een nieuw wachtwoord voor {environment}',
    started: 'Uw helpdesk heeft het opnieuw instellen van het wachtwoord van uw account {account} voor {environment} gestart.',
    choose: 'Kies uw nieuwe wachtwoord met deze link:',
    once: 'De link werkt één keer, tot {expires}. Uw huidige wachtwoord blijft werken tot u een nieuw kiest.',
    notYou: 'Heeft u dit niet aangevraagd? Negeer deze mail dan en neem contact op met uw helpdesk.',
  },
  notice: {
    subject: 'Uw wachtwoord voor {environment} is opnieuw ingesteld',
    reset: 'Uw wachtwoord voor {environment} is opnieuw ingesteld door uw helpdesk.',
    sentTo: 'Het tijdelijke wachtwoord is verstuurd naar {recipient}.',
    unexpected: 'Had u dit niet verwacht? Neem dan direct contact op met uw helpdesk.',
  },
};

const MAIL_TEXTS = translations<MailTexts>({ en: EN, nl: NL });

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

export interface LinkMailInput {
  language: Language;
  displayName: string;
  accountName: string;
  environmentName: string;
  /** The single-use link (it holds the token): only in the body, never in the subject. */
  link: string;
  expiresAt: Date;
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

/** A paragraph (its lines), or the block that shows the password. */
type Block = readonly string[] | { readonly password: string };

/** How a mail's parts look in one format; each template below is written once for both. */
interface Format {
  /** Our own words and the input's values: as they are in plain text, escaped in HTML. */
  escape(value: string): string;
  strong(value: string): string;
  link(url: string): string;
  body(blocks: readonly Block[]): string;
}

const PLAIN: Format = {
  escape: (value) => value,
  strong: (value) => value,
  link: (url) => url,
  body: (blocks) =>
    blocks.map((block) => ('password' in block ? `    ${block.password}` : block.join('\n'))).join('\n\n') + '\n',
};

const PARAGRAPH = 'margin:0 0 12px 0;';
/** Monospace, so look-alike characters (l, 1, I, O, 0) can be told apart when typing it over. */
const PASSWORD_BLOCK =
  "font-family:Consolas,Menlo,'Courier New',monospace;" +
  'font-size:18px;letter-spacing:1px;' +
  'background:#f3f3f3;border:1px solid #d0d0d0;border-radius:4px;padding:8px 12px;margin:0 0 12px 0;' +
  'display:inline-block;white-space:pre;';

const HTML: Format = {
  escape: escapeHtml,
  strong: (value) => `<strong>${escapeHtml(value)}</strong>`,
  link: linkOrText,
  body: (blocks) =>
    blocks
      .map((block) =>
        'password' in block
          ? `<pre style="${PASSWORD_BLOCK}">${block.password}</pre>`
          : `<p style="${PARAGRAPH}">${block.join('<br>')}</p>`,
      )
      .join('\n'),
};

function htmlDocument(language: Language, subject: string, body: string): string {
  return (
    `<!DOCTYPE html>\n<html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="font-family:'Segoe UI',Arial,sans-serif;font-size:14px;line-height:1.5;color:#222;">\n${body}\n</body></html>\n`
  );
}

/** What every mail is about: an employee of an environment, who reads this language. */
type MailInput = Pick<PasswordMailInput, 'language' | 'displayName' | 'environmentName'>;

/** One mail, written once: each part gets the texts of the mail's language and a format. */
interface Template {
  /** The subject's text, filled with the environment alone: the subject never holds the password. */
  subject(t: MailTexts): string;
  /** The values beyond {name} and {environment}, shaped for the format. */
  values(format: Format): Readonly<Record<string, string>>;
  /** `say` fills a text of the table, escaped for the format, with the values. */
  body(t: MailTexts, say: (text: string) => string, format: Format): Block[];
}

function render(input: MailInput, template: Template): RenderedMail {
  const t = MAIL_TEXTS[input.language];
  const subject = oneLine(fill(template.subject(t), { environment: input.environmentName }));
  const body = (format: Format): string => {
    const values = {
      name: format.escape(input.displayName),
      environment: format.escape(input.environmentName),
      ...template.values(format),
    };
    return format.body(template.body(t, (text) => fill(format.escape(text), values), format));
  };
  return { subject, text: body(PLAIN), html: htmlDocument(input.language, subject, body(HTML)) };
}

/** The mail that carries the temporary password to the employee. */
export function renderPasswordMail(input: PasswordMailInput): RenderedMail {
  return render(input, {
    subject: (t) => t.password.subject,
    values: (format) => ({ account: format.strong(input.accountName) }),
    body: (t, say, format) => [
      [say(t.greeting)],
      [say(t.password.reset), say(t.password.passwordIs)],
      { password: format.escape(input.password) },
      [say(t.password.onlyOnce), say(t.password.signInNow)],
      [format.link(input.changePortalUrl)],
      [say(t.password.keepSafe)],
      [say(t.regards), say(t.signature)],
    ],
  });
}

/** Link mode: the mail with the single-use link to choose a password; no password in it. */
export function renderLinkMail(input: LinkMailInput): RenderedMail {
  const expires = new Intl.DateTimeFormat(input.language === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Amsterdam' }).format(input.expiresAt);
  return render(input, {
    subject: (t) => t.link.subject,
    values: (format) => ({ account: format.strong(input.accountName), expires: format.escape(expires) }),
    body: (t, say, format) => [
      [say(t.greeting)],
      [say(t.link.started), say(t.link.choose)],
      [format.link(input.link)],
      [say(t.link.once)],
      [say(t.link.notYou)],
      [say(t.regards), say(t.signature)],
    ],
  });
}

/**
 * The notice to the employee's own address when the password was mailed elsewhere: it says that
 * and where (masked), and carries no password, so a reset nobody asked for does not go unseen.
 */
export function renderResetNoticeMail(input: ResetNoticeInput): RenderedMail {
  return render(input, {
    subject: (t) => t.notice.subject,
    values: (format) => ({ recipient: format.strong(input.maskedRecipient) }),
    body: (t, say) => [
      [say(t.greeting)],
      [say(t.notice.reset), say(t.notice.sentTo)],
      [say(t.notice.unexpected)],
      [say(t.regards), say(t.signature)],
    ],
  });
}
