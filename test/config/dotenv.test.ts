import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DotEnvError, mergeEnvironment, parseDotEnv, readDotEnv } from '../../src/config/dotenv.js';
import { removeTempDirs, tempDir } from '../package/helpers.js';

afterAll(removeTempDirs);

describe('.env', () => {
  it('reads KEY=VALUE lines, comments, quotes and export', () => {
    const text = [
      '\uFEFF# a comment',
      '',
      'BOT_ID=6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
      '  BOT_DOMAIN = bot.example.net   # the endpoint host',
      'export TEAMS_APP_ID="0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"',
      "SINGLE='a # not a comment'",
      'DOUBLE="line\\nbreak \\"quoted\\"" # comment',
      'EMPTY=',
      'HASH=abc#def',
      'DUP=first',
      'DUP=second',
    ].join('\r\n');
    expect(parseDotEnv(text)).toEqual({
      BOT_ID: '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
      BOT_DOMAIN: 'bot.example.net',
      TEAMS_APP_ID: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d',
      SINGLE: 'a # not a comment',
      DOUBLE: 'line\nbreak "quoted"',
      EMPTY: '',
      HASH: 'abc#def',
      DUP: 'second',
    });
  });

  it.each([
    ['NOT A LINE', 'line 2: is not KEY=VALUE'],
    ['KEY="unterminated secret', 'line 2: the quoted value has no closing quote'],
    ["KEY='secret' trailing", 'line 2: there is text after the closing quote'],
  ])('names the line of %j without echoing it', (line, message) => {
    try {
      parseDotEnv(`OK=1\n${line}`);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DotEnvError);
      expect((error as Error).message.startsWith(`.env ${message}`)).toBe(true);
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it('treats a missing file as empty', () => {
    expect(readDotEnv(join(tempDir(), '.env'))).toEqual({});
  });

  it('reads a file', () => {
    const file = join(tempDir(), '.env');
    writeFileSync(file, 'BOT_ID=x\n');
    expect(readDotEnv(file)).toEqual({ BOT_ID: 'x' });
  });

  it('lets the environment win, except with empty values', () => {
    expect(mergeEnvironment({ A: 'file', B: 'file', C: 'file' }, { A: 'env', B: '', D: 'env', E: undefined })).toEqual({
      A: 'env',
      B: 'file',
      C: 'file',
      D: 'env',
    });
  });
});
