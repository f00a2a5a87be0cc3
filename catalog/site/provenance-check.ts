import { createHash } from 'node:crypto';
import { VmicError, isVmicError } from '../../errors/index.ts';
import type { CatalogDocument, Derivation } from '../rdf/model.ts';
import type { FeedFetcher } from './feed-fetcher.ts';
import type { SitePolicy } from './policy.ts';
import type { TrustMaterial } from './trust-store.ts';
import { verifyCatalog } from './verify-catalog.ts';

export interface ProvenanceContext {
  time: Date;
  policy: SitePolicy;
  trust: TrustMaterial;
  fetcher: FeedFetcher;
}

/**
 * `--verify-provenance` (issue 19): for every adopted image of a verified catalog, this
 * site fetches the upstream catalog version the derivation names and checks it itself,
 * rather than trusting the downstream endorser's word for it:
 * - the bytes fetched hash to the derivation's `vmic:upstreamCatalogSha256` (the exact
 *   version the downstream endorser verified);
 * - it verifies under this site's own trust store and revocation policy, signed by the
 *   subject and issuer the derivation names, current at the import's time;
 * - it is the named catalog (IRI, sequence) and lists the named image with the same
 *   SHA-256 as the adopted one.
 * Anything else refuses the import with PROVENANCE_UNVERIFIED, naming the image and why
 * (threat: an endorser claiming an origin its bytes do not have, or an origin this site
 * has no trust path to). The upstream version's URL follows vmic's feed layout: a catalog
 * IRI `…/feeds/NAME/catalog` serves version N at `…/feeds/NAME/N/catalog.p7m`.
 */
export async function checkProvenance(
  doc: CatalogDocument,
  ctx: ProvenanceContext,
): Promise<{ checked: number }> {
  const seen = new Map<string, Promise<CatalogDocument>>();
  let checked = 0;
  for (const image of doc.images) {
    const d = image.derivedFrom;
    if (!d) continue;
    const refuse = (why: string) =>
      new VmicError(
        'PROVENANCE_UNVERIFIED',
        `${image.identifier}: derived from ${d.image} in ${d.catalog} (sequence ${d.sequence}), ${why}`,
      );
    const url = versionUrl(d);
    if (!url) throw refuse('whose catalog IRI is not a vmic feed (…/feeds/NAME/catalog)');
    let p = seen.get(url);
    if (!p) seen.set(url, (p = upstreamCatalog(url, d, ctx)));
    let upstream: CatalogDocument;
    try {
      upstream = await p;
    } catch (e) {
      const code = isVmicError(e) ? `${e.code}: ` : '';
      throw refuse(
        `but that catalog ${url} could not be verified here (${code}${(e as Error).message})`,
      );
    }
    const listed = upstream.images.find((i) => i.iri === d.image);
    if (!listed) throw refuse('but that catalog does not list the image');
    if (listed.distribution.sha256 !== image.distribution.sha256)
      throw refuse(
        `but that catalog lists other bytes (sha256:${listed.distribution.sha256}, not sha256:${image.distribution.sha256})`,
      );
    checked++;
  }
  return { checked };
}

function versionUrl(d: Derivation): string | undefined {
  const m = /^(https?:\/\/.+\/feeds\/[^/]+)\/catalog$/.exec(d.catalog);
  return m ? `${m[1]}/${d.sequence}/catalog.p7m` : undefined;
}

async function upstreamCatalog(
  url: string,
  d: Derivation,
  ctx: ProvenanceContext,
): Promise<CatalogDocument> {
  const res = await ctx.fetcher.fetch(url, {
    maxBytes: ctx.policy.feedMaxBytes,
    timeoutMs: ctx.policy.feedTimeoutMs,
  });
  if (res.status !== 'ok') throw new VmicError('FETCH_FAILED', `${url}: no body`);
  const sha256 = createHash('sha256').update(res.body).digest('hex');
  if (sha256 !== d.catalogSha256)
    throw new VmicError(
      'HASH_MISMATCH',
      `the catalog.p7m served hashes to ${sha256}, not the ${d.catalogSha256} the derivation names`,
    );
  const verified = await verifyCatalog({
    bytes: res.body,
    trust: ctx.trust,
    revocation: ctx.policy.revocation,
    pin: { subject: d.x509Subject, issuer: d.x509Issuer },
    time: ctx.time,
    maxCatalogAgeSeconds: ctx.policy.maxCatalogAgeSeconds,
  });
  const doc = verified.document;
  if (doc.iri !== d.catalog || doc.sequence !== d.sequence)
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `the catalog served is ${doc.iri} sequence ${doc.sequence}, not the one the derivation names`,
    );
  return doc;
}
