import { PackageURL } from 'packageurl-js';
import type { InventoryPackage } from './package-spec.ts';

/**
 * The packages of a verified software inventory: CycloneDX `components[]` (nested
 * `components` too) and SPDX 2.3 `packages[]`. The document is signed by the endorser,
 * yet still parsed defensively: an endorser's build tool, or a compromised endorser, may
 * produce anything.
 *
 * - Threat: a hostile document with a million components (or nested a thousand deep)
 *   exhausting the site's memory or database: the count and the depth are bounded, and a
 *   document past them is refused as a whole ("unreadable"), never cut short, since a
 *   truncated inventory would hide the packages after the cut from deny-package.
 * - Nothing is dropped silently: a package without a (valid) purl is kept by name and
 *   version, with type null.
 */
export const MAX_PACKAGES = 50_000;
const MAX_DEPTH = 32;
const MAX_FIELD = 1024;

export type ParsedInventory =
  | { ok: true; format: 'cyclonedx' | 'spdx'; packages: InventoryPackage[] }
  | { ok: false; problem: string };

export function parseInventory(bytes: Buffer, mediaType: string | null): ParsedInventory {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return { ok: false, problem: `not JSON: ${(e as Error).message}` };
  }
  if (!isObject(doc)) return { ok: false, problem: 'not a JSON object' };
  const cyclone = doc.bomFormat === 'CycloneDX';
  const spdx = typeof doc.spdxVersion === 'string';
  // The signed media type and the document must agree: one read as the other could hide packages.
  if (mediaType === 'application/vnd.cyclonedx+json' && !cyclone)
    return { ok: false, problem: 'signed as CycloneDX but bomFormat is not CycloneDX' };
  if (mediaType === 'application/spdx+json' && !spdx)
    return { ok: false, problem: 'signed as SPDX but has no spdxVersion' };
  try {
    if (cyclone) return { ok: true, format: 'cyclonedx', packages: cycloneDx(doc) };
    if (spdx) return { ok: true, format: 'spdx', packages: spdxPackages(doc) };
  } catch (e) {
    if (e instanceof InventoryProblem) return { ok: false, problem: e.message };
    throw e;
  }
  return { ok: false, problem: 'neither CycloneDX (bomFormat) nor SPDX (spdxVersion)' };
}

class InventoryProblem extends Error {}

function cycloneDx(doc: Record<string, unknown>): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  // Iterative walk: no recursion for a hostile nesting to overflow the stack.
  const stack: { list: unknown; depth: number }[] = [{ list: doc.components, depth: 1 }];
  while (stack.length > 0) {
    const { list, depth } = stack.pop()!;
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new InventoryProblem('components is not an array');
    if (depth > MAX_DEPTH) throw new InventoryProblem(`components nested deeper than ${MAX_DEPTH}`);
    for (const c of list) {
      if (!isObject(c)) throw new InventoryProblem('a component is not an object');
      add(out, packageOf(str(c.purl), str(c.name), str(c.version)));
      if (c.components !== undefined) stack.push({ list: c.components, depth: depth + 1 });
    }
  }
  return out;
}

function spdxPackages(doc: Record<string, unknown>): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  const list = doc.packages ?? [];
  if (!Array.isArray(list)) throw new InventoryProblem('packages is not an array');
  for (const p of list) {
    if (!isObject(p)) throw new InventoryProblem('a package is not an object');
    const refs = Array.isArray(p.externalRefs) ? p.externalRefs : [];
    const purls = refs
      .filter((r): r is Record<string, unknown> => isObject(r) && r.referenceType === 'purl')
      .map((r) => str(r.referenceLocator))
      .filter((l): l is string => l !== undefined);
    if (purls.length === 0) add(out, packageOf(undefined, str(p.name), str(p.versionInfo)));
    for (const purl of purls) add(out, packageOf(purl, str(p.name), str(p.versionInfo)));
  }
  return out;
}

function add(out: InventoryPackage[], p: InventoryPackage | undefined): void {
  if (!p) return;
  if (out.length >= MAX_PACKAGES)
    throw new InventoryProblem(`more than ${MAX_PACKAGES} packages; refused as a whole`);
  out.push(p);
}

/** The purl's parts where it parses; else the component's own name and version, type null. */
function packageOf(
  purl: string | undefined,
  name: string | undefined,
  version: string | undefined,
): InventoryPackage | undefined {
  if (purl !== undefined) {
    try {
      const p = PackageURL.fromString(purl);
      return {
        purl,
        type: p.type.toLowerCase(),
        namespace: p.namespace ?? null,
        name: p.name,
        version: p.version ?? version ?? null,
      };
    } catch {
      // An unparseable purl: indexed by name below, with the text kept for the operator.
    }
  }
  if (name === undefined || name === '') {
    if (purl === undefined) return undefined; // nothing to index a component by
    return { purl, type: null, namespace: null, name: purl, version: version ?? null };
  }
  return { purl: purl ?? null, type: null, namespace: null, name, version: version ?? null };
}

function str(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (v.length > MAX_FIELD)
    throw new InventoryProblem(`a field is longer than ${MAX_FIELD} characters`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
