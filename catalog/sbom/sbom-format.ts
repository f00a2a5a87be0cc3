import { VmicError } from '../../errors/index.ts';
import type { SbomMediaType } from '../rdf/model.ts';

/**
 * The inventory formats vmic accepts, and how a document says which it is. Detection reads
 * only the document's own version marker, never the file name or the Content-Type a client
 * sent: a catalog states the media type it detected here, so a site's tooling parses the
 * bytes as what they are (threat: an SPDX file labelled CycloneDX, or the reverse).
 */
export type SbomFormat =
  | { spec: 'SPDX'; version: '2.3'; mediaType: 'application/spdx+json' }
  | { spec: 'CycloneDX'; version: '1.5' | '1.6'; mediaType: 'application/vnd.cyclonedx+json' };

export const ACCEPTED_VERSIONS = 'SPDX 2.3 (spdxVersion "SPDX-2.3"), CycloneDX 1.5 or 1.6';

const CYCLONEDX_VERSIONS = ['1.5', '1.6'] as const;

/** `MALFORMED` naming what was found and what is accepted, for anything else. */
export function detectSbomFormat(doc: unknown): SbomFormat {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw refused('the document is not a JSON object');
  const o = doc as Record<string, unknown>;
  if ('spdxVersion' in o) {
    if (o.spdxVersion === 'SPDX-2.3')
      return { spec: 'SPDX', version: '2.3', mediaType: 'application/spdx+json' };
    throw refused(`spdxVersion ${quote(o.spdxVersion)} is not supported`);
  }
  if ('bomFormat' in o) {
    if (o.bomFormat !== 'CycloneDX') throw refused(`bomFormat ${quote(o.bomFormat)} is unknown`);
    const v = CYCLONEDX_VERSIONS.find((x) => x === o.specVersion);
    if (v) return { spec: 'CycloneDX', version: v, mediaType: 'application/vnd.cyclonedx+json' };
    throw refused(`CycloneDX specVersion ${quote(o.specVersion)} is not supported`);
  }
  throw refused('neither spdxVersion (SPDX) nor bomFormat (CycloneDX) is present');
}

/** A human label: "CycloneDX 1.6", "SPDX 2.3". */
export function formatLabel(f: { spec: string; version: string }): string {
  return `${f.spec} ${f.version}`;
}

/** The label for a stored inventory, known only by its media type. */
export function mediaTypeLabel(mediaType: SbomMediaType): string {
  return mediaType === 'application/spdx+json' ? 'SPDX (JSON)' : 'CycloneDX (JSON)';
}

function refused(what: string): VmicError {
  return new VmicError(
    'MALFORMED',
    `not a supported SBOM: ${what}; accepted: ${ACCEPTED_VERSIONS}`,
    {
      rule: 'sbom.format',
    },
  );
}

/** At most 40 characters of a value the sender chose, as JSON (threat: log/message stuffing). */
function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
