import { Router, type Request, type Response } from 'express';
import multer, { MulterError } from 'multer';
import { getImage, type Instance } from '../../../catalog/index.ts';
import { attachSbom, detachSbom } from '../../../catalog/sbom/attach-sbom.ts';
import { VmicError } from '../../../errors/index.ts';
import { actorOf, requireEndorserRole } from '../../auth.ts';
import { endorserParam, identifierParam } from '../../params.ts';
import { formBody } from './form-body.ts';

/**
 * The "Software inventory" block of the endorser's image page (views/endorser-image.njk):
 * attach an SBOM file, detach it, and read the attached one. Roles as every endorser page:
 * `admin` or `endorser:NAME`, checked before any byte of the body is read.
 */
export function imageSbomPages(inst: Instance): Router {
  const r = Router();
  const endorser = (req: Request) => endorserParam(req.params.name);
  const mayAct = requireEndorserRole(endorser);
  const form = formBody(inst.config.limits.jsonBodyBytes);
  const limit = inst.config.limits.sbomBytes;
  const receive = sbomReceiver(limit);
  const page = (req: Request) =>
    `/endorsers/${endorser(req)}/images/${identifierParam(req.params.identifier)}`;

  // Multipart, one `sbom` part, in memory and bounded; the CSRF token comes in the query
  // string (the body is read only after the check), as for the other uploads.
  r.post('/endorsers/:name/images/:identifier/sbom', mayAct, async (req, res) => {
    const identifier = identifierParam(req.params.identifier);
    await getImage(inst, endorser(req), identifier); // NOT_FOUND before reading the body
    const bytes = await fileOf(req, res, receive, limit);
    await attachSbom(inst, { endorser: endorser(req), identifier, actor: actorOf(req), bytes });
    res.redirect(303, `${page(req)}?saved=sbom`);
  });

  r.post('/endorsers/:name/images/:identifier/sbom/detach', mayAct, form, async (req, res) => {
    const identifier = identifierParam(req.params.identifier);
    await detachSbom(inst, { endorser: endorser(req), identifier, actor: actorOf(req) });
    res.redirect(303, `${page(req)}?saved=sbom-detached`);
  });

  // The attached document for the signed-in endorser, published or not. Sites download it
  // from /blobs/sha256/HEX once a published catalog lists it (server/blobs.ts).
  r.get('/endorsers/:name/images/:identifier/sbom', mayAct, async (req, res) => {
    const image = await getImage(inst, endorser(req), identifierParam(req.params.identifier));
    if (!image.sbom) throw new VmicError('NOT_FOUND', `image ${image.identifier} has no SBOM`);
    const stream = await inst.blobs.open(image.sbom.sha256);
    res.setHeader('Content-Type', image.sbom.mediaType);
    res.setHeader('Content-Length', String(image.sbom.byteSize));
    res.setHeader('Content-Disposition', `attachment; filename="${image.identifier}.sbom.json"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    stream.pipe(res);
  });

  return r;
}

type Receiver = ReturnType<typeof sbomReceiver>;

function sbomReceiver(limit: number) {
  return multer({
    storage: multer.memoryStorage(),
    // The form repeats the CSRF token as a field (checked from the query string already).
    limits: { files: 1, fields: 1, fieldSize: 256, parts: 2, fileSize: limit, headerPairs: 20 },
  }).single('sbom');
}

/**
 * The uploaded file's bytes. A body that declares more than the bound is refused before
 * it is read, and the connection closed (threat: a hostile 1 GB SBOM kept in memory).
 */
async function fileOf(req: Request, res: Response, receive: Receiver, limit: number) {
  if (!req.is('multipart/form-data'))
    throw new VmicError('BAD_REQUEST', 'an SBOM upload is multipart/form-data with one file');
  const tooLarge = () =>
    new VmicError('TOO_LARGE', `the SBOM is larger than ${limit} bytes`, { rule: 'sbom.size' });
  if (Number(req.get('content-length') ?? NaN) > limit + 4096) {
    res.setHeader('Connection', 'close');
    throw tooLarge();
  }
  await new Promise<void>((resolve, reject) => {
    receive(req, res, (err?: unknown) => {
      if (!err) resolve();
      else if (err instanceof MulterError)
        reject(
          err.code === 'LIMIT_FILE_SIZE'
            ? tooLarge()
            : new VmicError('BAD_REQUEST', `unexpected form part (${err.code})`, { cause: err }),
        );
      else reject(new VmicError('BAD_REQUEST', 'malformed upload', { cause: err }));
    });
  });
  if (!req.file || req.file.size === 0)
    throw new VmicError('BAD_REQUEST', 'choose the SBOM file (SPDX or CycloneDX JSON) to upload');
  return req.file.buffer;
}
