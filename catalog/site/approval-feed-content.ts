import type { Instance } from '../instance.ts';
import { observe } from '../observe.ts';
import { deployableSiteImages } from './deployable.ts';

/**
 * The content of the approval feed for compute nodes (docs/design.md §4, "Approval feed"):
 * line-oriented text that `contrib/vmic-verify-disk` reads with POSIX shell tools only, so
 * its shape is fixed: single spaces, LF, one record per line, `end` last (threat: a
 * truncated feed read as "fewer images approved" without notice).
 */

export const FEED_VERSION = 1;

export interface FeedImage {
  sha256: string;
  size: number;
  /** Why the gate allows it: `approved-image` or `approved-endorser`. */
  reason: string;
  /** The subscription name. */
  endorser: string;
  identifier: string;
}

export interface FeedContent {
  site: string;
  sequence: number;
  issuedAt: Date;
  expiresAt: Date;
  images: FeedImage[];
}

// A control character (newline above all) would let an identifier forge a record line.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// A token field must hold no space either, or the shell reader would shift the fields.
const TOKEN = /^[!-~]+$/;

/**
 * Every image the deploy gate calls deployable now, one entry per subscription listing it,
 * in feed order (SHA-256, endorser, identifier). The gate itself decides (gate.ts): the
 * feed must never allow what `GET /api/v1/gate` would refuse.
 */
export async function deployableImages(inst: Instance): Promise<FeedImage[]> {
  const out: FeedImage[] = [];
  for await (const { decision: d } of deployableSiteImages(inst)) {
    const image = {
      sha256: d.sha256,
      size: d.byteSize,
      reason: `approved-${d.approval.kind}`,
      endorser: d.subscription,
      identifier: d.identifier,
    };
    if (!TOKEN.test(image.endorser) || CONTROL.test(image.identifier) || !image.identifier) {
      observe(inst, {
        type: 'approval-feed',
        result: 'skipped',
        message: `${JSON.stringify(image.endorser)}/${JSON.stringify(image.identifier)} cannot be written as a feed line`,
      });
      continue;
    }
    out.push(image);
  }
  return out.sort(
    (a, b) =>
      cmp(a.sha256, b.sha256) || cmp(a.endorser, b.endorser) || cmp(a.identifier, b.identifier),
  );
}

/** Code-unit order, the same on every locale (the verifier does not sort, only reads). */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, whole seconds. */
function isoSeconds(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function epochSeconds(t: Date): number {
  return Math.floor(t.getTime() / 1000);
}

/** The image lines alone: what a change of the feed is judged by. */
export function imageLines(images: readonly FeedImage[]): string {
  return images
    .map((i) => `image ${i.sha256} ${i.size} ${i.reason} ${i.endorser} ${i.identifier}\n`)
    .join('');
}

/** The signed text. */
export function feedText(c: FeedContent): string {
  return (
    `vmic-approved-images ${FEED_VERSION}\n` +
    `site ${c.site}\n` +
    `sequence ${c.sequence}\n` +
    `issued ${isoSeconds(c.issuedAt)} ${epochSeconds(c.issuedAt)}\n` +
    `expires ${isoSeconds(c.expiresAt)} ${epochSeconds(c.expiresAt)}\n` +
    imageLines(c.images) +
    'end\n'
  );
}

/** The readable twin served as `approved.json`. */
export function feedJson(c: FeedContent): string {
  return JSON.stringify({
    version: FEED_VERSION,
    site: c.site,
    sequence: c.sequence,
    issuedAt: isoSeconds(c.issuedAt),
    expiresAt: isoSeconds(c.expiresAt),
    images: c.images,
  });
}
