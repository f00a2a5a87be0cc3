import { VmicError } from '../../errors/index.ts';

/** A document issued this far in the future is refused: clocks differ, but not by hours. */
export const ISSUED_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Default of how far a manifest's time may be from the receiver's clock (threat: replay
 * of an old bundle); the site policy `transfer-clock-window` (seconds) overrides it.
 */
export const MANIFEST_WINDOW_MS = 15 * 60_000;

/** docs/design.md §6 step 8 for a document with a validity period (catalog, image list). */
export interface ValidityPeriod {
  kind: 'validity';
  issued: Date;
  expires: Date;
  maxAgeSeconds?: number | undefined;
  /** The document's own names, for the errors. */
  rules: { what: string; issued: string; expires: string };
}

/** §8: a transfer manifest's time, within the clock window of ours. */
export interface ClockWindow {
  kind: 'clock-window';
  createdAt: string;
  windowMs: number;
}

export type Freshness = ValidityPeriod | ClockWindow;

/** docs/design.md §6 step 8 or the §8 clock window, whichever the document has. */
export function checkFreshness(f: Freshness, time: Date): void {
  if (f.kind === 'validity') checkValidity(f, time);
  else checkClock(f.createdAt, time, f.windowMs);
}

/**
 * Issue date not in the future, then freshness (threat: a frozen feed replaying a valid
 * but stale catalog): not expired, and not older than the site's max-catalog-age.
 */
export function checkValidity(doc: Omit<ValidityPeriod, 'kind'>, time: Date): void {
  const now = time.getTime();
  if (doc.issued.getTime() > now + ISSUED_CLOCK_SKEW_MS) {
    throw new VmicError(
      'MALFORMED',
      `${doc.rules.what} claims to be issued in the future (${doc.issued.toISOString()})`,
      { rule: doc.rules.issued },
    );
  }
  if (doc.expires.getTime() <= now) {
    throw new VmicError(
      'CATALOG_EXPIRED',
      `${doc.rules.what} expired at ${doc.expires.toISOString()}`,
      { rule: doc.rules.expires },
    );
  }
  if (doc.maxAgeSeconds !== undefined && now - doc.issued.getTime() > doc.maxAgeSeconds * 1000) {
    throw new VmicError(
      'CATALOG_EXPIRED',
      `${doc.rules.what} issued ${doc.issued.toISOString()} is older than the site allows (${doc.maxAgeSeconds} s)`,
      { rule: 'max-catalog-age' },
    );
  }
}

/**
 * A manifest made too far from our clock is refused (threat: replay of a captured bundle
 * after the nonce table was lost or pruned). Most often the cause is an unsynchronised
 * clock at one of the sites, so the message gives the skew and says what to check.
 */
export function checkClock(createdAt: string, time: Date, windowMs: number): void {
  const skewMs = Date.parse(createdAt) - time.getTime();
  if (Math.abs(skewMs) <= windowMs) return;
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  throw new VmicError(
    'REPLAY',
    `manifest was made at ${createdAt}, ${seconds} s ${skewMs > 0 ? 'ahead of' : 'behind'} this ` +
      `site's clock; transfers are accepted within ±${Math.round(windowMs / 1000)} s (policy ` +
      `transfer-clock-window). Check that both sites' clocks are synchronised (NTP), then send again`,
    { rule: 'manifest.clock' },
  );
}
