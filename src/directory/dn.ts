/**
 * Distinguished names parsed per RFC 4514 §3, so that "is this DN inside that OU" is decided on
 * parsed, normalised RDNs and never by a string suffix (`CN=x,OU=Hosting2,…` must not pass for
 * `OU=Hosting,…`, nor an escaped comma inside a value).
 *
 * Beyond RFC 4514 we tolerate spaces around `=`, `,` and `+`, as LDAPv2 (RFC 1779) DNs wrote them:
 * AD returns DNs without them, but base DNs in the config are typed by people. We do not take over
 * LDAPv2's `;` separator or quoted values: an unescaped `;` or `"` is a syntax error, so that a DN
 * can never be read in two ways.
 */

/**
 * One RDN, normalised: attribute type lower-cased (known OIDs replaced by their short name), value
 * unescaped, lower-cased (AD compares DNs case-insensitively), and escaped again in one canonical
 * RFC 4514 §2.4 form, so `CN=a\+UID=b` stays distinct from `CN=a+UID=b`. Multi-valued RDNs are sorted.
 */
export type Rdn = string;

export class DnSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnSyntaxError';
  }
}

/** RFC 4514 §3: the names an OID may be written for, so `2.5.4.3=x` equals `CN=x`. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'cn',
  '2.5.4.7': 'l',
  '2.5.4.8': 'st',
  '2.5.4.10': 'o',
  '2.5.4.11': 'ou',
  '2.5.4.6': 'c',
  '2.5.4.9': 'street',
  '0.9.2342.19200300.100.1.25': 'dc',
  '0.9.2342.19200300.100.1.1': 'uid',
};

/** descr (RFC 4512) or numericoid: two or more numbers without leading zeros. */
const ATTRIBUTE_TYPE = /[A-Za-z][A-Za-z0-9-]*|(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))+/y;
const HEX_STRING = /#((?:[0-9A-Fa-f]{2})+)/y;
const HEX_PAIR = /[0-9A-Fa-f]{2}/y;
/** Characters that may follow a backslash as themselves (RFC 4514 `special`). */
const ESCAPABLE = '"+,;<>\\ #=';
/** Characters a value may only hold escaped (RFC 4514 excludes them from `stringchar`). */
const NEEDS_ESCAPE = '";<>\0';
/** One or more characters that are neither special here nor need an escape. */
const PLAIN_RUN = /[^\\,+";<>\0]+/y;

// fatal: hex escapes must spell valid UTF-8; ignoreBOM: a leading U+FEFF is value, not a marker.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function matchAt(pattern: RegExp, text: string, pos: number): RegExpExecArray | null {
  pattern.lastIndex = pos;
  return pattern.exec(text);
}

