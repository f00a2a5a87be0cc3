import { Router } from 'express';
import { VmicError } from '../errors/index.ts';
import type { Instance, Principal } from '../catalog/index.ts';
import { isPublishedBlob } from '../catalog/published-blobs.ts';
import { bearerResolver } from './auth.ts';
import { sha256Param } from './params.ts';
import { IMMUTABLE_CACHE, notModified } from './http-cache.ts';
import { sendStoredObject } from './blob-ranges.ts';

/**
 * `GET /blobs/sha256/{hex}`: image bytes by content address. The file name comes from the
 * validated digest only, never from the raw path (threat: path traversal). The bytes are
 * streamed from the blob store (disk, or a ranged GetObject from a bucket): a single byte
 * range gets 206, an unsatisfiable one 416, several ranges the whole body (blob-ranges.ts).
 * With `&redirect=presigned` in the blob URL, published bytes are answered with a 307 to
 * a short-lived presigned URL of the bucket instead.
 *
 * Bytes are public once a published catalog version of this instance lists them (sites
 * download them by the catalog's URL). Before that, only a bearer token of `admin` or of
 * the endorser whose image they are may read them; anyone else gets the same 404 as for
 * bytes that do not exist (threat: an unpublished or embargoed image read, or its upload
 * detected, by someone who learns or guesses its hash). The site cache is never served.
 */
export function blobsRouter(inst: Instance): Router {
  const r = Router();
  const bearer = bearerResolver(inst);
  r.get('/sha256/:hex', async (req, res) => {
    const hex = sha256Param(req.params.hex);
    const published = await isPublishedBlob(inst, hex);
    if (!published && !(await mayReadUnpublished(inst, await bearer(req), hex)))
      throw new VmicError('NOT_FOUND', `no blob sha256:${hex}`);
    const size = await inst.blobs.size(hex);
    if (size === undefined) throw new VmicError('NOT_FOUND', `no blob sha256:${hex}`);
    const etag = `"sha256:${hex}"`;
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('ETag', etag);
    // Unpublished bytes must not land in a shared cache that would hand them to anyone.
    res.setHeader('Cache-Control', published ? IMMUTABLE_CACHE : 'private, no-store');
    res.setHeader('Accept-Ranges', 'bytes');
    if (notModified(req, etag)) {
      res.status(304).end();
      return;
    }
    const presign = inst.blobs.presignedUrl;
    if (presign && published) {
      // Configured (`&redirect=presigned`): the store serves the bytes, Range included.
      // Only for public bytes: a URL that works for anyone must not leak embargoed ones.
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(307, await presign(hex));
      return;
    }
    await sendStoredObject(req, res, inst.blobs, hex, size);
  });
  return r;
}

/** `admin`, or `endorser:NAME` for an endorser with an image (or an image's SBOM) of these bytes. */
async function mayReadUnpublished(
  inst: Instance,
  principal: Principal | undefined,
  hex: string,
): Promise<boolean> {
  if (!principal) return false;
  if (principal.roles.includes('admin')) return true;
  const owners = await inst.store.db
    .selectFrom('images as i')
    .innerJoin('endorsers as e', 'e.id', 'i.endorser_id')
    .select('e.name')
    // The image's bytes, or its attached software inventory (catalog/sbom/attach-sbom.ts).
    .where((eb) => eb.or([eb('i.sha256', '=', hex), eb('i.sbom_sha256', '=', hex)]))
    .execute();
  return owners.some((o) => principal.roles.includes(`endorser:${o.name}`));
}
