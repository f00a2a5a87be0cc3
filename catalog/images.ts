import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { VmicError } from '../errors/index.ts';
import { IMPORT_LIMITS } from './rdf/import-limits.ts';
import type { Instance } from './instance.ts';
import { checkImageIdentifier } from './names.ts';
import { checkMetadata } from './image-metadata.ts';
import {
  IMAGE_FIELDS,
  IMAGE_FIELD_KEYS,
  metadataColumns,
  type ImageMetadata,
} from './image-fields.ts';
import { SHA256_HEX, hashStreamDual } from './blobs/digest.ts';
import { writeTransaction, type Tx } from './store/write-transaction.ts';
import { appendAudit } from './audit/audit-log.ts';
import { findImage, getImage, type Image } from './image-queries.ts';
import { checkClaims, claimsColumn, replaceImageClaims } from './policy-claims.ts';

// Reading images lives in image-queries.ts; re-exported so that callers keep importing images.ts.
export { blobUrl, findImage, getImage, listImages, type Image } from './image-queries.ts';

export interface ImageInput {
  endorser: string;
  /** Reuse an identifier to publish a new version of the same image. */
  identifier?: string | undefined;
  metadata: Record<string, unknown>;
  /** Policy IRIs (policy-claims.ts); new bytes never inherit the old bytes' claims. */
  conformsTo?: readonly unknown[] | undefined;
  actor: string;
  /**
   * Where an adopted image comes from (JSON, catalog/adopt.ts). Absent for an endorser's
   * own bytes: a replaced image drops any earlier provenance (threat: new bytes carrying
   * an old claim of origin).
   */
  derivedFrom?: string;
}

