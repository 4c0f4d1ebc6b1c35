/**
 * The process environment, with a `.env` file in the working directory filling what it leaves
 * unset. This module and config.ts are the only places that read `process.env`.
 *
 * Node's own parser (`util.parseEnv`) reads the file. It skips a line it cannot read without a
 * word, so a typo such as `LDAP_URL: ldaps://…` would only show up later as "LDAP_URL is required":
 * each line must therefore be blank, a `#` comment or `NAME=value` (one setting per line).
 * Errors name the file and the line, never its text: a .env file holds secrets.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

export class DotEnvError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(line > 0 ? `${file} line ${line}: ${reason}` : `${file}: ${reason}`);
    this.name = 'DotEnvError';
  }
}

const SETTING_LINE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/;

/** Reads `file` if it exists; a missing file is an empty one. */
export function readDotEnv(file: string): Record<string, string> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new DotEnvError(file, 0, 'cannot be read');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // drops a leading BOM too
  } catch {
    throw new DotEnvError(file, 0, 'is not UTF-8 text');
  }
  const lines = text.split(/\r?\n/);
  const bad = lines.findIndex((line) => line.trim() !== '' && !line.trim().startsWith('#') && !SETTING_LINE.test(line));
  if (bad >= 0) throw new DotEnvError(file, bad + 1, 'is not NAME=value (one setting per line)');
  return Object.fromEntries(
    Object.entries(parseEnv(text)).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/**
 * `.env` values, overridden by the process environment. An empty variable counts as unset (as in
 * config.ts), so it does not hide a .env value.
 */
export function mergeEnvironment(
  dotEnv: Readonly<Record<string, string>>,
  processEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...dotEnv };
  for (const [key, value] of Object.entries(processEnv)) {
    if (value !== undefined && value !== '') merged[key] = value;
  }
  return merged;
}

export function readEnvironment(dotEnvFile = '.env'): Record<string, string> {
  return mergeEnvironment(readDotEnv(dotEnvFile), process.env);
}
