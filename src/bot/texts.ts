/**
 * Every word the cards show, in Dutch and English. The templates in cards/ hold no language: the
 * builders in cards.ts pick a section from here and pass it in as data (`${t.title}`).
 *
 * `{name}`-style placeholders are filled with `fill` (src/i18n). The column names (Displayname,
 * Domainname, UPN, Pre-windows) stay as the portal showed them, in both languages: admins know them.
 * Tone: for helpdesk admins, short and plain; Dutch addresses the admin with "u".
 */
import { translations } from '../i18n/translations.js';

/** The seed's column names, in both languages: admins know them as the portal showed them. */
const COLUMNS = { displayName: 'Displayname', domainName: 'Domainname', upn: 'UPN', preWindows: 'Pre-windows' } as const;

/** The commands in the help card: usage and description, in English, then in Dutch. */
const HELP_COMMANDS: readonly (readonly [string, string, string, string])[] = [
  ['help', 'Show this overview.', 'help', 'Toon dit overzicht.'],
  ['list [page]', 'List the employees of your environment, 20 per page.', 'lijst [pagina]', 'Toon de medewerkers van uw omgeving, 20 per pagina.'],
  ['find <text>', 'Find employees by name, UPN or pre-Windows name.', 'zoek <tekst>', 'Zoek medewerkers op naam, UPN of pre-Windows-naam.'],
  ['reset <user>', 'Reset a password. You see the temporary password once, in a dialog.', 'reset <gebruiker>', 'Reset een wachtwoord. U ziet het tijdelijke wachtwoord één keer, in een venster.'],
  ['mail <user> [address] [nl|en]', 'Reset a password and mail the temporary password, to the employee’s address or another one, in Dutch or English.', 'mail <gebruiker> [adres] [nl|en]', 'Reset een wachtwoord en mail het tijdelijke wachtwoord, naar het adres van de medewerker of een ander adres, in het Nederlands of Engels.'],
  ['signin', 'Sign in with your directory account.', 'aanmelden', 'Meld u aan met uw directory-account.'],
  ['signout', 'Sign out.', 'afmelden', 'Meld u af.'],
  ['env [name]', 'Show or switch your environment.', 'omgeving [naam]', 'Toon of wissel uw omgeving.'],
  ['history [user]', 'Show recent resets and mails, optionally for one employee.', 'geschiedenis [gebruiker]', 'Toon recente resets en mails, eventueel voor één medewerker.'],
];