/** RFC 4514 §2.4, so that equal values always produce equal strings and different ones never do. */
function escapeValue(value: string): string {
  return value
    .replace(/["+,;<>\\]/g, '\\$&')
    .replace(/\0/g, '\\00')
    .replace(/^[ #]| $/g, '\\$&');
}

/** Parses a DN into normalised RDNs, most specific first. Throws DnSyntaxError. */
export function parseDn(dn: string): Rdn[] {
  let pos = 0;
  const fail = (what: string): never => {
    throw new DnSyntaxError(`${what} at character ${pos + 1} of the DN`);
  };
  // Only U+0020 is insignificant (RFC 4514); tabs and the like are value characters.
  const skipSpaces = () => {
    while (dn[pos] === ' ') pos++;
  };

  const readType = (): string => {
    const match = matchAt(ATTRIBUTE_TYPE, dn, pos) ?? fail('expected an attribute type');
    pos += match[0].length;
    const type = match[0].toLowerCase();
    return SHORT_NAMES[type] ?? type;
  };

  /** A leading `#` is a BER value in hex, compared as written but in lower case. */
  const readHexString = (): string => {
    const match = matchAt(HEX_STRING, dn, pos) ?? fail('expected an even number of hex digits after "#"');
    pos += match[0].length;
    skipSpaces();
    if (pos < dn.length && dn[pos] !== ',' && dn[pos] !== '+') fail('unexpected character after a hex value');
    return match[0].toLowerCase();
  };

  /**
   * Reads up to an unescaped `,` or `+` or the end. Hex escapes are bytes: each run of them is
   * decoded as UTF-8 on its own (a character written as itself cannot complete a sequence begun in
   * hex, since its own encoding starts with a lead byte).
   */
  const readString = (): string => {
    let value = '';
    let significant = 0; // length of `value` up to the last character that is not an unescaped space
    let bytes: number[] = [];
    const decodeBytes = () => {
      if (bytes.length === 0) return;
      try {
        value += utf8.decode(new Uint8Array(bytes));
      } catch {
        fail('hex escapes that are not UTF-8');
      }
      bytes = [];
      significant = value.length; // escaped characters count, even an escaped space
    };
    while (pos < dn.length && dn[pos] !== ',' && dn[pos] !== '+') {
      const c = dn[pos] as string;
      if (c === '\\') {
        const hex = matchAt(HEX_PAIR, dn, pos + 1);
        if (hex) {
          bytes.push(parseInt(hex[0], 16));
          pos += 3;
          continue;
        }
        decodeBytes();
        const next = dn[pos + 1];
        if (next === undefined || !ESCAPABLE.includes(next)) {
          fail(next === undefined ? 'trailing backslash' : 'backslash before a character that needs no escape');
        }
        value += next;
        significant = value.length;
        pos += 2;
      } else {
        decodeBytes();
        if (NEEDS_ESCAPE.includes(c)) fail(`unescaped ${JSON.stringify(c)}`);
        // A run of characters written as themselves, at once.
        const run = (matchAt(PLAIN_RUN, dn, pos) as RegExpExecArray)[0];
        value += run;
        const spaces = run.length - run.replace(/ +$/, '').length;
        if (spaces < run.length) significant = value.length - spaces;
        pos += run.length;
      }
    }
    decodeBytes();
    return value.slice(0, significant);
  };

  const readAva = (): string => {
    skipSpaces();
    const type = readType();
    skipSpaces();
    if (dn[pos] !== '=') fail('expected "="');
    pos++;
    skipSpaces();
    const value = dn[pos] === '#' ? readHexString() : escapeValue(readString().toLowerCase());
    return `${type}=${value}`;
  };

  skipSpaces();
  if (pos === dn.length) return [];
  const rdns: Rdn[] = [];
  let avas: string[] = [];
  for (;;) {
    avas.push(readAva());
    if (dn[pos] === '+') {
      pos++;
      continue;
    }
    rdns.push(avas.sort().join('+'));
    avas = [];
    if (pos === dn.length) return rdns;
    pos++; // a ',': readAva stops only there, at a '+' or at the end
  }
}

/** Base DNs come from the settings (a few): each is parsed once. */
const parsedBases = new Map<string, readonly Rdn[]>();
function parsedBase(base: string): readonly Rdn[] {
  let rdns = parsedBases.get(base);
  if (!rdns) {
    rdns = parseDn(base);
    if (parsedBases.size >= 256) parsedBases.clear();
    parsedBases.set(base, rdns);
  }
  return rdns;
}

/** True when `dn` equals `base` or lies beneath it. */
export function isDnWithin(dn: string, base: string): boolean {
  const child = parseDn(dn);
  const parent = parsedBase(base);
  if (parent.length === 0 || child.length < parent.length) return false;
  const offset = child.length - parent.length;
  return parent.every((rdn, i) => child[offset + i] === rdn);
}

export function dnEquals(a: string, b: string): boolean {
  const pa = parseDn(a);
  const pb = parseDn(b);
  return pa.length === pb.length && pa.every((rdn, i) => pb[i] === rdn);
}
