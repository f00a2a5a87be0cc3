import { Router } from 'express';
import { VmicError } from '../errors/index.ts';
import type { Instance, Principal } from '../catalog/index.ts';
import { isPublishedBlob } from '../catalog/published-blobs.ts';
import { bearerResolver } from './auth.ts';
import { sha256Param } from './params.ts';
import { IMMUTABLE_CACHE, notModified } from './http-cache.ts';
import { sendProblem } from './problem.ts';

/**
 * `GET /blobs/sha256/{hex}`: image bytes by content address. The file name comes from the
 * validated digest only, never from the raw path (threat: path traversal). `sendFile`
 * streams from disk and answers a single byte range with 206, an unsatisfiable one with
 * 416, and several ranges with the whole body (RFC 9110 §14.2 lets a server ignore Range).
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
    if (!inst.blobs.has(hex)) throw new VmicError('NOT_FOUND', `no blob sha256:${hex}`);
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
    await new Promise<void>((resolve, reject) => {
      res.sendFile(
        inst.blobs.pathOf(hex),
        { etag: false, lastModified: false, cacheControl: false, acceptRanges: true },
        (err?: Error & { code?: string; status?: number; headers?: Record<string, string> }) => {
          if (!err || res.headersSent) resolve();
          else if (err.status === 416) {
            res.setHeader('Content-Range', err.headers?.['Content-Range'] ?? 'bytes */*');
            sendProblem(res, 'RANGE_NOT_SATISFIABLE', 'the requested range is outside the blob');
            resolve();
          } else if (err.code === 'ENOENT')
            reject(new VmicError('NOT_FOUND', `no blob sha256:${hex}`));
          else reject(err);
        },
      );
    });
  });
  return r;
}

/** `admin`, or `endorser:NAME` for an endorser with an image of these bytes. */
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
    .where('i.sha256', '=', hex)
    .execute();
  return owners.some((o) => principal.roles.includes(`endorser:${o.name}`));
}