const EN = {
  common: {
    reset: 'Reset',
    mailPassword: 'Mail password',
    choose: 'Choose',
    irreversible: 'This process is irreversible.',
    columns: COLUMNS,
    status: {
      disabled: 'disabled',
      lockedOut: 'locked out',
      passwordExpired: 'password expired',
      mustChange: 'must change password',
    },
    statusLine: 'Status: {status}',
    none: '—',
    reference: 'Reference: {reference}',
  },
  signIn: {
    title: 'Sign in',
    intro:
      'Sign in with your own directory account: the user name and password you also use for the applications in the cloud.',
    loginLabel: 'User name (UPN or DOMAIN\\name)',
    loginPlaceholder: 'name@company.nl or DOMAIN\\name',
    loginRequired: 'Enter your user name.',
    passwordLabel: 'Password',
    passwordRequired: 'Enter your password.',
    privacy: 'Your password is only used to check who you are. It is not stored.',
    submit: 'Sign in',
    pending: 'Once you have signed in, I will do what you asked: "{command}".',
  },
  environmentPicker: {
    title: 'Choose an environment',
    intro: 'You manage more than one environment. Choose the one you want to work in.',
    current: 'current',
    choose: 'Choose',
  },
  employeeList: {
    title: 'Employees of {environment}',
    page: 'Page {page}',
    pageWithSearch: 'Page {page} · search: {search}',
    searchPlaceholder: 'Name, UPN or pre-Windows name',
    search: 'Search',
    previous: 'Previous',
    next: 'Next',
    empty: 'No employees found.',
    emptySearch: 'No employees match {search}.',
  },
  employee: {
    title: 'Reset password',
    resetExplain:
      'Reset: you get a new temporary password to pass on yourself, for example when the employee cannot reach their mailbox.',
    mailExplain: 'Mail password: the temporary password is mailed to the employee, in Dutch or English.',
  },
  mailForm: {
    title: 'Reset password and mail',
    addressLabel: 'Address',
    addressPlaceholder: 'name@company.nl',
    addressRequired: 'Enter an e-mail address.',
    addressHint: 'If the employee cannot reach their business mail, another address can be used.',
    languageLabel: 'Language',
    languageNl: 'NL',
    languageEn: 'EN',
    submit: 'Reset',
  },
  mailOutcome: {
    title: 'Password mailed',
    body: 'The temporary password of {name} was mailed to {recipient} at {time}.',
    mustChange: 'The employee must change it at the first sign-in: the temporary password works only once.',
    notice: 'A notice without the password went to the employee’s own address.',
  },
  mailFailed: {
    title: 'Password reset, but the mail failed',
    body: 'The password of {name} WAS reset at {time}, but the mail to {recipient} could not be sent.',
    reason: 'Reason: {error}',
    whatNow:
      'Nobody has seen that password and it is not kept. Show password sets a new temporary password and shows it once, in a dialog, for you to pass on.',
    reveal: 'Show password',
  },
  resetDone: {
    title: 'Password reset',
    body: 'Password of {name} reset by you at {time}.',
    note: 'The temporary password is not kept. The employee must change it at the first sign-in.',
  },
  resetStatus: {
    unknownTitle: 'Password change not confirmed',
    unknownBody: 'The directory did not answer in time: the password of {name} may or may not have been changed. Check again.',
    unknownNote: 'Nobody has seen a new password. Check again asks the directory what happened.',
    unknownInDialog: 'Use Check again on the card in the chat.',
    pendingTitle: 'Not known yet',
    pendingBody: 'The directory may still be applying the change to the password of {name}. Check again in a moment.',
    uncheckedTitle: 'Could not check',
    uncheckedBody: 'The directory could not be asked what happened to the password change. Check again in a moment.',
    reason: 'Reason: {error}',
    appliedTitle: 'The password was changed',
    appliedBody: 'The password of {name} WAS changed at {time}.',
    appliedBodyNoTime: 'The password of {name} WAS changed.',
    appliedNote:
      'Nobody has seen that password (the employee must change it at the first sign-in anyway), so nobody can use it. Reset again to get a password you can pass on.',
    notAppliedTitle: 'The password was not changed',
    notAppliedBody: 'The password of {name} was not changed: the old password still works.',
    notAppliedNote: 'Reset again if the employee still needs a new password.',
    check: 'Check again',
  },
  passwordDialog: {
    title: 'Temporary password',
    heading: 'Temporary password for {name}',
    mustChange: 'The employee must change it at the first sign-in: it works only once.',
    copyHint: 'Select the password to copy it. It is shown only now and is not stored.',
    close: 'Close',
  },
  picker: {
    title: 'Several employees match',
    introReset: 'Choose the employee whose password you want to reset.',
    introMail: 'Choose the employee whose password you want to mail.',
    more: 'Only the first {count} are shown. Type more of the name to narrow it down.',
    choose: 'Choose',
  },
  help: {
    title: 'What I can do',
    intro: 'Type a command, or use the buttons on the cards.',
    commands: HELP_COMMANDS.map(([usage, description]) => ({ usage, description })),
    footer: '<user> is a pre-Windows name (jmus or sbf_jmus), a UPN, an e-mail address or a name.',
  },
  chat: {
    signedOut: 'You are signed out.',
    environmentChosen: 'You are now working in {environment}. Type "list" or "reset <name>".',
    incomplete: 'Name an employee too, for example: {example}',
    incompleteExamples: { find: 'find mus', reset: 'reset jmus', mail: 'mail jmus' },
    working: 'Resetting and mailing for {name}…',
    dialogTitle: 'Password Reset',
    passwordChosen: '{name} has chosen a new password: the temporary password you reset no longer works.',
    passwordExpired: 'The temporary password of {name} was not used within {duration} and has been replaced by one nobody knows. Reset it again if {name} still needs one.',
  },
  history: {
    title: 'Recent activity in {environment}',
    empty: 'Nothing recorded yet.',
    by: 'by {admin}',
    to: 'to {recipient}',
    unknown: 'unknown',
    actions: {
      reset: 'Reset',
      mail: 'Mail password',
      'notice-mail': 'Notice mail',
      'sign-in': 'Sign-in',
      'password-chosen': 'Employee chose a password',
      expire: 'Unused temporary password replaced',
    },
    outcomes: {
      intent: 'started',
      success: 'done',
      refused: 'refused',
      failed: 'failed',
      unknown: 'no answer (unknown)',
      applied: 'applied (checked afterwards)',
      'not-applied': 'not applied (checked afterwards)',
    },
  },
};

/** The shape every language must have: a key missing (or extra) in one language does not compile. */
export type Texts = typeof EN;

