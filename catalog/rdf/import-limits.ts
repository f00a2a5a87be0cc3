import { VmicError } from '../../errors/index.ts';
import { DCAT } from './vocabulary.ts';

/**
 * Bounds on an imported catalog, checked on the signed bytes before any RDF object is
 * built. A feed is attacker-shaped even when its signature verifies (a compromised or
 * careless endorser): a 25 MB feed of a million N-Quads lines costs a gigabyte once
 * parsed into quads and canonicalised, so what cannot be a catalog is refused from a
 * byte scan that allocates nothing per line. The same limits bound the fields that
 * publish accepts, so that what a site imports is never larger than what vmic signs.
 */
export const IMPORT_LIMITS = {
  /** images in one catalog */
  images: 100_000,
  /** N-Quads lines per image (a published image has about 20), and for the catalog itself */
  quadsPerImage: 64,
  quadsBase: 256,
  /** characters of any text field (title, description, ...), as for publish */
  textChars: 4096,
  /** characters of an IRI (download URL, image IRI), as for publish */
  iriChars: 2048,
  /** bytes of one N-Quads line: a subject and predicate IRI and a field's worst-case escaping */
  lineBytes: 64 * 1024,
} as const;

const DATASET = Buffer.from(`<${DCAT.Dataset.value}>`);
const CATALOG = Buffer.from(`<${DCAT.Catalog.value}>`);

function tooLarge(rule: string, message: string): VmicError {
  return new VmicError('TOO_LARGE', message, { rule });
}

function occurrences(bytes: Buffer, needle: Buffer, atMost: number): number {
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + needle.length)) {
    if (++count > atMost) break;
  }
  return count;
}

/**
 * The byte scan: no line longer than a field can make it, and no more lines than the
 * images the catalog can list. Images are counted as mentions of `dcat:Dataset`, an upper
 * bound on the datasets (every image is typed with it exactly once), so a graph without
 * that many images cannot carry that many lines. A graph that never mentions
 * `dcat:Catalog` cannot be a catalog, whatever else it holds.
 */
export function checkImportBounds(content: Uint8Array): void {
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const images = occurrences(bytes, DATASET, IMPORT_LIMITS.images);
  if (images > IMPORT_LIMITS.images)
    throw tooLarge('catalog.images', `the catalog lists more than ${IMPORT_LIMITS.images} images`);
  if (!bytes.includes(CATALOG))
    throw new VmicError('MALFORMED', 'expected exactly one dcat:Catalog, found 0', {
      rule: 'dcat:Catalog',
    });
  const maxLines = IMPORT_LIMITS.quadsBase + images * IMPORT_LIMITS.quadsPerImage;
  let lines = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    if (end - start > IMPORT_LIMITS.lineBytes)
      throw tooLarge(
        'catalog.line',
        `line ${lines + 1} of the catalog is longer than ${IMPORT_LIMITS.lineBytes} bytes`,
      );
    if (++lines > maxLines)
      throw tooLarge(
        'catalog.quads',
        `the catalog has more than ${maxLines} statements for ${images} images`,
      );
    start = end + 1;
  }
}

/** A text field within the same bound publish applies. */
export function checkTextLength(rule: string, subject: string, value: string): string {
  if (value.length > IMPORT_LIMITS.textChars)
    throw tooLarge(
      rule,
      `${rule} of ${subject} is longer than ${IMPORT_LIMITS.textChars} characters`,
    );
  return value;
}

export function checkIriLength(rule: string, subject: string, value: string): string {
  if (value.length > IMPORT_LIMITS.iriChars)
    throw tooLarge(
      rule,
      `${rule} of ${subject} is longer than ${IMPORT_LIMITS.iriChars} characters`,
    );
  return value;
}
