import fs from 'node:fs';
import { Readable } from 'node:stream';
import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import { discardUnreferencedBlob } from '../images.ts';
import { findImage, getImage, type Image } from '../image-queries.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { checkSbom } from './check-sbom.ts';
import { formatLabel } from './sbom-format.ts';

export interface SbomTarget {
  endorser: string;
  identifier: string;
  actor: string;
}

/**
 * Attaches a software inventory to an image: checked (check-sbom.ts), then stored in the
 * instance's blob store under its SHA-256, like uploaded image bytes, with a `blobs` row
 * so that no cleanup removes bytes a published catalog may still list (also after a
 * detach or a replacement: catalog versions are immutable). The next published catalog
 * lists it as the image's second distribution (catalog/publish-document.ts), and from then
 * on `/blobs/sha256/HEX` serves it to anyone (server/blobs.ts).
 *
 * Replaces an inventory attached earlier; the audit entry names both hashes.
 */
export async function attachSbom(
  inst: Instance,
  target: SbomTarget & { bytes: Buffer },
): Promise<Image> {
  await getImage(inst, target.endorser, target.identifier); // NOT_FOUND before any work
  const checked = checkSbom(target.bytes, inst.config.limits.sbomBytes);
  const digest = await inst.blobs.ingest(Readable.from([checked.bytes]), {
    maxBytes: inst.config.limits.sbomBytes,
  });
  try {
    return await writeTransaction(inst.store, async (tx) => {
      const img = await getImage(inst, target.endorser, target.identifier, tx);
      if (!(await inst.blobs.has(digest.sha256)))
        throw new VmicError('CONFLICT', 'the SBOM bytes were discarded concurrently; retry');
      await tx
        .insertInto('blobs')
        .values({
          sha256: digest.sha256,
          sha512: digest.sha512 ?? null,
          byte_size: digest.size,
          created_at: inst.now().toISOString(),
        })
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute();
      await tx
        .updateTable('images')
        .set({
          sbom_sha256: digest.sha256,
          sbom_media_type: checked.format.mediaType,
          sbom_byte_size: digest.size,
          updated_at: inst.now().toISOString(),
        })
        .where('id', '=', img.id)
        .execute();
      await appendAudit(tx, {
        at: inst.now(),
        actor: target.actor,
        action: 'image.sbom-attached',
        subject: `${img.endorser}/${img.identifier}`,
        details: {
          sha256: digest.sha256,
          byteSize: digest.size,
          mediaType: checked.format.mediaType,
          format: formatLabel(checked.format),
          ...(img.sbom ? { replaced: img.sbom.sha256 } : {}),
        },
      });
      return getImage(inst, target.endorser, target.identifier, tx);
    });
  } catch (e) {
    await discardUnreferencedBlob(inst, digest.sha256);
    throw e;
  }
}

/**
 * Detaches the inventory: the next catalog no longer lists it. The bytes stay (an
 * earlier catalog version lists them). Detaching when none is attached changes nothing.
 */
export async function detachSbom(inst: Instance, target: SbomTarget): Promise<Image> {
  return writeTransaction(inst.store, async (tx) => {
    const img = await getImage(inst, target.endorser, target.identifier, tx);
    if (!img.sbom) return img;
    await tx
      .updateTable('images')
      .set({
        sbom_sha256: null,
        sbom_media_type: null,
        sbom_byte_size: null,
        updated_at: inst.now().toISOString(),
      })
      .where('id', '=', img.id)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor: target.actor,
      action: 'image.sbom-detached',
      subject: `${img.endorser}/${img.identifier}`,
      details: { sha256: img.sbom.sha256, mediaType: img.sbom.mediaType },
    });
    return getImage(inst, target.endorser, target.identifier, tx);
  });
}

/**
 * Reads an SBOM file for the command line, refusing one over the bound by its size before
 * reading it (threat: `--sbom /dev/zero` or a huge file read whole into memory).
 */
export async function readSbomFile(inst: Instance, file: string): Promise<Buffer> {
  const limit = inst.config.limits.sbomBytes;
  const fh = await fs.promises.open(file, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new VmicError('BAD_REQUEST', `${file} is not a regular file`);
    if (st.size > limit)
      throw new VmicError('TOO_LARGE', `the SBOM is larger than ${limit} bytes`, {
        rule: 'sbom.size',
      });
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** IMAGE as the command line names it (identifier or sha256:HEX), for attach/detach. */
export async function resolveImage(inst: Instance, ref: string, endorser?: string): Promise<Image> {
  return findImage(inst, ref, endorser);
}
