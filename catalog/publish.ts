import { VmicError } from '../errors/index.ts';
import type { Instance } from './instance.ts';
import { loadSigner } from './endorsers.ts';
import { discardUnreferencedBlob, listImages, type Image } from './images.ts';
import { writeTransaction, type Tx } from './store/write-transaction.ts';
import { collectCosignatures } from './log/log-witnesses.ts';
import { appendAudit } from './audit/audit-log.ts';
import { appendLogLeaves } from './log/instance-log.ts';
import { catalogLeaf, hepixLeaf } from './log/leaves.ts';
import type { CatalogDocument, CatalogImage } from './rdf/index.ts';
import { IMPORT_LIMITS } from './rdf/import-limits.ts';
import { GRAPH_IMAGE_FIELDS } from './image-fields.ts';
import { GRAPH_DISTRIBUTION_FIELDS } from './rdf/image-fields.ts';
import { catalogIri, endorserIri, feedBase, imageIri } from './feed-iris.ts';
import { imageListOfCatalog, signImageList, writeImageList } from './hepix/index.ts';
import { writeVersionFiles, type VersionFileRefs } from './publish-files.ts';

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
 * and detached, and store the version immutably with sequence = previous + 1: its files
 * streamed into the blob store (publish-files.ts), its row naming them. The whole use
 * case runs under the write lock so that two publishers can never both claim the same
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
  const stored: string[] = [];
  let published: PublishedVersion;
  try {
    published = await writeTransaction(inst.store, async (tx) => {
      const endorser = await tx
        .selectFrom('endorsers')
        .select(['id', 'title'])
        .where('name', '=', input.endorser)
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
      const signing = {
        signer: { certificate: signer.certificate, privateKey: signer.privateKey },
        chain: signer.chain,
        signingTime: issued,
      };
      const files = await writeVersionFiles(
        inst,
        doc,
        signing,
        await signImageList(imageList, signer, issued),
        (sha256) => stored.push(sha256),
      );
      const contentSha256 = files.nquads.sha256;
      await recordVersion(tx, inst.now(), files, {
        endorser_id: endorser.id,
        sequence,
        issued_at: issued.toISOString(),
        expires_at: expires.toISOString(),
        image_count: images.length,
        content_sha256: contentSha256,
      });
      await appendLogLeaves(
        tx,
        [
          catalogLeaf(input.endorser, sequence, files.p7m.sha256),
          hepixLeaf(input.endorser, sequence, files.image_list.sha256),
        ],
        inst.now(),
      );
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
  } catch (e) {
    // The version was not recorded: its files have no row and would wait a day for the
    // orphan sweep (hundreds of MB for a large catalog). Removed now unless a row names them.
    for (const sha256 of stored) await discardUnreferencedBlob(inst, sha256).catch(() => {});
    throw tooLargeOrAsIs(e);
  }
  // After the commit and its checkpoint: the log's witnesses cosign the tree that holds
  // the new version, so that sites needing their cosignatures find them with the proof.
  await collectCosignatures(inst);
  return published;
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

/**
 * The row names its files in the blob store; the inline columns of older versions stay
 * empty (migration-0011.ts). Each file also gets a `blobs` row: that keeps it from the
 * start-up sweep of unreferenced blobs (catalog/cleanup/orphan-blobs.ts), and a crash
 * before this transaction commits leaves files without rows, which that sweep removes.
 */
async function recordVersion(
  tx: Tx,
  now: Date,
  files: VersionFileRefs,
  row: {
    endorser_id: number;
    sequence: number;
    issued_at: string;
    expires_at: string;
    image_count: number;
    content_sha256: string;
  },
): Promise<void> {
  await tx
    .insertInto('catalog_versions')
    .values({
      ...row,
      nquads: '',
      turtle: '',
      jsonld: '',
      p7m: new Uint8Array(0),
      p7s: new Uint8Array(0),
      image_list: null,
      nquads_sha256: files.nquads.sha256,
      nquads_size: files.nquads.size,
      turtle_sha256: files.turtle.sha256,
      turtle_size: files.turtle.size,
      jsonld_sha256: files.jsonld.sha256,
      jsonld_size: files.jsonld.size,
      p7m_sha256: files.p7m.sha256,
      p7m_size: files.p7m.size,
      p7s_sha256: files.p7s.sha256,
      p7s_size: files.p7s.size,
      image_list_sha256: files.image_list.sha256,
      image_list_size: files.image_list.size,
    })
    .execute();
  for (const file of Object.values(files))
    await tx
      .insertInto('blobs')
      .values({
        sha256: file.sha256,
        sha512: null,
        byte_size: file.size,
        created_at: now.toISOString(),
      })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
}

/**
 * A limit met by a catalog too large to build (a string or buffer past V8's largest, a
 * value past SQLite's) is the publisher's TOO_LARGE with what to do, not an internal error.
 */
function tooLargeOrAsIs(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  const message = (e as Error).message ?? '';
  if (
    code === 'SQLITE_TOOBIG' ||
    (e instanceof RangeError &&
      /Invalid string length|Array buffer allocation failed/.test(message))
  )
    return new VmicError(
      'TOO_LARGE',
      `the catalog is too large to publish (${message}); withdraw images or shorten their descriptions`,
      { rule: 'catalog.size', cause: e },
    );
  return e;
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
