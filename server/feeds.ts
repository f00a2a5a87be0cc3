import type { Readable } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import { VmicError } from '../errors/index.ts';
import { feedBase, getEndorser, listCatalogVersions, type Instance } from '../catalog/index.ts';
import {
  getCatalogVersionRefs,
  type VersionFile,
  type VersionFileName,
} from '../catalog/catalog-versions.ts';
import { versionFileLease } from '../catalog/version-file-cache.ts';
import { endorserParam, sequenceParam } from './params.ts';
import {
  IMMUTABLE_CACHE,
  answeredWithoutBody,
  latestCacheOf,
  notModified,
  sendRepresentation,
} from './http-cache.ts';
import { sendProblem } from './problem.ts';

interface FeedFormat {
  file: string;
  contentType: string;
  /** The version's file served under this name. */
  column: VersionFileName;
}

const FORMATS: Record<string, FeedFormat> = {
  p7m: { file: 'catalog.p7m', contentType: 'application/pkcs7-mime', column: 'p7m' },
  nq: { file: 'catalog.nq', contentType: 'application/n-quads; charset=utf-8', column: 'nquads' },
  p7s: { file: 'catalog.p7s', contentType: 'application/pkcs7-signature', column: 'p7s' },
  ttl: { file: 'catalog.ttl', contentType: 'text/turtle; charset=utf-8', column: 'turtle' },
  jsonld: { file: 'catalog.jsonld', contentType: 'application/ld+json', column: 'jsonld' },
  // HEPiX image list (docs/design.md §3): the raw S/MIME message, as vmcaster publishes it and
  // vmcatcher, cloudkeeper and atrope fetch it; text/plain because the message carries its
  // own multipart/signed Content-Type inside.
  list: { file: 'image.list', contentType: 'text/plain; charset=utf-8', column: 'image_list' },
};

/** Media types offered at `/catalog`, in order of preference when the client has none. */
const NEGOTIABLE: Record<string, FeedFormat> = {
  'text/turtle': FORMATS.ttl!,
  'application/n-quads': FORMATS.nq!,
  'application/ld+json': FORMATS.jsonld!,
  'application/pkcs7-mime': FORMATS.p7m!,
};

/**
 * Public feeds (docs/design.md §4). A published version never changes, so its own path is
 * immutable; the latest path changes on publish and is revalidated after a minute so that
 * a frozen feed cannot be pinned in caches for long (threat: freeze attack).
 */
export function feedsRouter(inst: Instance): Router {
  const r = Router();

  r.get('/:endorser', async (req, res) => {
    const endorser = endorserParam(req.params.endorser);
    const e = await getEndorser(inst, endorser);
    const versions = await listCatalogVersions(inst, endorser);
    const base = feedBase(inst.config.publicUrl, endorser);
    const files = (prefix: string) =>
      Object.fromEntries(Object.entries(FORMATS).map(([k, f]) => [k, `${prefix}/${f.file}`]));
    const latest = versions[0];
    const index = {
      endorser,
      title: e.title,
      subject: e.subject,
      issuer: e.issuer,
      latest: latest
        ? {
            sequence: latest.sequence,
            issuedAt: latest.issuedAt,
            expiresAt: latest.expiresAt,
            contentSha256: latest.contentSha256,
            files: files(base),
          }
        : null,
      versions: versions.map((v) => ({
        sequence: v.sequence,
        issuedAt: v.issuedAt,
        expiresAt: v.expiresAt,
        imageCount: v.imageCount,
        contentSha256: v.contentSha256,
        files: files(`${base}/${v.sequence}`),
      })),
    };
    sendRepresentation(req, res, Buffer.from(JSON.stringify(index), 'utf8'), {
      contentType: 'application/json; charset=utf-8',
      cacheControl: latestCacheOf(inst),
    });
  });

  r.get('/:endorser/:file', (req, res) =>
    serveVersion(inst, req, res, endorserParam(req.params.endorser), undefined),
  );
  r.get('/:endorser/:sequence/:file', (req, res) =>
    serveVersion(
      inst,
      req,
      res,
      endorserParam(req.params.endorser),
      sequenceParam(req.params.sequence),
    ),
  );
  return r;
}

