import { PkiError } from './errors.ts';

/**
 * RFC 7512 PKCS#11 URIs naming the key an endorser signs with, e.g.
 * `pkcs11:token=vmic;object=endorser-key;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so`.
 * Pure: no module is loaded and no token is opened here. The parser is strict (anything
 * it does not understand is refused, not skipped) because the URI decides which library
 * is loaded into the signing process and which key signs catalogs.
 */
export interface Pkcs11Uri {
  token?: string;
  object?: string;
  id?: Uint8Array;
  type?: Pkcs11ObjectType;
  manufacturer?: string;
  model?: string;
  serial?: string;
  slotId?: number;
  slotDescription?: string;
  slotManufacturer?: string;
  libraryManufacturer?: string;
  libraryDescription?: string;
  libraryVersion?: string;
  modulePath?: string;
  moduleName?: string;
}

export type Pkcs11ObjectType = 'private' | 'public' | 'cert' | 'secret-key' | 'data';

/** Threat: a megabyte "URI" from a config file or request costing time and memory. */
export const PKCS11_URI_MAX_LENGTH = 2048;

const TYPES: readonly string[] = ['private', 'public', 'cert', 'secret-key', 'data'];

/** Attribute names in canonical (the interface's) order; a field is its name in camelCase. */
const PATH_ATTRS = fields(
  'token object id type manufacturer model serial slot-id slot-description slot-manufacturer ' +
    'library-manufacturer library-description library-version',
);
const QUERY_ATTRS = fields('module-path module-name');

function fields(names: string): Map<string, keyof Pkcs11Uri> {
  const camel = (n: string) => n.replace(/-(.)/g, (_m, c: string) => c.toUpperCase());
  return new Map(names.split(' ').map((n) => [n, camel(n) as keyof Pkcs11Uri]));
}

/**
 * Characters RFC 7512 §2.3 lets through unencoded: unreserved and pk11-res-avail, plus "&"
 * in the path or "/", "?", "|" in the query. Everything else must be %XX; a raw space or
 * non-ASCII character is refused rather than guessed at, so that vmic and the other tools
 * reading the same URI (p11-kit, OpenSSL) cannot disagree on which key it names.
 */
