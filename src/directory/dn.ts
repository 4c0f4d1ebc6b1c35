/**
 * Distinguished names parsed per RFC 4514, so that "is this DN inside that OU" is decided on
 * parsed, normalised RDNs and never by a string suffix (`CN=x,OU=Hosting2,…` must not pass for
 * `OU=Hosting,…`, nor an escaped comma inside a value).
 */

/** One RDN, normalised: attribute type and value lower-cased, escapes resolved. Multi-valued RDNs are sorted. */
export type Rdn = string;

export class DnSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnSyntaxError';
  }
}

function decodeValue(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed.startsWith('#')) return trimmed.toLowerCase(); // BER-encoded form, compared as written
  let out = '';
  const bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i] as string;
    if (c !== '\\') {
      flushBytes();
      out += c;
      continue;
    }
    const next = trimmed.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(next)) {
      bytes.push(parseInt(next, 16));
      i += 2;
    } else if (i + 1 < trimmed.length) {
      flushBytes();
      out += trimmed[i + 1];
      i += 1;
    } else {
      throw new DnSyntaxError('trailing backslash');
    }
  }
  flushBytes();
  return out.toLowerCase();
}

/** Splits on separators that are not escaped. */
function splitUnescaped(input: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    if (c === '\\') {
      current += c + (input[i + 1] ?? '');
      i += 1;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function parseAva(ava: string): string {
  const eq = ava.indexOf('=');
  if (eq <= 0) throw new DnSyntaxError('attribute without "="');
  const type = ava.slice(0, eq).trim().toLowerCase();
  if (!/^([a-z][a-z0-9-]*|\d+(\.\d+)*)$/.test(type)) throw new DnSyntaxError('bad attribute type');
  return `${type}=${decodeValue(ava.slice(eq + 1))}`;
}

/** Parses a DN into normalised RDNs, most specific first. Throws DnSyntaxError. */
export function parseDn(dn: string): Rdn[] {
  if (dn.trim() === '') return [];
  return splitUnescaped(dn, ',').map((rdn) =>
    splitUnescaped(rdn, '+')
      .map(parseAva)
      .sort()
      .join('+'),
  );
}

/** True when `dn` equals `base` or lies beneath it. */
export function isDnWithin(dn: string, base: string): boolean {
  const child = parseDn(dn);
  const parent = parseDn(base);
  if (parent.length === 0 || child.length < parent.length) return false;
  const offset = child.length - parent.length;
  return parent.every((rdn, i) => child[offset + i] === rdn);
}

export function dnEquals(a: string, b: string): boolean {
  const pa = parseDn(a);
  const pb = parseDn(b);
  return pa.length === pb.length && pa.every((rdn, i) => pb[i] === rdn);
}
