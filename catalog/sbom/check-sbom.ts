import { VmicError } from '../../errors/index.ts';
import { detectSbomFormat, formatLabel, type SbomFormat } from './sbom-format.ts';
import { describeErrors, schemaValidator } from './sbom-schemas.ts';
import { spdx23Problems } from './spdx-checks.ts';

/** A document that passed every check, and what it is. */
export interface CheckedSbom {
  format: SbomFormat;
  /** The bytes as sent: what is stored, hashed and signed, never a re-serialisation. */
  bytes: Buffer;
}

/**
 * Objects and arrays nested deeper than this are refused before the schema sees them. The
 * compiled validator recurses once per level (CycloneDX components nest components), so a
 * 16 MiB document of nested brackets would overflow the stack (threat: one upload crashing
 * the handler). Real inventories nest a few dozen levels at most.
 */
export const MAX_SBOM_DEPTH = 128;

/**
 * Checks an inventory before it is stored: within `maxBytes` (threat: a hostile 1 GB
 * SBOM; the size bounds the parse and validation time too, both linear in it), UTF-8
 * (RFC 8259 §8.1), JSON, not nested past MAX_SBOM_DEPTH, a supported format and version,
 * and valid against that format's official schema (SPDX 2.3: spdx-checks.ts, see
 * schemas/README.md). Every refusal is `MALFORMED` (`TOO_LARGE` for the size) and names
 * the first problems found, so the endorser can fix the document.
 */
export function checkSbom(bytes: Buffer, maxBytes: number): CheckedSbom {
  if (bytes.length > maxBytes)
    throw new VmicError('TOO_LARGE', `the SBOM is larger than ${maxBytes} bytes`, {
      rule: 'sbom.size',
    });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw malformed('the SBOM is not UTF-8 text', 'sbom.json', cause);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    const why = cause instanceof SyntaxError ? `: ${cause.message.slice(0, 200)}` : '';
    throw malformed(`the SBOM is not valid JSON${why}`, 'sbom.json', cause);
  }
  if (nestedDeeperThan(doc, MAX_SBOM_DEPTH))
    throw malformed(`the SBOM is nested deeper than ${MAX_SBOM_DEPTH} levels`, 'sbom.depth');
  const format = detectSbomFormat(doc);
  const problems = validate(format, doc as Record<string, unknown>);
  if (problems.length > 0)
    throw malformed(
      `the SBOM is not valid ${formatLabel(format)}: ${problems.join('; ')}`,
      'sbom.schema',
    );
  return { format, bytes };
}

function validate(format: SbomFormat, doc: Record<string, unknown>): string[] {
  const v = schemaValidator(format);
  if (v && !v(doc)) return describeErrors(v.errors);
  if (format.spec === 'SPDX') return spdx23Problems(doc);
  return [];
}

function malformed(message: string, rule: string, cause?: unknown): VmicError {
  return new VmicError('MALFORMED', message, cause === undefined ? { rule } : { rule, cause });
}

/** Iterative (an explicit stack), so that the check itself cannot overflow. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}
