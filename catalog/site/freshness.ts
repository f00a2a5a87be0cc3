/**
 * Freshness of what a site holds, evaluated at decision time rather than only at import
 * (threat: a feed host that answers `304 Not Modified` for ever, or stops answering,
 * keeping a catalog deployable past its own expiry or the site's max-catalog-age).
 */
export interface FreshnessLapse {
  /** The limit that was passed: the document's own expiry, or the site policy key. */
  rule: string;
  message: string;
}

export interface HeldCatalog {
  sequence: number;
  issued_at: string;
  expires_at: string;
  format: 'rdf' | 'hepix';
}

/** Why a held catalog may no longer be relied on at `at`, or undefined while it may. */
export function catalogLapse(
  held: HeldCatalog,
  at: Date,
  maxAgeSeconds: number | undefined,
): FreshnessLapse | undefined {
  const what = held.format === 'hepix' ? 'image list' : 'catalog';
  const label = `the latest ${what} (sequence ${held.sequence})`;
  if (Date.parse(held.expires_at) <= at.getTime())
    return {
      rule: held.format === 'hepix' ? 'dc:date:expires' : 'vmic:expires',
      message: `${label} expired at ${held.expires_at} (its own expiry)`,
    };
  const age = ageSeconds(held.issued_at, at);
  if (maxAgeSeconds !== undefined && age > maxAgeSeconds)
    return {
      rule: 'max-catalog-age',
      message: `${label} was issued at ${held.issued_at}, ${formatAge(age)} ago: older than the site's max-catalog-age of ${formatAge(maxAgeSeconds)} (${maxAgeSeconds} s)`,
    };
  return undefined;
}

/** An image's own expiry (HEPiX `dc:date:expires`), when it has one and it has passed. */
export function imageLapse(
  image: { expires_at: string | null },
  at: Date,
): FreshnessLapse | undefined {
  if (image.expires_at === null || Date.parse(image.expires_at) > at.getTime()) return undefined;
  return {
    rule: 'dc:date:expires',
    message: `this image's own expiry (dc:date:expires) passed at ${image.expires_at}`,
  };
}

export function ageSeconds(issuedAt: string, at: Date): number {
  return Math.floor((at.getTime() - Date.parse(issuedAt)) / 1000);
}

/** "3 d 4 h", "5 h 2 min", "40 s": what an operator reads at a glance. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}
