import { ageSeconds, formatAge } from './freshness.ts';
import type {
  CatalogMark,
  EndorserHealth,
  HealthSummary,
  ImageCounts,
  LastImport,
  SiteHealth,
  Verdict,
} from './health-types.ts';

/*
 * The health rules (docs/design.md §11), pure: the same rows and time give the same
 * marks and verdict. Freshness is judged exactly as the gate judges it (freshness.ts), so
 * a catalog marked `expired` or `too-old` here is one whose images `vmic check` refuses.
 */

/** A catalog expiring within this is `near-expiry`: one missed import from `expired`. */
export const NEAR_EXPIRY_SECONDS = 24 * 3600;

/** The marks of a held catalog at `now`; `no-catalog` when none is held. */
export function catalogMarks(
  catalog: { issuedAt: string; expiresAt: string } | undefined,
  now: Date,
  maxCatalogAgeSeconds: number | undefined,
): CatalogMark[] {
  if (!catalog) return ['no-catalog'];
  const marks: CatalogMark[] = [];
  const left = secondsUntil(catalog.expiresAt, now);
  if (left <= 0) marks.push('expired');
  else if (left <= NEAR_EXPIRY_SECONDS) marks.push('near-expiry');
  if (
    maxCatalogAgeSeconds !== undefined &&
    ageSeconds(catalog.issuedAt, now) > maxCatalogAgeSeconds
  )
    marks.push('too-old');
  return marks;
}

export function secondsUntil(iso: string, now: Date): number {
  return Math.floor((Date.parse(iso) - now.getTime()) / 1000);
}

/** The subscription columns that record how its imports ended (catalog/site/import-run.ts). */
export interface ImportColumns {
  last_success_at: string | null;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: string | null;
  last_not_modified_at: string | null;
}

/**
 * The last import's result. A refusal sets the error columns and a verified import clears
 * them, so an error present is the latest word; a 304 after the last verification says
 * only that the feed was unchanged (it verifies nothing).
 */
export function lastImportOf(row: ImportColumns): LastImport | undefined {
  if (row.last_error_code !== null)
    return {
      result: 'refused',
      code: row.last_error_code,
      message: row.last_error_message ?? '',
      at: row.last_error_at ?? '',
    };
  const success = row.last_success_at;
  const notModified = row.last_not_modified_at;
  if (notModified !== null && (success === null || notModified > success))
    return {
      result: 'not-modified',
      message: `feed unchanged (304 Not Modified) since last verified${success ? ` at ${success}` : ''}`,
      at: notModified,
    };
  if (success === null) return undefined;
  return { result: 'verified', message: 'catalog verified and applied', at: success };
}

/** The dashboard's image states, linked as `/site/images?state=...`. */
export type ImageState = 'awaiting-approval' | 'quarantined' | 'not-fetched' | 'deployable';

/**
 * The states of one endorsed image of an enabled subscription, from the reason codes the
 * gate returned for it (the same decision as `vmic check`). An image may be in more than
 * one (awaiting approval and not fetched). `not-fetched` counts only images the fetch is
 * meant to download: with fetch-scope `approved`, an unapproved image is only awaiting
 * approval, so that the policy's intended state does not read as a fault.
 */
export function imageStates(
  codes: readonly string[],
  fetchScope: 'endorsed' | 'approved',
): ImageState[] {
  if (codes.length === 0) return ['deployable'];
  const has = (c: string) => codes.includes(c);
  const states: ImageState[] = [];
  if (has('NOT_APPROVED')) states.push('awaiting-approval');
  if (has('HASH_MISMATCH')) states.push('quarantined');
  if (has('NOT_FETCHED') && (fetchScope === 'endorsed' || !has('NOT_APPROVED')))
    states.push('not-fetched');
  return states;
}

export function countImages(
  decisions: readonly (readonly string[])[],
  fetchScope: 'endorsed' | 'approved',
): ImageCounts {
  const counts = { awaitingApproval: 0, quarantined: 0, notFetched: 0, deployable: 0 };
  const field = {
    'awaiting-approval': 'awaitingApproval',
    quarantined: 'quarantined',
    'not-fetched': 'notFetched',
    deployable: 'deployable',
  } as const;
  for (const codes of decisions) for (const s of imageStates(codes, fetchScope)) counts[field[s]]++;
  return { ...counts, total: decisions.length };
}

