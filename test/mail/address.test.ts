import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors/catalog.js';
import { mailAddressSchema, maskMailAddress, parseMailAddress } from '../../src/mail/address.js';

describe('parseMailAddress', () => {
  it.each([
    ['joman.mus@mijnsynergy.nl', 'joman.mus@mijnsynergy.nl'],
    ['a+b@x.nl', 'a+b@x.nl'],
    ['  joman.mus@mijnsynergy.nl \n', 'joman.mus@mijnsynergy.nl'],
    ['Joman.Mus@MijnSynergy.NL', 'Joman.Mus@mijnsynergy.nl'],
    ["o'brien_x-y@sub.example.co.uk", "o'brien_x-y@sub.example.co.uk"],
    ['a@xn--bcher-kva.de', 'a@xn--bcher-kva.de'],
    ['info@example.xn--p1ai', 'info@example.xn--p1ai'],
    [`${'a'.repeat(64)}@x.nl`, `${'a'.repeat(64)}@x.nl`],
    [`a@${'b'.repeat(63)}.nl`, `a@${'b'.repeat(63)}.nl`],
  ])('accepts %j', (input, expected) => {
    expect(parseMailAddress(input)).toBe(expected);
  });

  const longDomain = `a@${Array.from({ length: 5 }, () => 'x'.repeat(60)).join('.')}.nl`; // > 254, labels fine

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['two addresses with a comma', 'a@b.nl, c@d.nl'],
    ['two addresses with a semicolon', 'a@b.nl;c@d.nl'],
    ['quoted local part', '"x"@y.nl'],
    ['header injection', 'a@b.nl\r\nBcc: c@d.nl'],
    ['bare line feed', 'a@b.nl\nc@d.nl'],
    ['display name', 'Name <a@b.nl>'],
    ['angle brackets only', '<a@b.nl>'],
    ['comment', 'a@b.nl (comment)'],
    ['comment in local part', 'a(x)@b.nl'],
    ['IDN domain', 'a@bücher.de'],
    ['non-ASCII local part', 'jös@x.nl'],
    ['no dot in domain', 'a@localhost'],
    ['double dot in local part', 'a..b@x.nl'],
    ['leading dot', '.a@x.nl'],
    ['trailing dot in local part', 'a.@x.nl'],
    ['300 characters', `${'a'.repeat(290)}@x.nl`],
    ['domain over 254 characters', longDomain],
    ['local part of 65', `${'a'.repeat(65)}@x.nl`],
    ['label of 64', `a@${'b'.repeat(64)}.nl`],
    ['label starting with a hyphen', 'a@-x.nl'],
    ['label ending with a hyphen', 'a@x-.nl'],
    ['empty label', 'a@x..nl'],
    ['trailing dot in domain', 'a@x.nl.'],
    ['numeric TLD', 'a@1.2.3.4'],
    ['domain literal', 'a@[127.0.0.1]'],
    ['no @', 'a.x.nl'],
    ['two @', 'a@b@x.nl'],
    ['space inside', 'a b@x.nl'],
    ['tab inside', 'a\t@x.nl'],
    ['group syntax', 'undisclosed:a@b.nl;'],
    ['underscore in domain', 'a@x_y.nl'],
  ])('refuses %s', (_label, input) => {
    let thrown: unknown;
    try {
      parseMailAddress(input);
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown, 'MAIL_ADDRESS_INVALID')).toBe(true);
  });

  it('does not echo the input in the error', () => {
    try {
      parseMailAddress('geheim-adres@@x.nl');
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error, 'MAIL_ADDRESS_INVALID')).toBe(true);
      expect(String((error as Error).message)).not.toContain('geheim');
    }
  });

  it('exposes the zod schema', () => {
    expect(mailAddressSchema.parse(' a@X.NL ')).toBe('a@x.nl');
    expect(mailAddressSchema.safeParse('Name <a@b.nl>').success).toBe(false);
  });
});

describe('maskMailAddress', () => {
  it.each([
    ['joman.mus@mijnsynergy.nl', 'jo…@mijnsynergy.nl'],
    ['abc@x.nl', 'ab…@x.nl'],
    ['ab@x.nl', 'a…@x.nl'],
    ['a@x.nl', '…@x.nl'],
    ['Joman@X.NL', 'Jo…@x.nl'],
    ['nonsense', '…'],
  ])('%s → %s', (input, expected) => {
    expect(maskMailAddress(input)).toBe(expected);
  });
});
