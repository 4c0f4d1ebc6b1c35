import { describe, expect, it } from 'vitest';
import { DnSyntaxError, dnEquals, isDnWithin, parseDn } from '../../src/directory/dn.js';

const HOSTING = 'OU=Hosting,DC=corp,DC=test';

describe('parseDn', () => {
  it('returns normalised RDNs, most specific first', () => {
    expect(parseDn('CN=Jan,OU=Hosting,DC=corp,DC=test')).toEqual(['cn=jan', 'ou=hosting', 'dc=corp', 'dc=test']);
  });

  it('keeps the first RDN of an objectCategory comparable with a plain string', () => {
    expect(parseDn('CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=test')[0]).toBe('cn=person');
  });

  it('parses an empty or blank DN as no RDNs', () => {
    expect(parseDn('')).toEqual([]);
    expect(parseDn('   ')).toEqual([]);
  });

  it('writes each RDN in a canonical form that parses back to itself', () => {
    for (const dn of [
      `CN=Zz Trailing\\ ,${HOSTING}`,
      'CN=\\ ,CN=\\ \\ ,CN=\\#x,CN=#04024869,CN=a\\+UID=b+L=c',
      'CN=\\"\\;\\<\\>\\\\\\00=#,CN=Vries\\, Jan',
    ]) {
      const rdns = parseDn(dn);
      expect(parseDn(rdns.join(','))).toEqual(rdns);
    }
  });

  it('keeps characters outside the BMP and a leading byte-order mark', () => {
    expect(dnEquals('CN=\\F0\\9F\\94\\91', 'CN=\u{1F511}')).toBe(true);
    expect(dnEquals('CN=\\EF\\BB\\BFx', 'CN=x')).toBe(false);
  });

  it('accepts an empty value', () => {
    expect(parseDn('CN=,DC=test')).toEqual(['cn=', 'dc=test']);
  });
});

describe('spaces', () => {
  it('an escaped trailing space is part of the value', () => {
    const dn = `CN=Zz Trailing\\ ,${HOSTING}`;
    expect(isDnWithin(dn, HOSTING)).toBe(true);
    expect(dnEquals(dn, `CN=Zz Trailing,${HOSTING}`)).toBe(false);
    expect(dnEquals(dn, `CN=Zz Trailing\\20,${HOSTING}`)).toBe(true);
  });

  it('an escaped trailing space is the last DN character', () => {
    expect(dnEquals('CN=Zz Trailing\\ ', 'CN=Zz Trailing\\20')).toBe(true);
    expect(dnEquals('CN=Zz Trailing\\ ', 'CN=Zz Trailing')).toBe(false);
  });

  it('unescaped spaces after an escaped trailing space are insignificant', () => {
    expect(dnEquals(`CN=Zz Trailing\\   ,${HOSTING}`, `CN=Zz Trailing\\20,${HOSTING}`)).toBe(true);
  });

  it('an escaped leading space is part of the value', () => {
    expect(dnEquals('CN=\\ Lead,DC=test', 'CN=\\20Lead,DC=test')).toBe(true);
    expect(dnEquals('CN=\\ Lead,DC=test', 'CN=Lead,DC=test')).toBe(false);
    expect(dnEquals('CN=  \\ Lead,DC=test', 'CN=\\20Lead,DC=test')).toBe(true);
  });

  it('a value of escaped spaces only differs from an empty value', () => {
    expect(dnEquals('CN=\\ \\ ,DC=test', 'CN=\\20\\20,DC=test')).toBe(true);
    expect(dnEquals('CN=\\ ,DC=test', 'CN=,DC=test')).toBe(false);
  });

  it('spaces inside a value are kept', () => {
    expect(dnEquals('CN=Jan  de Vries', 'CN=Jan de Vries')).toBe(false);
    expect(dnEquals('CN=Jan de Vries', 'CN=jan DE vries')).toBe(true);
  });

  it('spaces around = , and + are tolerated as LDAPv2 DNs write them', () => {
    const typed = ' cn = Jan + uid = jv ,  OU = Hosting , DC=corp ,DC = test ';
    expect(dnEquals(typed, `CN=Jan+UID=jv,${HOSTING}`)).toBe(true);
  });

  it('only spaces are insignificant, not other whitespace', () => {
    expect(dnEquals('CN=Jan\t', 'CN=Jan')).toBe(false);
  });
});

