import { VmicError } from '../errors/index.ts';
import type { Instance } from './instance.ts';
import type { Signer } from './endorsers.ts';
import { listImages, type Image } from './images.ts';
import type { Tx } from './store/write-transaction.ts';
import type { CatalogDocument, CatalogImage } from './rdf/index.ts';
import { IMPORT_LIMITS } from './rdf/import-limits.ts';
import { GRAPH_IMAGE_FIELDS } from './image-fields.ts';
import { GRAPH_DISTRIBUTION_FIELDS } from './rdf/image-fields.ts';
import { catalogIri, endorserIri, feedBase, imageIri } from './feed-iris.ts';
import { blobUrl } from './image-queries.ts';
import { reconcileAdopted, type UpstreamLapse } from './adopted-upstream.ts';
import { imageListOfCatalog, signImageList, writeImageList } from './hepix/index.ts';

/** What a publish signs: the catalog document, and the same version as a signed HEPiX list. */
export interface PreparedVersion {
  endorserId: number;
  sequence: number;
  issued: Date;
  expires: Date;
  doc: CatalogDocument;
  imageCount: number;
  /** The HEPiX image list, S/MIME signed by the endorser alone (that format has one signer). */
  signedImageList: Buffer;
  /** Adopted images withdrawn now because their upstream no longer endorses them. */
  withdrawnUpstream: UpstreamLapse[];
}

/**
 * The next version of an endorser's catalog, built inside the publish transaction (every
 * query through `tx`: the store has one connection): the endorsed images, sequence =
 * previous + 1, issued now (whole seconds), expiring `expiresIn` seconds later.
 */
export async function prepareVersion(
  inst: Instance,
  tx: Tx,
  name: string,
  signer: Signer,
  expiresIn: number,
  actor: string,
): Promise<PreparedVersion> {
  const endorser = await tx
    .selectFrom('endorsers')
    .select(['id', 'title', 'conforms_to'])
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  await checkImageCount(tx, endorser.id);
  const last = await tx
    .selectFrom('catalog_versions')
    .select('sequence')
    .where('endorser_id', '=', endorser.id)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  const sequence = (last?.sequence ?? 0) + 1;
  const issued = wholeSeconds(inst.now());
  const expires = new Date(issued.getTime() + expiresIn * 1000);
  // Adopted images follow their upstream: withdrawn there (or lapsed), withdrawn here.
  const withdrawnUpstream = await reconcileAdopted(tx, { id: endorser.id, name }, issued, actor);
  const images = await listImages(inst, { endorser: name, status: 'endorsed' }, tx);
  const base = inst.config.publicUrl;
  const doc: CatalogDocument = {
    iri: catalogIri(base, name),
    title: endorser.title,
    issued,
    sequence,
    expires,
    publisher: {
      iri: endorserIri(base, name),
      name: endorser.title,
      x509Subject: signer.subject,
      x509Issuer: signer.issuer,
    },
    images: images.map((img) => toCatalogImage(base, img)),
    ...catalogClaims(endorser.conforms_to),
  };
  // The same version as a HEPiX image list for vmcatcher, cloudkeeper and atrope (docs/design.md §3).
  const imageList = writeImageList(
    imageListOfCatalog({
      catalogIri: doc.iri,
      listUrl: `${feedBase(base, name)}/${sequence}/image.list`,
      title: endorser.title,
      sequence,
      issued,
      expires,
      signer,
      images,
      conformsTo: doc.conformsTo,
    }),
  );
  return {
    endorserId: endorser.id,
    sequence,
    issued,
    expires,
    doc,
    imageCount: images.length,
    signedImageList: await signImageList(imageList, signer, issued),
    withdrawnUpstream,
  };
}

/**
 * Refuses, before any work, a catalog every site would refuse: an import takes at most
 * IMPORT_LIMITS.images images (docs/design.md §6 step 7, rule `catalog.images`), and a
 * signed catalog that no subscriber can import is a silent outage.
 */
async function checkImageCount(tx: Tx, endorserId: number): Promise<void> {
  const { n } = await tx
    .selectFrom('images')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('endorser_id', '=', endorserId)
    .where('status', '=', 'endorsed')
    .executeTakeFirstOrThrow();
  if (Number(n) > IMPORT_LIMITS.images)
    throw new VmicError(
      'TOO_LARGE',
      `the catalog would list ${n} endorsed images; sites import at most ${IMPORT_LIMITS.images} (withdraw some, or split them across endorsers)`,
      { rule: 'catalog.images' },
    );
}

function toCatalogImage(base: string, img: Image): CatalogImage {
  const iri = imageIri(base, img.endorser, img.identifier);
  const image: CatalogImage = {
    iri,
    identifier: img.identifier,
    title: img.title,
    distribution: {
      iri: `${iri}#disk`,
      downloadUrl: img.downloadUrl,
      byteSize: img.byteSize,
      sha256: img.sha256,
      checksumIri: `${iri}#sha256`,
    },
  };
  // An absent field stays absent (not `undefined`): the graph writes what is present.
  for (const field of GRAPH_IMAGE_FIELDS) {
    const value = img[field];
    if (value !== undefined) image[field] = value;
  }
  for (const field of GRAPH_DISTRIBUTION_FIELDS) {
    const value = img[field];
    if (value !== undefined) image.distribution[field] = value;
  }
  // The inventory is served from this instance's blob store, like an uploaded disk.
  if (img.sbom)
    image.sbom = {
      iri: `${iri}#sbom`,
      downloadUrl: blobUrl(base, img.sbom.sha256),
      byteSize: img.sbom.byteSize,
      sha256: img.sbom.sha256,
      checksumIri: `${iri}#sbom-sha256`,
      mediaType: img.sbom.mediaType,
    };
  if (img.conformsTo?.length) image.conformsTo = [...new Set(img.conformsTo)].sort();
  if (img.derivedFrom) image.derivedFrom = { ...img.derivedFrom, iri: `${iri}#derivation` };
  return image;
}

/** The endorser's claims for the whole catalog (`dcterms:conformsTo` on it), if any. */
function catalogClaims(json: string | null): { conformsTo?: string[] } {
  const claims = json === null ? [] : (JSON.parse(json) as string[]);
  return claims.length ? { conformsTo: [...new Set(claims)].sort() } : {};
}

/** xsd:dateTime in the catalog has second precision; so does the recorded issue time. */
function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
