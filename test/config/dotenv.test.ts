import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DotEnvError, mergeEnvironment, readDotEnv, readEnvironment } from '../../src/config/environment.js';
import { removeTempDirs, tempDir } from '../package/helpers.js';

afterAll(removeTempDirs);
afterEach(() => {
  vi.unstubAllEnvs();
});

function envFile(text: string | Uint8Array): string {
  const file = join(tempDir(), '.env');
  writeFileSync(file, text);
  return file;
}

/** Reads the file and returns its DotEnvError (failing the test when there is none). */
function failure(file: string): DotEnvError {
  try {
    readDotEnv(file);
  } catch (error) {
    expect(error).toBeInstanceOf(DotEnvError);
    return error as DotEnvError;
  }
  throw new Error('expected the .env file to be refused');
}

describe('.env', () => {
  it('reads NAME=value lines with comments, quotes, export, CRLF and a BOM', () => {
    const file = envFile(
      [
        '\uFEFF# a comment',
        '',
        'BOT_ID=6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
        '  BOT_DOMAIN = bot.example.net   # the endpoint host',
        'export TEAMS_APP_ID="0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"',
        "SINGLE='a # not a comment'",
        'DOUBLE="line\\nbreak"',
        'EMPTY=',
        'DUP=first',
        'DUP=second',
      ].join('\r\n'),
    );
    expect(readDotEnv(file)).toEqual({
      BOT_ID: '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
      BOT_DOMAIN: 'bot.example.net',
      TEAMS_APP_ID: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
      SINGLE: 'a # not a comment',
      DOUBLE: 'line\nbreak',
      EMPTY: '',
      DUP: 'second',
    });
  });

  it.each([
    ['BOT_PASSWORD "secret"'],
    ['LDAP_BIND_PASSWORD: secret'],
    ['secret'],
    ['2FA=secret'],
  ])('refuses the line %j, naming the file and the line without echoing it', (line) => {
    const file = envFile(`OK=1\n${line}\nLATER=2\n`);
    const error = failure(file);
    expect(error.message).toBe(`${file} line 2: is not NAME=value (one setting per line)`);
    expect(error.message).not.toContain('secret');
  });

  it('refuses a file that is not UTF-8 text, naming it', () => {
    const file = envFile(Uint8Array.from([...Buffer.from('BOT_PASSWORD=s'), 0xff, 0xfe, 0x0a]));
    expect(failure(file).message).toBe(`${file}: is not UTF-8 text`);
  });

  it('refuses a file it cannot read, naming it', () => {
    const file = join(tempDir(), '.env');
    mkdirSync(file);
    expect(failure(file).message).toBe(`${file}: cannot be read`);
  });

  it('treats a missing file as empty', () => {
    expect(readDotEnv(join(tempDir(), '.env'))).toEqual({});
  });

  it('lets the environment win, except with empty values', () => {
    expect(mergeEnvironment({ A: 'file', B: 'file', C: 'file' }, { A: 'env', B: '', D: 'env', E: undefined })).toEqual({
      A: 'env',
      B: 'file',
      C: 'file',
      D: 'env',
    });
  });

  it('readEnvironment fills from .env only what the process environment leaves unset', () => {
    const file = envFile('DOTENV_TEST_A=file\nDOTENV_TEST_B=file\nDOTENV_TEST_C=file\n');
    vi.stubEnv('DOTENV_TEST_A', 'process');
    vi.stubEnv('DOTENV_TEST_B', '');
    const env = readEnvironment(file);
    expect([env['DOTENV_TEST_A'], env['DOTENV_TEST_B'], env['DOTENV_TEST_C']]).toEqual(['process', 'file', 'file']);
  });
});