describe('escapes', () => {
  it.each(['"', '+', ',', ';', '<', '>', '\\', ' ', '#', '='])('a backslash before %j makes it literal', (c) => {
    const hex = Buffer.from(c).toString('hex');
    expect(dnEquals(`CN=a\\${c}b`, `CN=a\\${hex}b`)).toBe(true);
  });

  it('hex-escaped specials equal their backslash-escaped form', () => {
    expect(dnEquals(`CN=Vries\\2C Jan,${HOSTING}`, `CN=Vries\\, Jan,${HOSTING}`)).toBe(true);
    expect(dnEquals('CN=a\\2bb', 'CN=a\\+b')).toBe(true);
  });

  it('hex escapes of an ordinary character equal the character', () => {
    expect(dnEquals('CN=\\4a\\61n', 'CN=Jan')).toBe(true);
  });

  it('consecutive hex escapes form one UTF-8 character', () => {
    expect(dnEquals('CN=Ren\\C3\\A9', 'CN=René')).toBe(true);
    expect(dnEquals('CN=\\E2\\82\\AC', 'CN=€')).toBe(true);
  });

  it('an escaped NUL is a value character', () => {
    expect(parseDn('CN=a\\00b')).toEqual(['cn=a\\00b']);
  });

  it('an escaped comma never splits an RDN', () => {
    expect(parseDn(`CN=Vries\\, Jan,${HOSTING}`)).toHaveLength(4);
    expect(isDnWithin(`CN=Vries\\, Jan,${HOSTING}`, HOSTING)).toBe(true);
    expect(isDnWithin(`CN=x\\,OU=Hosting,DC=corp,DC=test`, `OU=Hosting,${HOSTING}`)).toBe(false);
  });

  it('an escaped plus is not a multi-valued RDN', () => {
    expect(dnEquals('CN=a\\+UID=b', 'CN=a+UID=b')).toBe(false);
    expect(parseDn('CN=a\\+UID=b')).toHaveLength(1);
  });

  it('an escaped # is a literal #, not a hex string', () => {
    expect(dnEquals('CN=\\#04024869', 'CN=#04024869')).toBe(false);
    expect(dnEquals('CN=\\#1', 'CN=\\231')).toBe(true);
  });

  it('a # inside a value needs no escape', () => {
    expect(dnEquals('CN=a#1', 'CN=a\\#1')).toBe(true);
  });

  it('an = inside a value needs no escape', () => {
    expect(dnEquals('CN=a=b', 'CN=a\\=b')).toBe(true);
  });
});

describe('hex strings', () => {
  it('a leading # reads a BER hex string, compared in lower case', () => {
    expect(dnEquals('CN=#04024869,DC=test', 'cn=#04024869,dc=test')).toBe(true);
    expect(dnEquals('CN=#04024A69', 'CN=#04024a69')).toBe(true);
  });

  it('a hex string differs from the string it encodes', () => {
    expect(dnEquals('CN=#04024869', 'CN=Hi')).toBe(false);
  });

  it('a hex string may be followed by spaces and another RDN', () => {
    expect(isDnWithin('CN=#04024869  , OU=Hosting,DC=corp,DC=test', HOSTING)).toBe(true);
  });

  it.each(['CN=#', 'CN=#0', 'CN=#040', 'CN=#04zz', 'CN=#0402 69', 'CN=#04\\02'])('rejects the malformed hex string %j', (dn) => {
    expect(() => parseDn(dn)).toThrow(DnSyntaxError);
  });
});

