import type {
  CatalogMark,
  HealthSummary,
  SubscriptionHealth,
} from '../../../catalog/site/health.ts';
import { formatAge } from '../../../catalog/site/freshness.ts';
import { identityView } from './identity-view.ts';
import { reasonText } from './reason-text.ts';

/*
 * The home dashboard's view of the health summary (docs/design.md §11): marks and the
 * last import in words, and the geometry of the catalog-age chart, drawn server-side as
 * SVG (the pages' CSP allows no inline script or style, so nothing is computed in the browser).
 */

const MARK_WORDS: Record<CatalogMark, { text: string; level: 'error' | 'warning' }> = {
  expired: { text: 'Expired', level: 'error' },
  'too-old': { text: 'Older than max-catalog-age', level: 'error' },
  refused: { text: 'Last import refused', level: 'error' },
  'near-expiry': { text: 'Expires within a day', level: 'warning' },
  'no-catalog': { text: 'No verified catalog', level: 'warning' },
};

export function markWords(marks: readonly CatalogMark[]) {
  return marks.map((m) => ({ mark: m, ...MARK_WORDS[m] }));
}

function levelOf(marks: readonly CatalogMark[]): 'ok' | 'warning' | 'error' {
  const levels = marks.map((m) => MARK_WORDS[m].level);
  if (levels.includes('error')) return 'error';
  return levels.length > 0 ? 'warning' : 'ok';
}

/** The last import of a subscription as a sentence. */
function lastImportWords(s: SubscriptionHealth): string {
  const li = s.lastImport;
  if (!li) return 'Never imported.';
  if (li.result === 'verified') return 'Verified and applied.';
  if (li.result === 'not-modified')
    return 'Feed unchanged (304 Not Modified); nothing new to verify.';
  return `Refused: ${reasonText(li.code ?? '')}`;
}

// Drawn at its own size (no scaling up), so that its 12 px labels read like the text
// around them; narrow enough to fit a phone's panel without shrinking much.
const CHART = { width: 320, row: 38, label: 13, bar: 12, left: 2, right: 2 };

/**
 * Horizontal bars, one per subscription with a catalog: its age since issue, to a scale
 * that also holds the site's max-catalog-age (drawn as a line) when one is set.
 */
export function ageChart(subs: readonly SubscriptionHealth[], maxAge: number | undefined) {
  const withCatalog = subs.filter((s) => s.catalog !== undefined);
  const ages = withCatalog.map((s) => s.catalog?.ageSeconds ?? 0);
  const scale = Math.max(1, maxAge ?? 0, ...ages) * 1.05;
  const span = CHART.width - CHART.left - CHART.right;
  const x = (seconds: number) => CHART.left + Math.round((Math.max(0, seconds) / scale) * span);
  const bars = withCatalog.map((s, i) => {
    const age = s.catalog?.ageSeconds ?? 0;
    const top = i * CHART.row;
    return {
      name: s.name,
      text: `${s.name}: ${formatAge(age)} old`,
      textY: top + CHART.label,
      barY: top + CHART.label + 6,
      barWidth: Math.max(2, x(age) - CHART.left),
      level: levelOf(s.marks),
    };
  });
  const height = Math.max(1, bars.length) * CHART.row + 6;
  return {
    width: CHART.width,
    height,
    left: CHART.left,
    span,
    barHeight: CHART.bar,
    bars,
    limit: maxAge === undefined ? undefined : { x: x(maxAge), text: formatAge(maxAge) },
    description: bars.map((b) => b.text).join('; '),
  };
}

/** Everything home.njk shows of the summary. */
export function dashboardView(h: HealthSummary) {
  const site = h.site;
  return {
    verdict: h.verdict,
    problems: h.problems,
    site: site && {
      subscriptions: site.subscriptions.map((s) => ({
        ...s,
        level: levelOf(s.enabled ? s.marks : []),
        markWords: markWords(s.marks),
        lastImportWords: lastImportWords(s),
      })),
      chart: ageChart(site.subscriptions, site.maxCatalogAgeSeconds),
      images: site.images,
      cache: site.cache,
      schedule: site.schedule && {
        ...site.schedule,
        every: formatAge(site.schedule.everySeconds),
      },
      maxCatalogAge:
        site.maxCatalogAgeSeconds === undefined ? undefined : formatAge(site.maxCatalogAgeSeconds),
    },
    endorserCatalogs: h.endorsers.map((e) => ({
      ...e,
      level: levelOf(e.marks),
      markWords: markWords(e.marks),
    })),
    identities: h.identities.map(identityView),
    audit: h.audit,
  };
}
