/**
 * What an admin types, parsed into a command. Case-insensitive, Dutch words too; the bot's
 * @mention is stripped before (by teams-ai) and again here in case a client leaves `<at>` tags.
 */
import type { Language } from '../i18n/translations.js';

export type Command =
  | { readonly name: 'help' }
  | { readonly name: 'list'; readonly page: number; readonly asked: number }
  | { readonly name: 'find'; readonly text: string }
  | { readonly name: 'reset'; readonly user: string }
  | { readonly name: 'status'; readonly user: string }
  | { readonly name: 'unlock'; readonly user: string }
  | { readonly name: 'mail'; readonly user: string; readonly address?: string; readonly language?: Language }
  | { readonly name: 'signin' }
  | { readonly name: 'signout' }
  | { readonly name: 'env'; readonly environment?: string }
  | { readonly name: 'history'; readonly user?: string; readonly page: number }
  | { readonly name: 'unknown'; readonly word: string; readonly text: string }
  | { readonly name: 'incomplete'; readonly command: 'find' | 'reset' | 'mail' | 'status' | 'unlock' };

const ALIASES: Record<string, Command['name']> = {
  help: 'help',
  hulp: 'help',
  '?': 'help',
  list: 'list',
  lijst: 'list',
  find: 'find',
  search: 'find',
  zoek: 'find',
  zoeken: 'find',
  reset: 'reset',
  status: 'status',
  unlock: 'unlock',
  ontgrendel: 'unlock',
  ontgrendelen: 'unlock',
  mail: 'mail',
  signin: 'signin',
  login: 'signin',
  aanmelden: 'signin',
  inloggen: 'signin',
  signout: 'signout',
  logout: 'signout',
  afmelden: 'signout',
  uitloggen: 'signout',
  env: 'env',
  environment: 'env',
  omgeving: 'env',
  history: 'history',
  geschiedenis: 'history',
};

const MAX_PAGE = 50;

export function stripMentions(text: string): string {
  return text.replace(/<at>[^<]*<\/at>/gi, ' ').replace(/&nbsp;/g, ' ');
}

export function parseCommand(input: string): Command {
  const words = stripMentions(input).trim().split(/\s+/).filter(Boolean);
  const [first = '', ...rest] = words;
  const name = ALIASES[first.toLowerCase()];
  const tail = rest.join(' ');
  switch (name) {
    case 'help':
    case 'signin':
    case 'signout':
      return { name };
    case 'list': {
      const page = Number.parseInt(rest[0] ?? '1', 10);
      const valid = Number.isFinite(page) && page >= 1;
      // `asked` is what was typed (for "there is no page 99"); no more than MAX_PAGE pages are walked.
      return { name, page: valid ? Math.min(page, MAX_PAGE) : 1, asked: valid ? Math.min(page, 1_000_000) : 1 };
    }
    case 'find':
      return tail ? { name, text: tail } : { name: 'incomplete', command: 'find' };
    case 'reset':
    case 'status':
    case 'unlock':
      return tail ? { name, user: tail } : { name: 'incomplete', command: name };
    case 'mail': {
      if (rest.length === 0) return { name: 'incomplete', command: 'mail' };
      // mail <user> [address] [nl|en]: the language is the last word when it is one; an address has an @.
      const parts = [...rest];
      let language: Language | undefined;
      const last = parts[parts.length - 1]?.toLowerCase();
      if (parts.length > 1 && (last === 'nl' || last === 'en')) {
        language = last;
        parts.pop();
      }
      let address: string | undefined;
      if (parts.length > 1 && parts[parts.length - 1]?.includes('@')) address = parts.pop();
      return { name, user: parts.join(' '), ...(address ? { address } : {}), ...(language ? { language } : {}) };
    }
    case 'env':
      return tail ? { name, environment: tail } : { name };
    case 'history': {
      // history [user] [page]: a last word of digits is the page.
      const parts = [...rest];
      const last = parts[parts.length - 1] ?? '';
      const page = /^\d{1,4}$/.test(last) ? Math.max(1, Number(parts.pop())) : 1;
      return parts.length > 0 ? { name, user: parts.join(' '), page } : { name, page };
    }
    default:
      return { name: 'unknown', word: first, text: words.join(' ') };
  }
}
