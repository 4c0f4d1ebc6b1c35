/**
 * A strict reader for `.env` files: `KEY=VALUE` lines, `#` comments, blank lines, an optional
 * `export ` prefix, and values in single or double quotes (double quotes understand \n, \" and \\).
 * An unquoted value ends at ` #` (a comment). Later lines win over earlier ones.
 * Errors give the file's line number and never its text: a .env file holds secrets.
 */
import { readFileSync } from 'node:fs';

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

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

function unquote(raw: string, fail: (reason: string) => never): string {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") return raw.replace(/\s+#.*$/, '').trim();
  let value = '';
  let i = 1;
  for (; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === quote) break;
    if (quote === '"' && ch === '\\' && i + 1 < raw.length) {
      const next = raw[++i]!;
      value += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : next;
    } else {
      value += ch;
    }
  }
  if (i >= raw.length) fail('the quoted value has no closing quote (values must fit on one line)');
  const rest = raw.slice(i + 1).trim();
  if (rest !== '' && !rest.startsWith('#')) fail('there is text after the closing quote');
  return value;
}

export function parseDotEnv(text: string, file = '.env'): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fail = (reason: string): never => {
      throw new DotEnvError(file, index + 1, reason);
    };
    const match = LINE.exec(trimmed);
    if (!match) fail('is not KEY=VALUE');
    result[match![1]!] = unquote(match![2]!, fail);
  });
  return result;
}

/** Reads `file` if it exists; a missing file is an empty one. */
export function readDotEnv(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new DotEnvError(file, 0, 'cannot be read');
  }
  return parseDotEnv(text, file);
}

/**
 * The environment for the packager: `.env` values, overridden by the process environment.
 * An empty variable counts as unset (as in `config.ts`), so it does not hide a .env value.
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
