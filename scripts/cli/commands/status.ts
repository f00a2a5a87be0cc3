import {
  FULL_SCOPE,
  healthSummary,
  VERDICT_EXIT,
  type HealthSummary,
  type SiteHealth,
  type SubscriptionHealth,
} from '../../../catalog/site/health.ts';
import { countdown } from '../../../catalog/site/health-rules.ts';
import { formatAge } from '../../../catalog/site/freshness.ts';
import { flag, parse } from '../options.ts';
import { emit } from '../output.ts';
import { withInstance } from '../instance-scope.ts';

/**
 * `vmic status`: the health summary (docs/design.md §11) for a terminal or, with
 * --json, a monitoring check; exit 0 ok, 1 warning, 2 error.
 */
export async function statusCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {}, false);
  const summary = await withInstance(p, (inst) => healthSummary(inst, FULL_SCOPE));
  emit(flag(p, 'json'), summary, () => describeHealth(summary));
  return VERDICT_EXIT[summary.verdict];
}

const ago = (iso: string, now: Date) =>
  countdown(Math.floor((Date.parse(iso) - now.getTime()) / 1000));

const expiry = (seconds: number) => `${seconds > 0 ? 'expires' : 'expired'} ${countdown(seconds)}`;

export function describeHealth(h: HealthSummary): string[] {
  const now = new Date(h.at);
  const lines = [`vmic status at ${h.at}: ${h.verdict.toUpperCase()}`];
  for (const pr of h.problems) lines.push(`  ${pr.level}: ${pr.text}`);
  if (h.site) lines.push(...describeSite(h.site, now));
  if (h.endorsers.length > 0) lines.push('', 'Endorsers');
  for (const e of h.endorsers) {
    const c = e.catalog
      ? `sequence ${e.catalog.sequence}, ${expiry(e.catalog.expiresInSeconds)}`
      : 'nothing published';
    const marks = e.marks.length ? `  [${e.marks.join(', ')}]` : '';
    lines.push(
      `  ${e.name}: ${c}; ${e.changedSinceLastPublish} image(s) changed since last publish${marks}`,
    );
    if (e.pending)
      lines.push(
        `    pending: sequence ${e.pending.sequence}, ${e.pending.signed} of ${e.pending.threshold} signatures, ${e.pending.needed} more needed`,
      );
  }
  if (h.identities.length > 0) lines.push('', 'Certificates');
  for (const i of h.identities) {
    const marks = i.marks.length ? `  [${i.marks.join(', ')}]` : '';
    const who = i.kind === 'endorser' ? `endorser ${i.name}` : 'site identity';
    lines.push(`  ${who}: ${i.subject}, ${expiry(i.expiresInSeconds)} (${i.notAfter})${marks}`);
  }
  if (h.audit) {
    lines.push('', `Audit (last ${h.audit.length})`);
    for (const a of h.audit)
      lines.push(`  #${a.seq} ${ago(a.at, now)}  ${a.action} ${a.subject}  by ${a.actor}`);
  }
  return lines;
}

function describeSite(s: SiteHealth, now: Date): string[] {
  const lines = ['', 'Subscriptions'];
  if (s.subscriptions.length === 0) lines.push('  none');
  for (const sub of s.subscriptions) lines.push(...describeSubscription(sub, now));
  const i = s.images;
  lines.push(
    '',
    `Images (${i.total} endorsed): ${i.deployable} deployable, ${i.awaitingApproval} awaiting approval, ${i.quarantined} quarantined, ${i.notFetched} not fetched`,
    `Cache: ${humanBytes(s.cache.bytes)} in ${s.cache.entries} image(s)`,
    s.schedule
      ? `Import schedule: every ${formatAge(s.schedule.everySeconds)}, next ${ago(s.schedule.nextAt, now)}${s.schedule.running ? ' (running now)' : ''}`
      : 'Import schedule: not scheduled in this process',
  );
  return lines;
}

function describeSubscription(sub: SubscriptionHealth, now: Date): string[] {
  const marks = sub.marks.length ? `  [${sub.marks.join(', ')}]` : '';
  const head = `  ${sub.name} (${sub.enabled ? 'enabled' : 'disabled'})${marks}`;
  const c = sub.catalog;
  const catalog = c
    ? `    catalog sequence ${c.sequence}: verified ${ago(c.verifiedAt, now)}, issued ${formatAge(c.ageSeconds)} ago, ${expiry(c.expiresInSeconds)}`
    : '    no verified catalog';
  const li = sub.lastImport;
  const last = li
    ? `    last import ${ago(li.at, now)}: ${li.result}${li.code ? ` ${li.code}` : ''}: ${li.message}`
    : '    never imported';
  return [head, catalog, last];
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Binary units, as the web pages show sizes (the exact count is in --json). */
function humanBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? Math.round(v * 10) / 10 : Math.round(v)} ${UNITS[u]}`;
}
