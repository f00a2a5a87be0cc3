import { Router } from 'express';
import { VmicError } from '../pki/errors.ts';
import type { Instance } from '../catalog/index.ts';
import { sha256Param } from './params.ts';
import { IMMUTABLE_CACHE, notModified } from './http-cache.ts';
import { sendProblem } from './problem.ts';

/**
 * `GET /blobs/sha256/{hex}`: image bytes by content address. The file name comes from the
 * validated digest only, never from the raw path (threat: path traversal). `sendFile`
 * streams from disk and answers a single byte range with 206, an unsatisfiable one with
 * 416, and several ranges with the whole body (RFC 9110 §14.2 lets a server ignore Range).
 */
export function blobsRouter(inst: Instance): Router {
  const r = Router();
  r.get('/sha256/:hex', async (req, res) => {
    const hex = sha256Param(req.params.hex);
    if (!inst.blobs.has(hex)) throw new VmicError('NOT_FOUND', `no blob sha256:${hex}`);
    const etag = `"sha256:${hex}"`;
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', IMMUTABLE_CACHE);
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
