import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { ByteRange, ObjectStore } from '../catalog/blobs/object-store.ts';
import { sendProblem } from './problem.ts';

/**
 * Sends a stored object, or one byte range of it, the way `res.sendFile` did for files on
 * disk, for any store (a bucket streams a ranged GetObject through us): a single satisfiable
 * range gets 206 with Content-Range; an unsatisfiable one 416 with `bytes *\/SIZE`; several
 * ranges, a malformed header, or an `If-Range` that does not name this strong ETag get the
 * whole body with 200 (RFC 9110 §14.2 and §13.1.5 let a server ignore Range). HEAD gets the
 * headers only. The caller has set ETag and the other headers.
 */
export async function sendStoredObject(
  req: Request,
  res: Response,
  store: ObjectStore,
  sha256: string,
  size: number,
): Promise<void> {
  const range = wantedRange(req, res, size);
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    sendProblem(res, 'RANGE_NOT_SATISFIABLE', 'the requested range is outside the blob');
    return;
  }
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  }
  const length = range ? range.end - range.start + 1 : size;
  res.setHeader('Content-Length', String(length));
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const body = await store.open(sha256, range ?? undefined);
  // A client that hangs up mid-body ends the pipeline; the store's stream is destroyed.
  await pipeline(body, res).catch((e: unknown) => {
    if (!res.destroyed) throw e;
  });
}

function wantedRange(
  req: Request,
  res: Response,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const header = req.get('range');
  // Only byte ranges (another unit is ignored, as `send` did: RFC 9110 §14.2).
  if (header === undefined || !/^ *bytes=/.test(header) || !rangeFresh(req, res)) return undefined;
  const ranges = req.range(size, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges === undefined || ranges.length !== 1) return undefined;
  return { start: ranges[0]!.start, end: ranges[0]!.end };
}

/** `If-Range`: the range applies only to the representation whose strong ETag it names. */
function rangeFresh(req: Request, res: Response): boolean {
  const ifRange = req.get('if-range');
  if (ifRange === undefined) return true;
  const etag = res.getHeader('ETag');
  return !ifRange.startsWith('W/') && typeof etag === 'string' && ifRange.trim() === etag;
}