describe('syntax errors', () => {
  it.each([
    ['a trailing lone backslash', 'CN=a\\'],
    ['a backslash before an ordinary character', 'CN=a\\qb'],
    ['a backslash before one hex digit', 'CN=a\\4'],
    ['hex escapes that are not UTF-8', 'CN=\\C3x'],
    ['a truncated UTF-8 sequence', 'CN=\\E2\\82'],
    ['an unescaped quote', 'CN="Vries, Jan"'],
    ['an unescaped semicolon', 'CN=a;OU=b'],
    ['an unescaped <', 'CN=<a'],
    ['an unescaped >', 'CN=a>'],
    ['an unescaped NUL', 'CN=a\u0000'],
    ['a missing =', 'CN'],
    ['a missing attribute type', '=x,DC=test'],
    ['an attribute type with a space inside', 'C N=x'],
    ['an attribute type starting with a digit that is no OID', '2cn=x'],
    ['an OID with one component', '2=x'],
    ['an OID with a leading zero', '2.05.4.3=x'],
    ['an empty RDN', 'CN=a,,DC=test'],
    ['a trailing comma', 'CN=a,'],
    ['a leading comma', ',CN=a'],
    ['an empty AVA', 'CN=a+,DC=test'],
  ])('rejects %s', (_, dn) => {
    expect(() => parseDn(dn)).toThrow(DnSyntaxError);
  });

  it('dnEquals and isDnWithin throw on a malformed DN', () => {
    expect(() => dnEquals('CN=a\\', 'CN=a')).toThrow(DnSyntaxError);
    expect(() => isDnWithin('CN=a;b', HOSTING)).toThrow(DnSyntaxError);
  });
});

describe('attribute types', () => {
  it('are case-insensitive', () => {
    expect(dnEquals('cn=Jan,ou=Hosting', 'CN=Jan,OU=Hosting')).toBe(true);
  });

  it('may be hyphenated names', () => {
    expect(parseDn('ms-DS-Thing=x')).toEqual(['ms-ds-thing=x']);
  });

  it('may be OIDs, equal to the RFC 4514 short name they stand for', () => {
    expect(dnEquals('2.5.4.3=Jan,2.5.4.11=Hosting,0.9.2342.19200300.100.1.25=corp', 'CN=Jan,OU=Hosting,DC=corp')).toBe(true);
    expect(dnEquals('1.2.840.113556.1.4.1=x', '1.2.840.113556.1.4.1=X')).toBe(true);
    expect(dnEquals('1.2.840.113556.1.4.1=x', 'CN=x')).toBe(false);
  });
});

describe('dnEquals', () => {
  it('compares values case-insensitively after unescaping', () => {
    expect(dnEquals('CN=RENÉ,DC=Test', 'cn=ren\\c3\\a9,dc=test')).toBe(true);
  });

  it('orders multi-valued RDNs regardless of how they were written', () => {
    expect(dnEquals('CN=a+UID=b,DC=test', 'UID=b+CN=a,DC=test')).toBe(true);
    expect(dnEquals('CN=a+UID=b', 'CN=a')).toBe(false);
  });

  it('distinguishes DNs of different lengths', () => {
    expect(dnEquals(`CN=x,${HOSTING}`, HOSTING)).toBe(false);
  });
});

describe('isDnWithin', () => {
  it('a DN is within itself and its ancestors', () => {
    expect(isDnWithin(HOSTING, HOSTING)).toBe(true);
    expect(isDnWithin(`CN=x,OU=Sub,${HOSTING}`, HOSTING)).toBe(true);
    expect(isDnWithin(`CN=x,${HOSTING}`, 'DC=TEST')).toBe(true);
  });

  it('a sibling OU whose name extends the base is not within it', () => {
    expect(isDnWithin('CN=x,OU=Hosting2,DC=corp,DC=test', HOSTING)).toBe(false);
    expect(isDnWithin('CN=x,OU=XHosting,DC=corp,DC=test', HOSTING)).toBe(false);
  });

  it('a parent is not within its child', () => {
    expect(isDnWithin('DC=corp,DC=test', HOSTING)).toBe(false);
  });

  it('nothing is within the empty DN', () => {
    expect(isDnWithin(HOSTING, '')).toBe(false);
  });

  it('a DN whose last RDN merely contains the base as escaped text is not within it', () => {
    expect(isDnWithin('CN=x\\,OU=Hosting\\,DC=corp\\,DC=test', HOSTING)).toBe(false);
  });

  it('a multi-valued RDN is not within a base that names only one of its values', () => {
    expect(isDnWithin('CN=x,OU=Hosting+L=Rotterdam,DC=corp,DC=test', HOSTING)).toBe(false);
  });
});
