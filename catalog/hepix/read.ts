import { VmicError } from '../../errors/index.ts';
import { HEPIX_IMAGE_FIELDS, hepixOf, type HepixImageField } from '../image-fields.ts';
import { parseHepixDate } from './dates.ts';
import { checkListVersion } from './version.ts';
import { checkClaimList } from '../policy-iri.ts';
import {
  CONFORMS_TO,
  ENDORSER_KEYS,
  IMAGE_KEYS,
  IMAGE_OPTIONAL_KEYS,
  LIST_KEYS,
  type ImageList,
  type ListedImage,
} from './model.ts';

const SHA512_HEX = /^[0-9a-f]{128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Strict reader of the JSON a signature covered. The input is attacker-controlled until
 * every key is checked: each required key must be present with the right type, and a
 * list that lacks one is refused with MALFORMED naming it (`rule` is the key's path), so
 * that an endorser can see at once what their tooling left out.
 */
export function readImageList(json: string): ImageList {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new VmicError('MALFORMED', `image list is not JSON: ${(e as Error).message}`, {
      rule: 'json',
      cause: e,
    });
  }
  const root = object(doc, 'document');
  const list = object(root['hv:imagelist'], 'hv:imagelist');
  for (const key of LIST_KEYS) present(list, key, 'hv:imagelist');
  const endorserOuter = object(list['hv:endorser'], 'hv:endorser');
  const x509 = object(endorserOuter['hv:x509'], 'hv:endorser/hv:x509');
  for (const key of ENDORSER_KEYS) present(x509, key, 'hv:endorser/hv:x509');
  const entries = list['hv:images'];
  if (!Array.isArray(entries))
    throw new VmicError('MALFORMED', 'hv:images must be an array', { rule: 'hv:images' });

  const images = entries.map((entry, i) =>
    readImage(object(object(entry, `hv:images[${i}]`)['hv:image'], `hv:images[${i}]/hv:image`), i),
  );
  const seen = new Set<string>();
  for (const img of images) {
    if (seen.has(img.identifier))
      throw new VmicError('MALFORMED', `image ${img.identifier} is listed twice`, {
        rule: 'hv:image/dc:identifier',
      });
    seen.add(img.identifier);
  }
  return {
    identifier: text(list, 'dc:identifier'),
    title: text(list, 'dc:title'),
    description: text(list, 'dc:description'),
    source: text(list, 'dc:source'),
    version: checkListVersion(text(list, 'hv:version')),
    uri: text(list, 'hv:uri'),
    created: parseHepixDate(list['dc:date:created'], 'dc:date:created'),
    expires: parseHepixDate(list['dc:date:expires'], 'dc:date:expires'),
    endorser: {
      dn: text(x509, 'hv:dn', 'hv:endorser/hv:x509'),
      ca: text(x509, 'hv:ca', 'hv:endorser/hv:x509'),
      email: text(x509, 'hv:email', 'hv:endorser/hv:x509'),
      creator: text(x509, 'dc:creator', 'hv:endorser/hv:x509'),
    },
    images,
    ...claimsOf(list, 'hv:imagelist'),
    extra: rest(list, [...LIST_KEYS, CONFORMS_TO]),
  };
}

function readImage(img: Record<string, unknown>, i: number): ListedImage {
  const at = `hv:images[${i}]/hv:image`;
  for (const key of IMAGE_KEYS) present(img, key, at);
  const sha512 = text(img, 'sl:checksum:sha512', at).toLowerCase();
  if (!SHA512_HEX.test(sha512))
    throw new VmicError('MALFORMED', `${at}/sl:checksum:sha512 must be 128 hex digits`, {
      rule: 'sl:checksum:sha512',
    });
  const sha256raw = img['sl:checksum:sha256'];
  const sha256 = sha256raw === undefined ? undefined : text(img, 'sl:checksum:sha256', at);
  if (sha256 !== undefined && !SHA256_HEX.test(sha256.toLowerCase()))
    throw new VmicError('MALFORMED', `${at}/sl:checksum:sha256 must be 64 hex digits`, {
      rule: 'sl:checksum:sha256',
    });
  const uri = text(img, 'hv:uri', at);
  let url: URL | undefined;
  try {
    url = new URL(uri);
  } catch {
    url = undefined;
  }
  // Sites only download over HTTP(S) (threat: a list making the site read local files).
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new VmicError('MALFORMED', `${at}/hv:uri must be an http(s) URL`, { rule: 'hv:uri' });
  const fields: Record<string, string | undefined> = {};
  for (const field of HEPIX_IMAGE_FIELDS) {
    const { key, required } = hepixOf(field);
    fields[field] = required || img[key] !== undefined ? text(img, key, at) : undefined;
  }
  return {
    ...(fields as Pick<ListedImage, HepixImageField>),
    identifier: text(img, 'dc:identifier', at),
    size: size(img['hv:size'], at),
    sha512,
    sha256: sha256?.toLowerCase(),
    uri,
    comments: text(img, 'sl:comments', at),
    expires:
      img['dc:date:expires'] === undefined
        ? undefined
        : parseHepixDate(img['dc:date:expires'], 'dc:date:expires'),
    ...claimsOf(img, at),
    extra: rest(img, [...IMAGE_KEYS, ...IMAGE_OPTIONAL_KEYS]),
  };
}

/**
 * `dcterms:conformsTo`, when present: an array of policy IRIs, checked as an RDF catalog's
 * are (http(s) or urn, bounded, at most 16). A malformed claim refuses the list rather than
 * being dropped: a site requiring that policy must not see a claim the signer did not make.
 */
function claimsOf(o: Record<string, unknown>, at: string): { conformsTo?: string[] } {
  const v = o[CONFORMS_TO];
  if (v === undefined) return {};
  const r = Array.isArray(v) ? checkClaimList(v) : { problem: 'must be an array of IRIs' };
  if ('problem' in r)
    throw new VmicError('MALFORMED', `${at}/${CONFORMS_TO}: ${r.problem}`, { rule: CONFORMS_TO });
  return r.claims.length ? { conformsTo: r.claims } : {};
}

function object(v: unknown, key: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new VmicError('MALFORMED', `missing or not an object: ${key}`, { rule: key });
  return v as Record<string, unknown>;
}

function present(o: Record<string, unknown>, key: string, at: string): void {
  if (!Object.hasOwn(o, key) || o[key] === null)
    throw new VmicError('MALFORMED', `missing required key ${key} in ${at}`, { rule: key });
}

/** Strings; vmcaster writes some numbers (hv:version) as JSON numbers, which are accepted. */
function text(o: Record<string, unknown>, key: string, at = 'hv:imagelist'): string {
  const v = o[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new VmicError('MALFORMED', `${at}/${key} must be a string`, { rule: key });
}

/** `hv:size`: a non-negative safe integer, as a JSON number or a decimal string. */
function size(v: unknown, at: string): number {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new VmicError('MALFORMED', `${at}/hv:size must be a non-negative integer`, {
      rule: 'hv:size',
    });
  return n;
}

function rest(o: Record<string, unknown>, known: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!known.includes(k)) out[k] = v;
  return out;
}
