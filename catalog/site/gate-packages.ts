import type { Queryable } from '../store/database.ts';
import type { GateRow } from './gate-query.ts';
import type { GateReason, ListingFacts } from './gate-rules.ts';
import { parseDenyRules, type DenyRule } from './inventory/deny-rules.ts';
import { matchPackage, packageLabel, type InventoryPackage } from './inventory/package-spec.ts';
import { packagesNamed } from './inventory/store.ts';

/**
 * The deploy gate's `deny-package` rule (issue 19 part 2, docs/design.md §7): an image
 * whose verified software inventory contains a package a rule denies is refused with
 * PACKAGE_DENIED. Fail closed: while deny rules exist, an image whose inventory cannot be
 * checked is refused too, whether its SBOM is not fetched or verified yet, was served
 * with other bytes (quarantined), cannot be read, or the catalog signed none at all
 * ("cannot prove the package absent"). Threat: a vulnerable package reaching deployment
 * because its inventory was tampered with, withheld, or simply never looked at.
 */
export interface PackageFacts {
  rules: DenyRule[];
  /** A stored rule that no longer parses: refuses everything (fail closed). */
  badRules?: string;
  inventory: 'none' | 'not-fetched' | 'quarantined' | 'unreadable' | 'verified';
  sbomSha256: string | null;
  /** Why it is quarantined or unreadable. */
  detail: string | null;
  /** The verified inventory's packages named by any rule (versions judged by the rule). */
  candidates: InventoryPackage[];
}

/**
 * The facts for one decision: nothing (no query) without deny rules; with them, at most
 * one statement, for the packages of the image's inventory named by a rule.
 */
export async function gatherPackageFacts(
  db: Queryable,
  row: GateRow,
): Promise<PackageFacts | undefined> {
  if (row.denyPackage === null || row.denyPackage.trim() === '') return undefined;
  let rules: DenyRule[];
  try {
    rules = parseDenyRules(row.denyPackage);
  } catch (e) {
    const base = { rules: [], inventory: 'none', sbomSha256: null, detail: null, candidates: [] };
    return { ...base, badRules: (e as Error).message } as PackageFacts;
  }
  const sha = row.image.sbom_sha256;
  const facts = { rules, sbomSha256: sha, detail: row.sbom?.reason ?? null, candidates: [] };
  if (sha === null) return { ...facts, inventory: 'none' };
  if (!row.sbom) return { ...facts, inventory: 'not-fetched' };
  if (row.sbom.state !== 'verified') {
    const detail =
      row.sbom.state === 'quarantined'
        ? `it hashed to ${row.sbom.actual_sha256 ?? 'something else'}`
        : row.sbom.reason;
    const state = row.sbom.state === 'quarantined' ? 'quarantined' : 'unreadable';
    return { ...facts, inventory: state, detail };
  }
  const names = [...new Set(rules.map((r) => r.spec.nameKey))];
  return { ...facts, inventory: 'verified', candidates: await packagesNamed(db, sha, names) };
}

/** At most this many denied packages are named, then a count (a bounded message). */
const NAMED = 10;

// PACKAGE_DENIED (the rule itself; see PackageFacts for the threat and fail-closed cases).
export function packagesAllowed({ packages: p }: ListingFacts): GateReason[] {
  if (!p) return [];
  const deny = (message: string): GateReason[] => [{ code: 'PACKAGE_DENIED', message }];
  if (p.badRules !== undefined)
    return deny(`the deny-package policy cannot be read: ${p.badRules}`);
  const sbom = p.sbomSha256 !== null ? ` (sha256:${p.sbomSha256})` : '';
  switch (p.inventory) {
    case 'none':
      return deny(
        'no software inventory to check against deny-package: the catalog signs no SBOM for this image',
      );
    case 'not-fetched':
      return deny(`the software inventory${sbom} is not verified yet (vmic fetch)`);
    case 'quarantined':
      return deny(
        `the software inventory${sbom} served for this image did not match the signed SHA-256 (${p.detail ?? 'quarantined'}); kept out until vmic fetch verifies it`,
      );
    case 'unreadable':
      return deny(`the software inventory${sbom} cannot be read: ${p.detail ?? 'unreadable'}`);
    case 'verified':
      break;
  }
  const hits: string[] = [];
  for (const pkg of p.candidates)
    for (const rule of p.rules) {
      const m = matchPackage(rule.spec, pkg);
      if (m === false) continue;
      const unknown =
        m === undefined ? ' (its version is not stated, so it cannot be ruled out)' : '';
      hits.push(`${packageLabel(pkg)} is denied by deny-package ${rule.text}${unknown}`);
      break;
    }
  if (hits.length === 0) return [];
  const more = hits.length > NAMED ? `; and ${hits.length - NAMED} more` : '';
  return hits.slice(0, NAMED).map((message, i) => ({
    code: 'PACKAGE_DENIED' as const,
    message: i === NAMED - 1 ? message + more : message,
  }));
}