type Problem = HealthSummary['problems'][number];

const MARK_LEVEL: Record<CatalogMark, Problem['level']> = {
  expired: 'error',
  'too-old': 'error',
  refused: 'error',
  'near-expiry': 'warning',
  'no-catalog': 'warning',
};

const MARK_TEXT: Record<CatalogMark, string> = {
  expired: 'its catalog has expired',
  'too-old': "its catalog is older than the site's max-catalog-age",
  refused: 'its last import was refused',
  'near-expiry': 'its catalog expires within a day',
  'no-catalog': 'no verified catalog yet',
};

/**
 * Everything that keeps the verdict from `ok`, errors first. Disabled subscriptions are
 * left out: the gate refuses their images anyway, by the operator's own choice.
 */
export function problemsOf(
  site: SiteHealth | undefined,
  endorsers: EndorserHealth[],
  /** The identities' own problems (health-identities.ts), ranked with the rest. */
  identities: readonly Problem[] = [],
): Problem[] {
  const out: Problem[] = [];
  for (const s of site?.subscriptions ?? []) {
    if (!s.enabled) continue;
    // A refusal already says why there is no catalog; one line says it once.
    const marks = s.marks.includes('refused') ? s.marks.filter((m) => m !== 'no-catalog') : s.marks;
    for (const m of marks) {
      const why = m === 'refused' && s.lastImport?.code ? ` (${s.lastImport.code})` : '';
      out.push({ level: MARK_LEVEL[m], text: `subscription ${s.name}: ${MARK_TEXT[m]}${why}` });
    }
  }
  // The strongest evidence a log can give of a split view: an error until acknowledged.
  if (site && site.logForks > 0)
    out.push({
      level: 'error',
      text: `${site.logForks} fork${site.logForks === 1 ? '' : 's'} of an endorser's transparency log found: evidence of a split view (vmic witness evidence; --ack ID once handled)`,
    });
  // A signed SBOM served with other bytes is tampering on the way, as for images.
  const inv = site?.inventories;
  if (inv && inv.quarantined > 0)
    out.push({
      level: 'error',
      text: `${inventories(inv.quarantined)} quarantined: the bytes served were not the signed SBOM (under deny-package their images are refused; vmic fetch tries again)`,
    });
  if (inv && inv.unreadable > 0)
    out.push({
      level: 'warning',
      text: `${inventories(inv.unreadable)} verified but unreadable (under deny-package their images are refused)`,
    });
  if (site && site.images.quarantined > 0)
    out.push({ level: 'error', text: `${images(site.images.quarantined)} quarantined` });
  if (site && site.images.notFetched > 0)
    out.push({ level: 'warning', text: `${images(site.images.notFetched)} not fetched` });
  for (const e of endorsers) {
    for (const m of e.marks)
      out.push({ level: MARK_LEVEL[m], text: `endorser ${e.name}: ${MARK_TEXT[m]}` });
    // Signed by fewer than its threshold, the catalog is served to no one: people must act.
    if (e.pending)
      out.push({
        level: 'warning',
        text: `endorser ${e.name}: catalog ${e.pending.sequence} waits for ${e.pending.needed} more co-signature${e.pending.needed === 1 ? '' : 's'} (${e.pending.signed} of ${e.pending.threshold}; vmic catalog pending ${e.name})`,
      });
  }
  out.push(...identities);
  return [...out.filter((p) => p.level === 'error'), ...out.filter((p) => p.level === 'warning')];
}

const images = (n: number) => `${n} image${n === 1 ? '' : 's'}`;
const inventories = (n: number) => `${n} software inventor${n === 1 ? 'y' : 'ies'}`;

export function verdictOf(problems: readonly Problem[]): Verdict {
  if (problems.some((p) => p.level === 'error')) return 'error';
  return problems.length > 0 ? 'warning' : 'ok';
}

/** "in 3 d 4 h" or "5 h ago": a countdown for terminals, on the freshness module's units. */
export function countdown(seconds: number): string {
  return seconds > 0 ? `in ${formatAge(seconds)}` : `${formatAge(-seconds)} ago`;
}