const PATH_CHAR = /^[A-Za-z0-9._~:[\]@!$'()*+,=&-]$/;
const QUERY_CHAR = /^[A-Za-z0-9._~:[\]@!$'()*+,=/?|-]$/;

const hexByte = (b: number): string => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

function bad(attr: string, why: string): PkiError {
  return new PkiError('BAD_REQUEST', `PKCS#11 URI attribute ${attr}: ${why}`);
}

function pctBytes(attr: string, raw: string, allowed: RegExp): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw bad(attr, `"%${hex}" is not a %XX byte`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (allowed.test(c)) {
      bytes.push(c.charCodeAt(0));
    } else {
      throw bad(attr, `character ${JSON.stringify(c)} must be percent-encoded`);
    }
  }
  return Uint8Array.from(bytes);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A text value: UTF-8, fatal on invalid sequences (no U+FFFD stand-ins that could match
 * another label), a leading BOM kept as the label's own bytes. Control characters are
 * refused: threat a NUL that C (dlopen, the module) would stop at, so the path checked or
 * logged is not the library loaded.
 */
function pctText(attr: string, raw: string, allowed: RegExp): string {
  let text: string;
  try {
    text = UTF8.decode(pctBytes(attr, raw, allowed));
  } catch (e) {
    if (e instanceof PkiError) throw e;
    throw bad(attr, 'value is not valid UTF-8');
  }
  if ([...text].some((c) => c < ' ' || c === '\x7f')) throw bad(attr, 'has a control character');
  return text;
}

function setAttr(out: Pkcs11Uri, field: keyof Pkcs11Uri, attr: string, raw: string, q: boolean) {
  const allowed = q ? QUERY_CHAR : PATH_CHAR;
  if (field === 'id') {
    out.id = pctBytes(attr, raw, allowed);
    return;
  }
  const value = pctText(attr, raw, allowed);
  if (field === 'type') {
    if (!TYPES.includes(value)) throw bad(attr, `expected one of ${TYPES.join(', ')}`);
    out.type = value as Pkcs11ObjectType;
  } else if (field === 'slotId') {
    // At most 15 digits: always a safe integer, never rounded to another slot.
    if (!/^\d{1,15}$/.test(value)) throw bad(attr, 'expected a decimal integer');
    out.slotId = Number(value);
  } else if (field === 'libraryVersion' && !/^\d+(\.\d+)?$/.test(value)) {
    throw bad(attr, 'expected M or M.N in decimal digits');
  } else if ((field === 'modulePath' || field === 'moduleName') && value === '') {
    // Threat: dlopen("") returns the running program itself, not a PKCS#11 module.
    throw bad(attr, 'must not be empty');
  } else {
    out[field] = value;
  }
}

/**
 * Parses an RFC 7512 URI that names a key. Refused: other schemes, input over
 * PKCS11_URI_MAX_LENGTH, unknown or repeated attributes (vendor `x-` ones are ignored),
 * malformed values, and a URI naming no object (neither a non-empty object nor id).
 * `type` is returned as given; the caller checks it is the kind of key it needs.
 */
export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (text.length > PKCS11_URI_MAX_LENGTH) {
    throw new PkiError('BAD_REQUEST', `PKCS#11 URI over ${PKCS11_URI_MAX_LENGTH} characters`);
  }
  if (text.slice(0, 7).toLowerCase() !== 'pkcs11:') {
    throw new PkiError('BAD_REQUEST', 'PKCS#11 URI must start with the scheme pkcs11:');
  }
  const [path = '', ...queries] = text.slice(7).split('?');
  const query = queries.join('?');
  const out: Pkcs11Uri = {};
  const seen = new Set<string>();
  for (const q of [false, true]) {
    const [part, sep] = q ? [query, '&'] : [path, ';'];
    if (part === '') continue;
    for (const attr of part.split(sep)) {
      const eq = attr.indexOf('=');
      if (eq <= 0) throw bad(JSON.stringify(attr), 'expected name=value');
      const name = attr.slice(0, eq);
      if (!/^[A-Za-z0-9._-]+$/.test(name)) throw bad(JSON.stringify(name), 'not an attribute name');
      // vmic's rule: the PIN never comes from the command line (threat: it lands in shell
      // history, `ps` output and logs), and pin-source would let a URI pick the file read.
      if (/^pin-(value|source)$/i.test(name)) {
        throw bad(name, 'not accepted: give the PIN in $VMIC_PKCS11_PIN or $VMIC_PKCS11_PIN_FILE');
      }
      if (seen.has(name)) throw bad(name, 'given twice');
      seen.add(name);
      if (name.startsWith('x-')) continue;
      const field = (q ? QUERY_ATTRS : PATH_ATTRS).get(name);
      // Threat: a typo such as module_path silently ignored, loading a different module.
      if (field === undefined) throw bad(name, `unknown in the ${q ? 'query' : 'path'}`);
      setAttr(out, field, name, attr.slice(eq + 1), q);
    }
  }
  if (!out.object && !out.id?.length) {
    throw new PkiError('BAD_REQUEST', 'PKCS#11 URI names no key: give object or id');
  }
  return out;
}

/** %XX for every UTF-8 byte of `value` that RFC 7512 does not let through as is. */
function pctEncode(value: string, allowed: RegExp): string {
  let out = '';
  for (const b of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(b);
    out += allowed.test(c) ? c : hexByte(b);
  }
  return out;
}

/**
 * The canonical form: path attributes in the interface's order, then the query. The
 * result is parsed back before it is returned, so a URI this produces always parses
 * (a slotId of 1.5 or an unnamed key is refused here rather than written out).
 */
export function formatPkcs11Uri(u: Pkcs11Uri): string {
  const encode = (attrs: Map<string, keyof Pkcs11Uri>, allowed: RegExp): string[] =>
    [...attrs].flatMap(([name, field]) => {
      const v = u[field];
      if (v === undefined) return [];
      if (v instanceof Uint8Array) return [`${name}=${[...v].map(hexByte).join('')}`];
      return [`${name}=${pctEncode(String(v), allowed)}`];
    });
  const query = encode(QUERY_ATTRS, QUERY_CHAR);
  const path = encode(PATH_ATTRS, PATH_CHAR).join(';');
  const text = `pkcs11:${path}${query.length ? `?${query.join('&')}` : ''}`;
  parsePkcs11Uri(text);
  return text;
}
