import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { VmicError } from '../pki/errors.ts';
import { getImage, type Image, type ImageMetadata, type Instance } from '../catalog/index.ts';
import { checkMetadata } from '../catalog/image-metadata.ts';
import { checkImageIdentifier } from '../catalog/names.ts';
import { writeTransaction } from '../catalog/store/write-transaction.ts';
import { appendAudit } from '../catalog/audit/audit-log.ts';

/*
 * Stop-gap until catalog/images.ts exports the second half of addImageFromStream on its
 * own ("register bytes already in the blob store"). A multipart upload may send the file
 * before the metadata, so the bytes are ingested first and registered once the form has
 * been read; addImageFromStream cannot do that without writing the bytes twice.
 */

export async function registerIngestedImage(
  inst: Instance,
  input: {
    endorser: string;
    identifier?: string | undefined;
    metadata: Record<string, unknown>;
    actor: string;
    digest: { sha256: string; size: number };
  },
): Promise<Image> {
  const m = checkMetadata(input.metadata, inst.config.limits.metadataChars) as ImageMetadata;
  const identifier =
    input.identifier === undefined ? crypto.randomUUID() : checkImageIdentifier(input.identifier);
  const { sha256, size } = input.digest;
  return writeTransaction(inst.store, async (tx) => {
    const endorser = await tx
      .selectFrom('endorsers')
      .select('id')
      .where('name', '=', input.endorser)
      .executeTakeFirst();
    if (!endorser) throw new VmicError('NOT_FOUND', `no endorser named ${input.endorser}`);
    // Checked under the write lock: a concurrent failed upload of the same bytes may have
    // discarded the file (see discardUnreferencedBlob), and an image must never point at
    // bytes this server does not hold.
    if (!inst.blobs.has(sha256))
      throw new VmicError('CONFLICT', 'the uploaded bytes were discarded concurrently; retry');
    const now = inst.now().toISOString();
    await tx
      .insertInto('blobs')
      .values({ sha256, sha512: null, byte_size: size, created_at: now })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
    const values = {
      title: m.title,
      description: m.description ?? null,
      version: m.version ?? null,
      os_family: m.osFamily ?? null,
      os_name: m.osName ?? null,
      os_version: m.osVersion ?? null,
      arch: m.arch ?? null,
      hypervisor: m.hypervisor ?? null,
      format: m.format ?? null,
      byte_size: size,
      sha256,
      download_url: null,
      status: 'endorsed' as const,
      updated_at: now,
    };
    const existing = await tx
      .selectFrom('images')
      .select('id')
      .where('endorser_id', '=', endorser.id)
      .where('identifier', '=', identifier)
      .executeTakeFirst();
    if (existing) {
      await tx.updateTable('images').set(values).where('id', '=', existing.id).execute();
    } else {
      await tx
        .insertInto('images')
        .values({ ...values, endorser_id: endorser.id, identifier, created_at: now })
        .execute();
    }
    await appendAudit(
      tx,
      {
        actor: input.actor,
        action: existing ? 'image.replaced' : 'image.added',
        subject: `${input.endorser}/${identifier}`,
        details: { sha256, byteSize: size, title: m.title },
      },
      inst.now(),
    );
    return getImage(inst, input.endorser, identifier, tx);
  });
}

/**
 * Removes a blob that an upload stored but that no image ever registered (threat: disk
 * filled by uploads that are aborted or refused after their bytes arrived). A blob with a
 * `blobs` row stays: an earlier catalog version may still point at it.
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
    if (!image && !row) await fs.rm(inst.blobs.pathOf(sha256), { force: true });
  });
}
