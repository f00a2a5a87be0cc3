import { PkiError } from './errors.ts';

/** One attribute of a relative distinguished name; `type` is a dotted OID. */
export interface DnAttribute {
  type: string;
  value: string;
}
/** RDNs in ASN.1 order (most significant first, e.g. C before CN). */
export type DistinguishedName = DnAttribute[][];

const SHORT_NAMES: Record<string, string> = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  SERIALNUMBER: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  S: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  T: '2.5.4.12',
  I: '2.5.4.43',
  TITLE: '2.5.4.12',
  GN: '2.5.4.42',
  G: '2.5.4.42',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  E: '1.2.840.113549.1.9.1',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
};
const OID_TO_SHORT: Record<string, string> = {};
for (const [name, oid] of Object.entries(SHORT_NAMES)) OID_TO_SHORT[oid] ??= name;

export function attributeTypeOid(type: string): string {
  const t = type.trim().replace(/^oid\./i, '');
  if (/^\d+(\.\d+)+$/.test(t)) return t;
  const oid = SHORT_NAMES[t.toUpperCase()];
  if (oid === undefined) throw new PkiError('MALFORMED', `unknown DN attribute type ${type}`);
  return oid;
}

export function attributeShortName(oid: string): string {
  return OID_TO_SHORT[oid] ?? oid;
}

/** Splits on `sep` outside backslash escapes and double quotes (RFC 4514 §3). */
function splitUnescaped(s: string, seps: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[++i];
    } else if (ch === '"') {
      quoted = !quoted;
      cur += ch;
    } else if (!quoted && seps.includes(ch)) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (quoted) throw new PkiError('MALFORMED', 'unterminated quote in DN');
  parts.push(cur);
  return parts;
}

/**
 * Spaces around a value in the string form are not part of it, but an escaped one is
 * (RFC 4514 §2.4, §3): `CN=foo\ ` is "foo " while `CN=foo\\` is "foo\". Only unescaped
 * spaces are dropped, before escapes are decoded. (Unescaping first and trimming after
 * would make both "foo\": two different names equal. Threat: a pin or a CRL issuer
 * matching a name it does not name.) A trailing space is escaped when an odd number of
 * backslashes precedes it.
 */
function trimUnescaped(raw: string): string {
  let v = raw.replace(/^\s+/, '');
  while (v.length > 0 && /\s$/.test(v)) {
    const slashes = /\\*$/.exec(v.slice(0, -1))?.[0].length ?? 0;
    if (slashes % 2 === 1) break;
    v = v.slice(0, -1);
  }
  return v;
}

function unescapeValue(raw: string): string {
  let v = trimUnescaped(raw);
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < v.length; i++) {
    const ch = v[i] as string;
    if (ch === '\\' && /^[0-9a-fA-F]{2}$/.test(v.slice(i + 1, i + 3))) {
      bytes.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '\\' && i + 1 < v.length) {
      bytes.push(...enc.encode(v[++i]));
    } else if (ch === '\\') {
      throw new PkiError('MALFORMED', `DN value ends in a lone backslash: ${raw}`);
    } else {
      bytes.push(...enc.encode(ch));
    }
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes));
}

function parseAttribute(text: string): DnAttribute {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new PkiError('MALFORMED', `DN component without '=': ${text}`);
  return { type: attributeTypeOid(text.slice(0, eq)), value: unescapeValue(text.slice(eq + 1)) };
}

/**
 * Parses RFC 4514 (`CN=x,O=y,C=z`, least significant first) or the OpenSSL slash form
 * (`/C=z/O=y/CN=x`, most significant first) into ASN.1 order.
 */
export function parseDn(dn: string): DistinguishedName {
  const text = trimUnescaped(dn);
  if (text === '') return [];
  if (text.startsWith('/')) {
    return splitUnescaped(text.slice(1), '/')
      .filter((p) => p.trim() !== '')
      .map((rdn) => splitUnescaped(rdn, '+').map(parseAttribute));
  }
  return splitUnescaped(text, ',;')
    .map((rdn) => splitUnescaped(rdn, '+').map(parseAttribute))
    .reverse();
}

function escapeValue(v: string): string {
  let out = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 4514 string form: RDNs reversed, `,` between RDNs, `+` inside multi-valued RDNs. */
export function formatDn(dn: DistinguishedName): string {
  return [...dn]
    .reverse()
    .map((rdn) => rdn.map((a) => `${attributeShortName(a.type)}=${escapeValue(a.value)}`).join('+'))
    .join(',');
}

/**
 * RFC 4518-style normalisation of a decoded value, simplified: NFKC, case fold, and
 * insignificant space handling (§2.6.1: leading and trailing spaces dropped, inner runs
 * collapsed), as caseIgnoreMatch and OpenSSL's X509_NAME_cmp do. So "foo " (escaped in
 * the string form) matches "foo", and never "foo\".
 */
function normaliseValue(v: string): string {
  return v.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function canonical(dn: DistinguishedName): string {
  return JSON.stringify(
    dn.map((rdn) => rdn.map((a) => `${a.type}=${normaliseValue(a.value)}`).sort()),
  );
}

/** Name equality per RFC 5280 §7.1 (string-prepped comparison of parsed RDNs). */
export function dnEquals(a: string | DistinguishedName, b: string | DistinguishedName): boolean {
  try {
    const pa = typeof a === 'string' ? parseDn(a) : a;
    const pb = typeof b === 'string' ? parseDn(b) : b;
    return canonical(pa) === canonical(pb);
  } catch {
    return false;
  }
}