const NL: Texts = {
  common: {
    reset: 'Reset',
    mailPassword: 'Wachtwoord mailen',
    choose: 'Kiezen',
    irreversible: 'Dit proces is onomkeerbaar.',
    columns: COLUMNS,
    status: {
      disabled: 'uitgeschakeld',
      lockedOut: 'vergrendeld',
      passwordExpired: 'wachtwoord verlopen',
      mustChange: 'moet wachtwoord wijzigen',
    },
    statusLine: 'Status: {status}',
    none: '—',
    reference: 'Referentie: {reference}',
  },
  signIn: {
    title: 'Aanmelden',
    intro:
      'Meld u aan met uw eigen directory-account: de gebruikersnaam en het wachtwoord waarmee u ook inlogt op de applicaties in de cloud.',
    loginLabel: 'Gebruikersnaam (UPN of DOMEIN\\naam)',
    loginPlaceholder: 'naam@bedrijf.nl of DOMEIN\\naam',
    loginRequired: 'Vul uw gebruikersnaam in.',
    passwordLabel: 'Wachtwoord',
    passwordRequired: 'Vul uw wachtwoord in.',
    privacy: 'Uw wachtwoord wordt alleen gebruikt om te controleren wie u bent. Het wordt niet opgeslagen.',
    submit: 'Aanmelden',
    pending: 'Zodra u bent aangemeld, doe ik wat u vroeg: "{command}".',
  },
  environmentPicker: {
    title: 'Kies een omgeving',
    intro: 'U beheert meer dan één omgeving. Kies de omgeving waarin u wilt werken.',
    current: 'huidige',
    choose: 'Kiezen',
  },
  employeeList: {
    title: 'Medewerkers van {environment}',
    page: 'Pagina {page}',
    pageWithSearch: 'Pagina {page} · zoekopdracht: {search}',
    searchPlaceholder: 'Naam, UPN of pre-Windows-naam',
    search: 'Zoeken',
    previous: 'Vorige',
    next: 'Volgende',
    empty: 'Geen medewerkers gevonden.',
    emptySearch: 'Geen medewerkers gevonden voor {search}.',
  },
  employee: {
    title: 'Wachtwoord resetten',
    resetExplain:
      'Reset: u krijgt een nieuw tijdelijk wachtwoord dat u zelf doorgeeft, bijvoorbeeld als de medewerker niet bij de mailbox kan.',
    mailExplain: 'Wachtwoord mailen: het tijdelijke wachtwoord wordt naar de medewerker gemaild, in het Nederlands of Engels.',
  },
  mailForm: {
    title: 'Wachtwoord resetten en mailen',
    addressLabel: 'Adres',
    addressPlaceholder: 'naam@bedrijf.nl',
    addressRequired: 'Vul een e-mailadres in.',
    addressHint: 'Heeft de medewerker geen toegang tot de zakelijke mail? Dan kunt u een ander e-mailadres gebruiken.',
    languageLabel: 'Taal',
    languageNl: 'NL',
    languageEn: 'EN',
    submit: 'Reset',
  },
  mailOutcome: {
    title: 'Wachtwoord gemaild',
    body: 'Het tijdelijke wachtwoord van {name} is om {time} gemaild naar {recipient}.',
    mustChange: 'De medewerker moet het bij de eerste aanmelding wijzigen: het tijdelijke wachtwoord werkt maar één keer.',
    notice: 'Er is een melding zonder wachtwoord naar het eigen adres van de medewerker gestuurd.',
  },
  mailFailed: {
    title: 'Wachtwoord gereset, maar de mail is mislukt',
    body: 'Het wachtwoord van {name} IS om {time} gereset, maar de mail naar {recipient} kon niet worden verstuurd.',
    reason: 'Reden: {error}',
    whatNow:
      'Niemand heeft dat wachtwoord gezien en het wordt niet bewaard. Wachtwoord tonen stelt een nieuw tijdelijk wachtwoord in en toont het één keer, in een dialoog, zodat u het kunt doorgeven.',
    reveal: 'Wachtwoord tonen',
  },
  resetDone: {
    title: 'Wachtwoord gereset',
    body: 'Wachtwoord van {name} is om {time} door u gereset.',
    note: 'Het tijdelijke wachtwoord wordt niet bewaard. De medewerker moet het bij de eerste aanmelding wijzigen.',
  },
  resetStatus: {
    unknownTitle: 'Wachtwoordwijziging niet bevestigd',
    unknownBody: 'De directory antwoordde niet op tijd: het wachtwoord van {name} is misschien wel, misschien niet gewijzigd. Controleer het opnieuw.',
    unknownNote: 'Niemand heeft een nieuw wachtwoord gezien. Opnieuw controleren vraagt de directory wat er is gebeurd.',
    unknownInDialog: 'Gebruik Opnieuw controleren op de kaart in de chat.',
    pendingTitle: 'Nog niet bekend',
    pendingBody: 'Mogelijk verwerkt de directory de wijziging van het wachtwoord van {name} nog. Controleer het zo opnieuw.',
    uncheckedTitle: 'Controleren lukte niet',
    uncheckedBody: 'De directory kon niet worden gevraagd wat er met de wachtwoordwijziging is gebeurd. Controleer het zo opnieuw.',
    reason: 'Reden: {error}',
    appliedTitle: 'Het wachtwoord is gewijzigd',
    appliedBody: 'Het wachtwoord van {name} IS gewijzigd om {time}.',
    appliedBodyNoTime: 'Het wachtwoord van {name} IS gewijzigd.',
    appliedNote:
      'Niemand heeft dat wachtwoord gezien (de medewerker moet het bij de eerste aanmelding toch wijzigen), dus niemand kan het gebruiken. Reset opnieuw om een wachtwoord te krijgen dat u kunt doorgeven.',
    notAppliedTitle: 'Het wachtwoord is niet gewijzigd',
    notAppliedBody: 'Het wachtwoord van {name} is niet gewijzigd: het oude wachtwoord werkt nog.',
    notAppliedNote: 'Reset opnieuw als de medewerker nog een nieuw wachtwoord nodig heeft.',
    check: 'Opnieuw controleren',
  },
  passwordDialog: {
    title: 'Tijdelijk wachtwoord',
    heading: 'Tijdelijk wachtwoord voor {name}',
    mustChange: 'De medewerker moet het bij de eerste aanmelding wijzigen: het werkt maar één keer.',
    copyHint: 'Selecteer het wachtwoord om het te kopiëren. Het wordt alleen nu getoond en niet bewaard.',
    close: 'Sluiten',
  },
  picker: {
    title: 'Meerdere medewerkers gevonden',
    introReset: 'Kies de medewerker van wie u het wachtwoord wilt resetten.',
    introMail: 'Kies de medewerker van wie u het wachtwoord wilt mailen.',
    more: 'Alleen de eerste {count} worden getoond. Typ meer van de naam om te verfijnen.',
    choose: 'Kiezen',
  },
  help: {
    title: 'Wat ik kan',
    intro: 'Typ een opdracht, of gebruik de knoppen op de kaarten.',
    commands: HELP_COMMANDS.map(([, , usage, description]) => ({ usage, description })),
    footer:
      '<gebruiker> is een pre-Windows-naam (jmus of sbf_jmus), een UPN, een e-mailadres of een naam. De Engelse opdrachten (list, find, signin, signout, env, history) werken ook.',
  },
  chat: {
    signedOut: 'U bent afgemeld.',
    environmentChosen: 'U werkt nu in de omgeving {environment}. Typ "lijst" of "reset <naam>".',
    incomplete: 'Noem ook een medewerker, bijvoorbeeld: {example}',
    incompleteExamples: { find: 'zoek mus', reset: 'reset jmus', mail: 'mail jmus' },
    working: 'Bezig met resetten en mailen voor {name}…',
    dialogTitle: 'Wachtwoord resetten',
    passwordChosen: '{name} heeft een nieuw wachtwoord gekozen: het tijdelijke wachtwoord dat u resette werkt niet meer.',
    passwordExpired: 'Het tijdelijke wachtwoord van {name} is niet binnen {duration} gebruikt en is vervangen door een wachtwoord dat niemand kent. Reset opnieuw als {name} er nog een nodig heeft.',
  },
  history: {
    title: 'Recente activiteit in {environment}',
    empty: 'Nog niets vastgelegd.',
    by: 'door {admin}',
    to: 'naar {recipient}',
    unknown: 'onbekend',
    actions: {
      reset: 'Reset',
      mail: 'Wachtwoord mailen',
      'notice-mail': 'Melding gemaild',
      'sign-in': 'Aanmelding',
      'password-chosen': 'Medewerker koos een wachtwoord',
      expire: 'Ongebruikt tijdelijk wachtwoord vervangen',
    },
    outcomes: {
      intent: 'gestart',
      success: 'gelukt',
      refused: 'geweigerd',
      failed: 'mislukt',
      unknown: 'geen antwoord (onbekend)',
      applied: 'doorgevoerd (achteraf gecontroleerd)',
      'not-applied': 'niet doorgevoerd (achteraf gecontroleerd)',
    },
  },
};

export const TEXTS = translations<Texts>({ en: EN, nl: NL });
