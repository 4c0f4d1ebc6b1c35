/**
 * The one error catalog. Every failure the product reports carries one of these codes.
 * Users read `en`/`nl` (never a stack trace, never a secret); logs read the code and the cause.
 */
import type { Language, Translations } from '../i18n/translations.js';

export const ERROR_CATALOG = {
  CONFIG_INVALID: {
    en: 'The bot is not configured correctly.',
    nl: 'De bot is niet goed geconfigureerd.',
  },
  INPUT_INVALID: {
    en: 'That input is not valid.',
    nl: 'Die invoer is niet geldig.',
  },
  DIRECTORY_UNREACHABLE: {
    en: 'The directory cannot be reached right now. Try again in a moment.',
    nl: 'De directory is nu niet bereikbaar. Probeer het zo opnieuw.',
  },
  DIRECTORY_TOO_SLOW: {
    en: 'The directory answered too slowly: nothing was changed. Try again in a moment (type reset and the name).',
    nl: 'De directory antwoordde te traag: er is niets gewijzigd. Probeer het zo opnieuw (typ reset en de naam).',
  },
  DIRECTORY_TLS_FAILED: {
    en: 'The secure connection to the directory failed: its certificate is not trusted.',
    nl: 'De beveiligde verbinding met de directory is mislukt: het certificaat wordt niet vertrouwd.',
  },
  DIRECTORY_INSUFFICIENT_RIGHTS: {
    en: 'The bot has no right to change this account in the directory.',
    nl: 'De bot heeft geen recht om dit account in de directory te wijzigen.',
  },
  DIRECTORY_POLICY_VIOLATION: {
    en: 'The directory refused the new password because of its password policy.',
    nl: 'De directory weigerde het nieuwe wachtwoord vanwege het wachtwoordbeleid.',
  },
  DIRECTORY_USER_NOT_FOUND: {
    en: 'No employee of this environment matches that name.',
    nl: 'Geen medewerker van deze omgeving past bij die naam.',
  },
  DIRECTORY_USER_AMBIGUOUS: {
    en: 'Several employees match that name: choose one.',
    nl: 'Meerdere medewerkers passen bij die naam: kies er een.',
  },
  DIRECTORY_ERROR: {
    en: 'The directory reported an error.',
    nl: 'De directory meldde een fout.',
  },
  /**
   * The password change was sent but the directory did not answer (timeout, connection lost): it may
   * or may not have been applied. Never reported as failed; reconciliation (src/reset/reconcile.ts)
   * finds out which, and the audit records `unknown`, then `applied` or `not-applied`.
   */
  DIRECTORY_OUTCOME_UNKNOWN: {
    en: 'The directory did not answer in time: the password may or may not have been changed. Check again.',
    nl: 'De directory antwoordde niet op tijd: het wachtwoord is misschien wel, misschien niet gewijzigd. Controleer het opnieuw.',
  },
  /** An unlock's modify sent without an answer: as above, but about the lock-out, not a password. */
  UNLOCK_OUTCOME_UNKNOWN: {
    en: 'The directory did not answer in time: the account may or may not have been unlocked. Type status and the name to see whether it is still locked.',
    nl: 'De directory antwoordde niet op tijd: het account is misschien wel, misschien niet ontgrendeld. Typ status en de naam om te zien of het nog vergrendeld is.',
  },
  // The Password Change Portal (src/portal): what the employee reads.
  /** Wrong user name or current password, or an account the portal does not serve: one answer for all. */
  PORTAL_CREDENTIALS_INVALID: {
    en: 'The user name or the current password is not correct.',
    nl: 'De gebruikersnaam of het huidige wachtwoord is niet juist.',
  },
  PORTAL_RATE_LIMITED: {
    en: 'Too many attempts. Wait 15 minutes and try again.',
    nl: 'Te veel pogingen. Wacht 15 minuten en probeer het opnieuw.',
  },
  PORTAL_FORM_EXPIRED: {
    en: 'This form has expired or did not come from this page. Reload the page and try again.',
    nl: 'Dit formulier is verlopen of kwam niet van deze pagina. Laad de pagina opnieuw en probeer het nog eens.',
  },
  PORTAL_LINK_INVALID: {
    en: 'This link no longer works: it was used, it expired, or the password was reset since. Ask your helpdesk for a new one.',
    nl: 'Deze link werkt niet meer: hij is gebruikt, verlopen, of het wachtwoord is sindsdien opnieuw ingesteld. Vraag uw helpdesk om een nieuwe.',
  },
  PASSWORD_MISMATCH: {
    en: 'The two new passwords are not the same.',
    nl: 'De twee nieuwe wachtwoorden zijn niet gelijk.',
  },
  PASSWORD_TOO_SHORT: {
    en: 'The new password is too short for the password policy.',
    nl: 'Het nieuwe wachtwoord is te kort voor het wachtwoordbeleid.',
  },
  PASSWORD_NOT_COMPLEX: {
    en: 'The new password is not complex enough: use at least three of capital letters, small letters, digits and symbols.',
    nl: 'Het nieuwe wachtwoord is niet complex genoeg: gebruik minstens drie van hoofdletters, kleine letters, cijfers en symbolen.',
  },
  PASSWORD_IN_HISTORY: {
    en: 'You have used this password before. Choose one you have not used yet.',
    nl: 'Dit wachtwoord heeft u al eerder gebruikt. Kies er een dat u nog niet gebruikt heeft.',
  },
  PASSWORD_TOO_YOUNG: {
    en: 'Your password was changed too recently. You can change it again later.',
    nl: 'Uw wachtwoord is te kort geleden gewijzigd. U kunt het later opnieuw wijzigen.',
  },
  PASSWORD_COMMON: {
    en: 'This password is too common: it appears in lists of passwords that attackers try first. Choose another.',
    nl: 'Dit wachtwoord komt te vaak voor: het staat in lijsten met wachtwoorden die aanvallers als eerste proberen. Kies een ander.',
  },
  PASSWORD_CONTAINS_NAME: {
    en: 'The new password must not contain your name or user name.',
    nl: 'Het nieuwe wachtwoord mag uw naam of gebruikersnaam niet bevatten.',
  },
  AUTH_EMPTY_PASSWORD: {
    en: 'Enter your user name and password.',
    nl: 'Vul uw gebruikersnaam en wachtwoord in.',
  },
  AUTH_SIGN_IN_FAILED: {
    en: 'Sign-in failed: check your user name and password. If it keeps failing, ask your provider whether your account may manage an environment here.',
    nl: 'Aanmelden is mislukt: controleer uw gebruikersnaam en wachtwoord. Blijft het mislukken, vraag dan uw provider of uw account hier een omgeving mag beheren.',
  },
  ADMIN_SESSION_ENDED: {
    en: 'Your sign-in is no longer valid (your account or its rights changed in the directory). Please sign in again.',
    nl: 'Uw aanmelding is niet meer geldig (uw account of uw rechten zijn in de directory gewijzigd). Meld u opnieuw aan.',
  },
  AUTH_INVALID_CREDENTIALS: {
    en: 'The user name or password is not correct.',
    nl: 'De gebruikersnaam of het wachtwoord is niet juist.',
  },
  AUTH_PASSWORD_MUST_CHANGE: {
    en: 'Your own password must be changed before you can sign in here.',
    nl: 'Uw eigen wachtwoord moet eerst gewijzigd worden voordat u hier kunt inloggen.',
  },
  AUTH_ACCOUNT_UNUSABLE: {
    en: 'Your account is disabled, locked or expired.',
    nl: 'Uw account is uitgeschakeld, vergrendeld of verlopen.',
  },
  AUTH_NOT_ADMIN: {
    en: 'You are not an admin of this environment.',
    nl: 'U bent geen beheerder van deze omgeving.',
  },
  TARGET_OUTSIDE_ENVIRONMENT: {
    en: 'That account is not part of this environment.',
    nl: 'Dat account hoort niet bij deze omgeving.',
  },
  TARGET_NOT_PERSON: {
    en: 'That account is not an employee account.',
    nl: 'Dat account is geen medewerkersaccount.',
  },
  TARGET_PROTECTED: {
    en: 'That account is protected: it cannot be reset or unlocked here.',
    nl: 'Dat account is beschermd: het kan hier niet worden gereset of ontgrendeld.',
  },
  TARGET_PASSWORD_NEVER_EXPIRES: {
    en: 'That account has "password never expires" set, so the change at first sign-in would not be forced. Ask the provider to clear that setting first.',
    nl: 'Bij dat account staat "wachtwoord verloopt nooit" aan, waardoor de wijziging bij de eerste aanmelding niet wordt afgedwongen. Vraag de provider die instelling eerst uit te zetten.',
  },
  MAIL_ADDRESS_INVALID: {
    en: 'That e-mail address is not valid.',
    nl: 'Dat e-mailadres is niet geldig.',
  },
  MAIL_UNREACHABLE: {
    en: 'The mail server cannot be reached right now.',
    nl: 'De mailserver is nu niet bereikbaar.',
  },
  MAIL_TLS_FAILED: {
    en: 'The secure connection to the mail server failed.',
    nl: 'De beveiligde verbinding met de mailserver is mislukt.',
  },
  MAIL_SEND_FAILED: {
    en: 'The mail server refused the mail.',
    nl: 'De mailserver weigerde de mail.',
  },
  AUDIT_WRITE_FAILED: {
    en: 'The audit log cannot be written, so nothing was changed.',
    nl: 'Het auditlog kan niet worden geschreven, dus er is niets gewijzigd.',
  },
  STATE_UNAVAILABLE: {
    en: 'The bot cannot reach its database right now. Try again in a moment.',
    nl: 'De bot kan zijn database nu niet bereiken. Probeer het zo opnieuw.',
  },
  PERSONAL_CHAT_ONLY: {
    en: 'I only work in a personal (1:1) chat. Open a chat with me to reset passwords.',
    nl: 'Ik werk alleen in een persoonlijke (1:1) chat. Open een chat met mij om wachtwoorden te resetten.',
  },
  TEAMS_TENANT_NOT_ALLOWED: {
    en: 'Your organisation is not set up to use this bot.',
    nl: 'Uw organisatie is niet ingericht voor deze bot.',
  },
  SIGN_IN_REQUIRED: {
    en: 'Please sign in first.',
    nl: 'Meld u eerst aan.',
  },
  SIGN_IN_RATE_LIMITED: {
    en: 'Too many failed sign-ins. Wait 15 minutes and try again.',
    nl: 'Te veel mislukte aanmeldingen. Wacht 15 minuten en probeer het opnieuw.',
  },
  ENVIRONMENT_REQUIRED: {
    en: 'Choose an environment first.',
    nl: 'Kies eerst een omgeving.',
  },
  CARD_ALREADY_USED: {
    en: 'This button has already been used. Ask for the employee again to start anew.',
    nl: 'Deze knop is al gebruikt. Vraag de medewerker opnieuw op om opnieuw te beginnen.',
  },
  CARD_EXPIRED: {
    en: 'This card has expired. Ask for the employee again.',
    nl: 'Deze kaart is verlopen. Vraag de medewerker opnieuw op.',
  },
  CARD_NOT_VALID: {
    en: 'This card is not valid for you.',
    nl: 'Deze kaart is niet geldig voor u.',
  },
  INTERNAL: {
    en: 'Something went wrong.',
    nl: 'Er ging iets mis.',
  },
} as const satisfies Record<string, Translations<string>>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Codes whose detail is directory jargon ("adminCount", "privileged group"): for the log and the audit, not the admin. */
const DETAIL_FOR_LOG_ONLY: ReadonlySet<ErrorCode> = new Set(['TARGET_PROTECTED']);

/**
 * The product's error. `detail` is a safe, user-visible addition (AD's policy reason, the name of
 * a setting); it must never hold a password. The library error goes in `cause`, for the log only.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: { detail?: string; cause?: unknown } = {}) {
    super(options.detail ? `${code}: ${options.detail}` : code, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.detail = options.detail;
  }

  /** The sentence an admin reads, in their language. */
  userMessage(language: Language): string {
    const text = ERROR_CATALOG[this.code][language];
    return this.detail && !DETAIL_FOR_LOG_ONLY.has(this.code) ? `${text} (${this.detail})` : text;
  }
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
