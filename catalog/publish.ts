import crypto from 'node:crypto';
import { VmicError } from '../errors/index.ts';
import { cmsSign } from '../pki/index.ts';
import type { Instance } from './instance.ts';
import { loadSigner } from './endorsers.ts';
import { listImages, type Image } from './images.ts';
import { writeTransaction } from './store/write-transaction.ts';
import { appendAudit } from './audit/audit-log.ts';
import {
  canonicalNQuads,
  catalogToQuads,
  toJsonLd,
  toTurtle,
  type CatalogDocument,
  type CatalogImage,
} from './rdf/index.ts';
import { GRAPH_IMAGE_FIELDS } from './image-fields.ts';
import { GRAPH_DISTRIBUTION_FIELDS } from './rdf/image-fields.ts';
import { catalogIri, endorserIri, feedBase, imageIri } from './feed-iris.ts';
import { imageListOfCatalog, signImageList, writeImageList } from './hepix/index.ts';

export const DEFAULT_EXPIRES_IN_SECONDS = 30 * 24 * 3600;
export const MAX_EXPIRES_IN_SECONDS = 366 * 24 * 3600;

export interface PublishedVersion {
  endorser: string;
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  imageCount: number;
  contentSha256: string;
}

/**
 * Publish: build the graph of the endorsed images, canonicalise (RDFC-1.0), sign attached
 * and detached, and store the version immutably with sequence = previous + 1. The whole
 * use case runs under the write lock so that two publishers can never both claim the same
 * sequence (threat: equivocation by our own server).
 */
export async function publishCatalog(
  inst: Instance,
  input: { endorser: string; expiresInSeconds?: number; actor: string },
): Promise<PublishedVersion> {
  const expiresIn = input.expiresInSeconds ?? DEFAULT_EXPIRES_IN_SECONDS;
  if (!Number.isSafeInteger(expiresIn) || expiresIn < 60 || expiresIn > MAX_EXPIRES_IN_SECONDS) {
    throw new VmicError('BAD_REQUEST', `expiry must be between 1 minute and 366 days`);
  }
  const signer = await loadSigner(inst, input.endorser);
  return writeTransaction(inst.store, async (tx) => {
    const endorser = await tx
      .selectFrom('endorsers')
      .select(['id', 'title'])
      .where('name', '=', input.endorser)
      .executeTakeFirstOrThrow();
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
    // Inside the transaction, every query goes through `tx`: the store has one connection.
    const images = await listImages(inst, { endorser: input.endorser, status: 'endorsed' }, tx);

    const base = inst.config.publicUrl;
    const doc: CatalogDocument = {
      iri: catalogIri(base, input.endorser),
      title: endorser.title,
      issued,
      sequence,
      expires,
      publisher: {
        iri: endorserIri(base, input.endorser),
        name: endorser.title,
        x509Subject: signer.subject,
        x509Issuer: signer.issuer,
      },
      images: images.map((img) => toCatalogImage(base, img)),
    };
    const quads = catalogToQuads(doc);
    const nquads = await canonicalNQuads(quads);
    const content = Buffer.from(nquads, 'utf8');
    const signing = {
      signer: { certificate: signer.certificate, privateKey: signer.privateKey },
      chain: signer.chain,
      signingTime: issued,
    };
    // The same version as a HEPiX image list for vmcatcher, cloudkeeper and atrope (docs/design.md §3).
    const imageList = writeImageList(
      imageListOfCatalog({
        catalogIri: doc.iri,
        listUrl: `${feedBase(base, input.endorser)}/${sequence}/image.list`,
        title: endorser.title,
        sequence,
        issued,
        expires,
        signer,
        images,
      }),
    );
    const [p7m, p7s, turtle, jsonld, signedList] = await Promise.all([
      cmsSign({ content, detached: false, ...signing }),
      cmsSign({ content, detached: true, ...signing }),
      toTurtle(quads),
      toJsonLd(quads),
      signImageList(imageList, signer, issued),
    ]);
    const contentSha256 = crypto.createHash('sha256').update(content).digest('hex');
    await tx
      .insertInto('catalog_versions')
      .values({
        endorser_id: endorser.id,
        sequence,
        issued_at: issued.toISOString(),
        expires_at: expires.toISOString(),
        image_count: images.length,
        nquads,
        turtle,
        jsonld,
        p7m: Buffer.from(p7m),
        p7s: Buffer.from(p7s),
        image_list: signedList,
        content_sha256: contentSha256,
      })
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'catalog.published',
      subject: input.endorser,
      details: {
        sequence,
        imageCount: images.length,
        expires: expires.toISOString(),
        contentSha256,
      },
    });
    return {
      endorser: input.endorser,
      sequence,
      issuedAt: issued.toISOString(),
      expiresAt: expires.toISOString(),
      imageCount: images.length,
      contentSha256,
    };
  });
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
  return image;
}

/** xsd:dateTime in the catalog has second precision; so does the recorded issue time. */
function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
