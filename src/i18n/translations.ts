/**
 * The one translation mechanism: every text a user reads (chat, cards, mails, error sentences)
 * comes from a table with one entry per language, filled with `fill`.
 */
import { deepFreeze } from '../util/deep-freeze.js';

export const LANGUAGES = ['nl', 'en'] as const;

export type Language = (typeof LANGUAGES)[number];

/** The same texts, of shape T, in every language. */
export type Translations<T> = Readonly<Record<Language, T>>;

/**
 * A frozen table of texts per language. Type the languages as one shape (`const NL: Texts = …`
 * with `type Texts = typeof EN`), so that a key missing or extra in one language does not compile.
 */
export function translations<T>(table: Translations<T>): Translations<T> {
  return deepFreeze(table);
}

/**
 * Fills `{name}` placeholders in one pass, so a value that itself contains `{time}` stays as it is.
 * Unknown placeholders are left in place (tests check that every language uses the same ones).
 */
export function fill(text: string, values: Readonly<Record<string, string | number>>): string {
  return text.replace(/\{([a-zA-Z]+)\}/g, (whole, key: string) => {
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    return value === undefined ? whole : String(value);
  });
}
