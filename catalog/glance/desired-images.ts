import type { Instance } from '../instance.ts';
import { deployableSiteImages } from '../site/deployable.ts';
import type { SitePolicy } from '../site/policy.ts';
import { glanceFormats, KNOWN_FORMATS } from './disk-formats.ts';

/**
 * What Glance should hold for this site: one image per deployable site image in scope,
 * decided by the deploy gate itself (gate.ts), so that Glance never offers what
 * `vmic check` would refuse.
 */
export interface DesiredImage {
  subscription: string;
  identifier: string;
  sha256: string;
  size: number;
  name: string;
  diskFormat: string;
  containerFormat: string;
  visibility: string;
  /** Custom properties written at creation and kept equal afterwards. */
  properties: Readonly<Record<string, string>>;
}

/** A deployable image in scope that cannot go into Glance, and why. */
export interface SkippedImage {
  subscription: string;
  identifier: string;
  reason: string;
}

/** Glance refuses longer property values (its database column is 255 characters). */
const MAX_VALUE = 255;

/** The subscriptions in scope, or undefined for every one. */
export function scopeOf(policy: Pick<SitePolicy, 'glanceScope'>): Set<string> | undefined {
  return policy.glanceScope === 'all' ? undefined : new Set(policy.glanceScope.split(','));
}

export async function desiredImages(
  inst: Instance,
  policy: SitePolicy,
): Promise<{ desired: DesiredImage[]; skipped: SkippedImage[] }> {
  const scope = scopeOf(policy);
  const desired: DesiredImage[] = [];
  const skipped: SkippedImage[] = [];
  for await (const { row, decision: d } of deployableSiteImages(
    inst,
    (s) => !scope || scope.has(s),
  )) {
    if (!d.catalog) continue;
    const skip = (reason: string) =>
      skipped.push({ subscription: d.subscription, identifier: d.identifier, reason });
    const formats = glanceFormats(row.format);
    if (!formats) {
      skip(
        row.format
          ? `disk format ${JSON.stringify(row.format)} has no Glance equivalent (known: ${KNOWN_FORMATS.join(', ')})`
          : 'the catalog names no disk format',
      );
      continue;
    }
    const properties: Record<string, string> = {
      vmic_site: inst.config.publicUrl,
      vmic_subscription: d.subscription,
      vmic_identifier: d.identifier,
      vmic_endorser: d.catalog.signer,
      vmic_sha256: d.sha256,
      vmic_catalog_sequence: String(d.catalog.sequence),
      vmic_approval: d.approval.kind,
      ...(row.arch ? { architecture: row.arch } : {}),
    };
    const name = d.title || d.identifier;
    const long = Object.entries({ name, ...properties }).find(([, v]) => v.length > MAX_VALUE);
    if (long) {
      skip(`${long[0]} is longer than the ${MAX_VALUE} characters Glance stores`);
      continue;
    }
    desired.push({
      subscription: d.subscription,
      identifier: d.identifier,
      sha256: d.sha256,
      size: d.byteSize,
      name,
      diskFormat: formats.disk,
      containerFormat: formats.container,
      visibility: policy.glanceVisibility,
      properties,
    });
  }
  return { desired, skipped };
}