/** Registers an image whose bytes stream in now (upload or local file); hashed while streaming. */
export async function addImageFromStream(
  inst: Instance,
  input: ImageInput & { source: Readable; onProgress?: (bytes: number) => void },
): Promise<Image> {
  checkMetadata(input.metadata, inst.config.limits.metadataChars);
  if (input.identifier !== undefined) checkImageIdentifier(input.identifier);
  checkClaims(input.conformsTo ?? []); // before any byte is stored
  await endorserIdOf(inst, input.endorser);
  const digest = await inst.blobs.ingest(input.source, {
    maxBytes: inst.config.limits.imageBytes,
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
  try {
    return await registerStoredImage(inst, { ...input, digest });
  } catch (e) {
    await discardUnreferencedBlob(inst, digest.sha256);
    throw e;
  }
}

/**
 * Registers an image whose bytes are already in the blob store (an upload whose form
 * fields arrived after the file part). Checked under the write lock that the bytes are
 * still there: an image must never point at bytes this server does not hold.
 */
export async function registerStoredImage(
  inst: Instance,
  input: ImageInput & { digest: { sha256: string; size: number; sha512?: string | undefined } },
): Promise<Image> {
  const metadata = checkMetadata(input.metadata, inst.config.limits.metadataChars) as ImageMetadata;
  const { sha256, size } = input.digest;
  const endorserId = await endorserIdOf(inst, input.endorser);
  const sha512 = input.digest.sha512 ?? (await knownSha512(inst, sha256));
  return writeTransaction(inst.store, async (tx) => {
    if (!(await inst.blobs.has(sha256))) {
      throw new VmicError('CONFLICT', 'the uploaded bytes were discarded concurrently; retry');
    }
    await tx
      .insertInto('blobs')
      .values({ sha256, sha512, byte_size: size, created_at: inst.now().toISOString() })
      .onConflict((oc) => oc.column('sha256').doUpdateSet({ sha512 }))
      .execute();
    return upsertImage(inst, tx, endorserId, input, metadata, { sha256, sha512, size, url: null });
  });
}

/**
 * The SHA-512 of stored bytes whose digest arrived without one (an upload handed over by
 * its SHA-256 name only): from the blob row if an earlier registration recorded it, else
 * by re-reading the blob once, outside the write lock. The SHA-256 is checked on the way,
 * so the SHA-512 is of exactly the bytes the catalog names.
 */
async function knownSha512(inst: Instance, sha256: string): Promise<string | null> {
  const row = await inst.store.db
    .selectFrom('blobs')
    .select('sha512')
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  if (row?.sha512) return row.sha512;
  if (!(await inst.blobs.has(sha256))) return null;
  const d = await hashStreamDual(await inst.blobs.open(sha256));
  if (d.sha256 !== sha256) throw new VmicError('HASH_MISMATCH', `blob ${sha256} is corrupted`);
  return d.sha512;
}

/**
 * Removes a blob that an upload stored but that no image registered (threat: disk filled
 * by uploads aborted or refused after their bytes arrived). A blob with a `blobs` row
 * stays: an earlier catalog version may still point at it.
 */
export async function discardUnreferencedBlob(inst: Instance, sha256: string): Promise<void> {
  await writeTransaction(inst.store, async (tx) => {
    const image = await tx
      .selectFrom('images')
      .select('id')
      .where('sha256', '=', sha256)
      .limit(1)
      .executeTakeFirst();
    const row = await tx
      .selectFrom('blobs')
      .select('sha256')
      .where('sha256', '=', sha256)
      .executeTakeFirst();
    if (!image && !row) await inst.blobs.remove(sha256);
  });
}

/** Registers an image hosted elsewhere, by URL and its already-known SHA-256 and size. */
export async function registerImageByUrl(
  inst: Instance,
  input: ImageInput & { url: string; sha256: string; size: number },
): Promise<Image> {
  const metadata = checkMetadata(input.metadata, inst.config.limits.metadataChars) as ImageMetadata;
  // The bound an importing site applies to IRIs (IMPORT_LIMITS.iriChars), checked before
  // parsing and again on the normalised form, which can only grow by escaping.
  if (input.url.length > IMPORT_LIMITS.iriChars)
    throw new VmicError(
      'TOO_LARGE',
      `download URL is longer than ${IMPORT_LIMITS.iriChars} characters`,
    );
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new VmicError('BAD_REQUEST', `not a URL: ${input.url.slice(0, 200)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new VmicError('BAD_REQUEST', 'download URL must be http or https');
  if (url.toString().length > IMPORT_LIMITS.iriChars)
    throw new VmicError(
      'TOO_LARGE',
      `download URL is longer than ${IMPORT_LIMITS.iriChars} characters`,
    );
  const sha256 = input.sha256.toLowerCase();
  if (!SHA256_HEX.test(sha256)) throw new VmicError('BAD_REQUEST', 'sha256 must be 64 hex digits');
  if (!Number.isSafeInteger(input.size) || input.size < 0)
    throw new VmicError('BAD_REQUEST', 'size must be a non-negative integer');
  if (input.size > inst.config.limits.imageBytes)
    throw new VmicError(
      'TOO_LARGE',
      `size exceeds the limit of ${inst.config.limits.imageBytes} bytes`,
    );
  const endorserId = await endorserIdOf(inst, input.endorser);
  return writeTransaction(inst.store, (tx) =>
    upsertImage(inst, tx, endorserId, input, metadata, {
      sha256,
      sha512: null,
      size: input.size,
      url: url.toString(),
    }),
  );
}

async function upsertImage(
  inst: Instance,
  tx: Tx,
  endorserId: number,
  input: ImageInput,
  m: ImageMetadata,
  bytes: { sha256: string; sha512: string | null; size: number; url: string | null },
): Promise<Image> {
  const now = inst.now().toISOString();
  const claims = checkClaims(input.conformsTo ?? []);
  const identifier =
    input.identifier === undefined ? crypto.randomUUID() : checkImageIdentifier(input.identifier);
  const values = {
    ...metadataColumns(m),
    byte_size: bytes.size,
    sha256: bytes.sha256,
    sha512: bytes.sha512,
    download_url: bytes.url,
    status: 'endorsed' as const,
    conforms_to: claimsColumn(claims),
    derived_from: input.derivedFrom ?? null,
    // An inventory describes bytes: new bytes drop the old one (threat: a replaced image
    // listed with the SBOM of what it replaced). Attach again (catalog/sbom/attach-sbom.ts).
    sbom_sha256: null,
    sbom_media_type: null,
    sbom_byte_size: null,
    updated_at: now,
  };
  const existing = await tx
    .selectFrom('images')
    .select('id')
    .where('endorser_id', '=', endorserId)
    .where('identifier', '=', identifier)
    .executeTakeFirst();
  if (existing) {
    await tx.updateTable('images').set(values).where('id', '=', existing.id).execute();
  } else {
    await tx
      .insertInto('images')
      .values({ ...values, endorser_id: endorserId, identifier, created_at: now })
      .execute();
  }
  await appendAudit(tx, {
    at: inst.now(),
    actor: input.actor,
    action: input.derivedFrom ? 'image.adopted' : existing ? 'image.replaced' : 'image.added',
    subject: `${input.endorser}/${identifier}`,
    details: {
      sha256: bytes.sha256,
      byteSize: bytes.size,
      title: m.title,
      ...(bytes.url ? { downloadUrl: bytes.url } : {}),
      ...(claims.length ? { conformsTo: claims } : {}),
    },
  });
  return getImage(inst, input.endorser, identifier, tx);
}

/** Changes metadata and, with `conformsTo` (null or [] clears), claims; never the bytes. */
export async function updateImageMetadata(
  inst: Instance,
  input: {
    endorser: string;
    identifier: string;
    metadata: Record<string, unknown>;
    conformsTo?: readonly unknown[] | null | undefined;
    actor: string;
  },
): Promise<Image> {
  const m = checkMetadata(input.metadata, inst.config.limits.metadataChars, { partial: true });
  const claims = input.conformsTo === undefined ? undefined : checkClaims(input.conformsTo ?? []);
  return writeTransaction(inst.store, async (tx) => {
    const img = await getImage(inst, input.endorser, input.identifier, tx);
    if (claims !== undefined) await replaceImageClaims(inst, tx, img, claims, input.actor);
    const set: Partial<Record<string, string | null>> = {};
    for (const field of IMAGE_FIELD_KEYS) {
      if (field in input.metadata) set[IMAGE_FIELDS[field].column] = m[field] ?? null;
    }
    if (Object.keys(set).length === 0) return getImage(inst, input.endorser, input.identifier, tx);
    await tx
      .updateTable('images')
      .set({ ...set, updated_at: inst.now().toISOString() })
      .where('id', '=', img.id)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'image.updated',
      subject: `${input.endorser}/${input.identifier}`,
      details: { fields: Object.keys(set) },
    });
    return getImage(inst, input.endorser, input.identifier, tx);
  });
}

export async function withdrawImage(
  inst: Instance,
  input: { endorser?: string | undefined; identifier: string; actor: string },
): Promise<Image> {
  return writeTransaction(inst.store, async (tx) => {
    const img = await findImage(inst, input.identifier, input.endorser, tx);
    if (img.status === 'withdrawn') return img;
    await tx
      .updateTable('images')
      .set({ status: 'withdrawn', updated_at: inst.now().toISOString() })
      .where('id', '=', img.id)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'image.withdrawn',
      subject: `${img.endorser}/${img.identifier}`,
      details: { sha256: img.sha256 },
    });
    return { ...img, status: 'withdrawn' };
  });
}

async function endorserIdOf(inst: Instance, name: string): Promise<number> {
  const row = await inst.store.db
    .selectFrom('endorsers')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no endorser named ${name}`);
  return row.id;
}
