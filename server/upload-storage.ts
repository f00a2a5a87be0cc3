import type { Request, Response } from 'express';
import multer, { MulterError, type StorageEngine } from 'multer';
import { VmicError } from '../errors/index.ts';
import { IMAGE_FIELD_KEYS, discardUnreferencedBlob, type Instance } from '../catalog/index.ts';

/** The one file part of an upload, already hashed and stored under its digest. */
export interface StoredUpload {
  sha256: string;
  size: number;
}

export const UPLOAD_FIELDS: readonly string[] = [...IMAGE_FIELD_KEYS, 'identifier'];

/**
 * A multer storage engine that pipes the file part straight into the blob store, which
 * hashes while streaming and stops at the image size limit: nothing is buffered in memory
 * and nothing is written twice (threat: memory and disk exhaustion by large uploads).
 * Every failure removes the temporary file, early ones included: if the client aborts or
 * the body ends without its closing boundary, busboy destroys the part stream and the blob
 * store removes its temporary file once the file is closed (a removal before the file's
 * open had completed used to leave an empty `.part`); if the form fails after the part was
 * stored, multer calls _removeFile, which drops the blob unless a row refers to it.
 * test/server/uploads.test.ts sends each of these on raw sockets.
 */
export class BlobStoreStorage implements StorageEngine {
  constructor(private readonly inst: Instance) {}

  _handleFile(
    _req: Request,
    file: Express.Multer.File,
    callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void,
  ): void {
    this.inst.blobs.ingest(file.stream, { maxBytes: this.inst.config.limits.imageBytes }).then(
      (d) => callback(null, { filename: d.sha256, size: d.size }),
      (e: unknown) => callback(e),
    );
  }

  _removeFile(
    _req: Request,
    file: Express.Multer.File,
    callback: (error: Error | null) => void,
  ): void {
    discardUnreferencedBlob(this.inst, file.filename).then(
      () => callback(null),
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
    );
  }
}

/**
 * Reads a multipart/form-data upload: text fields (the metadata) and at most one `file`
 * part. Every limit is set, because multer and busboy default most of them to infinity.
 */
export function uploadReceiver(
  inst: Instance,
): (
  req: Request,
  res: Response,
) => Promise<{ fields: Record<string, unknown>; upload?: StoredUpload }> {
  const { imageBytes, metadataChars } = inst.config.limits;
  const fieldSize = metadataChars * 4; // UTF-8 bytes; characters are counted by checkMetadata
  const parts = UPLOAD_FIELDS.length + 1;
  const middleware = multer({
    storage: new BlobStoreStorage(inst),
    limits: {
      files: 1,
      fields: UPLOAD_FIELDS.length,
      parts,
      fieldSize,
      fieldNameSize: 64,
      fileSize: imageBytes,
      headerPairs: 20,
    },
  }).single('file');
  const maxBody = imageBytes + parts * (fieldSize + 1024);

  return async (req, res) => {
    // Refuse a declared oversize body before reading any of it, and close the connection
    // rather than drain gigabytes (threat: endless data).
    const declared = Number(req.get('content-length') ?? NaN);
    if (declared > maxBody) {
      res.setHeader('Connection', 'close');
      throw new VmicError('TOO_LARGE', `the upload is larger than ${imageBytes} bytes`);
    }
    await new Promise<void>((resolve, reject) => {
      middleware(req, res, (err?: unknown) => (err ? reject(toVmicError(err)) : resolve()));
    });
    const fields = { ...(req.body as Record<string, unknown>) };
    for (const name of Object.keys(fields)) {
      if (!UPLOAD_FIELDS.includes(name)) {
        if (req.file) await discardUnreferencedBlob(inst, req.file.filename);
        throw new VmicError('BAD_REQUEST', `unknown form field ${JSON.stringify(name)}`);
      }
    }
    return req.file
      ? { fields, upload: { sha256: req.file.filename, size: req.file.size } }
      : { fields };
  };
}

function toVmicError(err: unknown): Error {
  if (err instanceof VmicError) return err;
  if (err instanceof MulterError) {
    const badShape =
      err.code === 'LIMIT_UNEXPECTED_FILE' ||
      (err.code as string) === 'MISSING_FIELD_NAME' ||
      (err.code as string) === 'INVALID_FIELD_NAME';
    return new VmicError(
      badShape ? 'BAD_REQUEST' : 'TOO_LARGE',
      badShape
        ? `unexpected form part ${err.field ?? ''}`.trim()
        : `upload limit exceeded (${err.code})`,
      { cause: err },
    );
  }
  // File-system failures (disk full, permissions) are ours: they stay 500s.
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string')
    return err;
  // busboy reports a malformed or truncated body with plain Errors.
  return new VmicError('BAD_REQUEST', 'malformed multipart/form-data body', { cause: err });
}