async function serveVersion(
  inst: Instance,
  req: Request,
  res: Response,
  endorser: string,
  sequence: number | undefined,
): Promise<void> {
  const file = String(req.params.file);
  let format: FeedFormat | undefined;
  if (file === 'catalog') {
    res.vary('Accept');
    const type = req.accepts(Object.keys(NEGOTIABLE));
    if (!type) {
      sendProblem(res, 'NOT_ACCEPTABLE', `available: ${Object.keys(NEGOTIABLE).join(', ')}`);
      return;
    }
    format = NEGOTIABLE[type];
  } else {
    format = Object.values(FORMATS).find((f) => f.file === file);
  }
  if (!format) throw new VmicError('NOT_FOUND', `no feed file ${file}`);
  const version = await getCatalogVersionRefs(inst, endorser, sequence, { shareRead: true });
  if (file === 'catalog') {
    const base = feedBase(inst.config.publicUrl, endorser);
    res.setHeader('Content-Location', `${base}/${version.summary.sequence}/${format.file}`);
  }
  const body = await version.file(format.column);
  if (!body)
    throw new VmicError(
      'NOT_FOUND',
      `catalog version ${version.summary.sequence} has no ${format.file}`,
    );
  const headers = {
    contentType: format.contentType,
    cacheControl: sequence === undefined ? latestCacheOf(inst) : IMMUTABLE_CACHE,
  };
  if (body.kind === 'inline') sendRepresentation(req, res, body.bytes, headers);
  else await sendStoredRepresentation(inst, req, res, body, headers);
}

/**
 * A version's file from the blob store: from memory when small enough to keep
 * (catalog/version-file-cache.ts; every site polls the latest catalog), else streamed (a
 * large catalog's files are hundreds of MB; threat: a few concurrent downloads exhausting
 * the server's memory). The ETag is the file's SHA-256, its name in the store: the same
 * strong ETag `sendRepresentation` computes over the same bytes, so caches and
 * conditional requests are unchanged.
 */
async function sendStoredRepresentation(
  inst: Instance,
  req: Request,
  res: Response,
  file: Extract<VersionFile, { kind: 'blob' }>,
  headers: { contentType: string; cacheControl: string },
): Promise<void> {
  const etag = `"${file.sha256}"`;
  // HEAD and a 304 need no bytes: neither memory nor the store is asked (in a bucket,
  // each opening is a GET request to the store).
  if (req.method === 'HEAD' || notModified(req, etag)) {
    answeredWithoutBody(req, res, etag, file.size, headers);
    return;
  }
  // Read (or opened) before any header is sent: a missing file is still a clean 500 problem.
  const open = () => openStored(inst, file.sha256);
  const lease = await versionFileLease(inst, file, open);
  if (lease) {
    // Pinned in memory until the answer is done ('close' follows 'finish', or a hang-up);
    // a client gone while the file was read has nothing left to answer.
    if (res.destroyed) {
      lease.release();
      return;
    }
    res.once('close', lease.release);
    answeredWithoutBody(req, res, etag, file.size, headers);
    res.end(lease.bytes);
    return;
  }
  const body = await open();
  answeredWithoutBody(req, res, etag, file.size, headers);
  await streamBody(body, file.size, res);
}

function openStored(inst: Instance, sha256: string): Promise<Readable> {
  return inst.blobs.open(sha256).catch((e: unknown) => {
    throw new VmicError('INTERNAL', `catalog file sha256:${sha256} is missing`, { cause: e });
  });
}

/**
 * Writes the file's `size` bytes, ending the answer with its last piece: the answer is
 * ended by the time the client can hold every byte, so a client that then hangs up at
 * once is logged with the status it got, not as 499 (logging-requests.ts). Waits for the
 * socket when it is full (memory stays one piece); a client that stops reading mid-body (a
 * cancelled download, a fuzzer) ends the loop: nothing is left to answer or to log.
 */
async function streamBody(body: Readable, size: number, res: Response): Promise<void> {
  let at = 0;
  // Leaving the loop early (an answer ended, a client gone) destroys the store's stream.
  for await (const chunk of body) {
    if (res.destroyed) return;
    const piece = (chunk as Buffer).subarray(0, Math.max(0, size - at));
    at += piece.length;
    if (at >= size) {
      res.end(piece);
      return;
    }
    if (!res.write(piece))
      await new Promise<void>((resolve) => {
        const go = () => {
          res.off('drain', go);
          res.off('close', go);
          resolve();
        };
        res.on('drain', go);
        res.on('close', go);
      });
  }
  if (at < size)
    throw new VmicError('INTERNAL', `catalog file is shorter than its recorded ${size} bytes`);
  res.end();
}
