import { Router, type Request } from 'express';
import { VmicError } from '../../pki/errors.ts';
import {
  METADATA_FIELDS,
  discardUnreferencedBlob,
  registerStoredImage,
  getEndorser,
  getImage,
  listImages,
  registerImageByUrl,
  updateImageMetadata,
  withdrawImage,
  type Instance,
} from '../../catalog/index.ts';
import { actorOf, requireEndorserRole, requirePrincipal } from '../auth.ts';
import { endorserParam, identifierParam } from '../params.ts';
import { jsonBody, objectBody } from '../json-body.ts';
import { UPLOAD_FIELDS, uploadReceiver } from '../upload-storage.ts';

const BY_URL_FIELDS = [...UPLOAD_FIELDS, 'url', 'sha256', 'size'];

export function imagesApi(inst: Instance): Router {
  const r = Router();
  const json = jsonBody(inst.config.limits.jsonBodyBytes);
  const receive = uploadReceiver(inst);
  const endorser = (req: Request) => endorserParam(req.params.name);
  const mayWrite = requireEndorserRole(endorser);

  r.get('/endorsers/:name/images', requirePrincipal, async (req, res) => {
    const name = endorser(req);
    const status = req.query.status;
    if (status !== undefined && status !== 'endorsed' && status !== 'withdrawn')
      throw new VmicError('BAD_REQUEST', 'status must be endorsed or withdrawn');
    await getEndorser(inst, name);
    res.json({ images: await listImages(inst, { endorser: name, ...(status ? { status } : {}) }) });
  });

  r.get('/endorsers/:name/images/:identifier', requirePrincipal, async (req, res) => {
    res.json(await getImage(inst, endorser(req), identifierParam(req.params.identifier)));
  });

  // Either the bytes themselves (multipart/form-data) or a reference to bytes hosted
  // elsewhere (JSON with url, sha256 and size). The role check runs before any byte is read.
  r.post('/endorsers/:name/images', mayWrite, async (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    const name = endorser(req);
    await getEndorser(inst, name); // before any byte is stored
    const { fields, upload } = await receive(req, res);
    if (!upload) throw new VmicError('BAD_REQUEST', 'a multipart upload needs one "file" part');
    try {
      const image = await registerStoredImage(inst, {
        endorser: name,
        identifier: optionalString(fields, 'identifier'),
        metadata: pick(fields, METADATA_FIELDS),
        actor: actorOf(req),
        digest: upload,
      });
      res.status(201).location(`${req.baseUrl}/endorsers/${name}/images/${image.identifier}`);
      res.json(image);
    } catch (e) {
      await discardUnreferencedBlob(inst, upload.sha256);
      throw e;
    }
  });

  r.post('/endorsers/:name/images', mayWrite, json, async (req, res) => {
    const name = endorser(req);
    if (!req.is('application/json'))
      throw new VmicError(
        'BAD_REQUEST',
        'send multipart/form-data with a file, or JSON with a url',
      );
    const body = objectBody(req, BY_URL_FIELDS);
    const { url, sha256, size } = body;
    if (typeof url !== 'string' || typeof sha256 !== 'string' || typeof size !== 'number')
      throw new VmicError('BAD_REQUEST', 'url and sha256 (strings) and size (number) are required');
    const image = await registerImageByUrl(inst, {
      endorser: name,
      identifier: optionalString(body, 'identifier'),
      metadata: pick(body, METADATA_FIELDS),
      actor: actorOf(req),
      url,
      sha256,
      size,
    });
    res.status(201).location(`${req.baseUrl}/endorsers/${name}/images/${image.identifier}`);
    res.json(image);
  });

  r.patch('/endorsers/:name/images/:identifier', mayWrite, json, async (req, res) => {
    const identifier = identifierParam(req.params.identifier);
    const metadata = objectBody(req, METADATA_FIELDS);
    res.json(
      await updateImageMetadata(inst, {
        endorser: endorser(req),
        identifier,
        metadata,
        actor: actorOf(req),
      }),
    );
  });

  r.post('/endorsers/:name/images/:identifier/withdraw', mayWrite, async (req, res) => {
    const identifier = identifierParam(req.params.identifier);
    res.json(
      await withdrawImage(inst, { endorser: endorser(req), identifier, actor: actorOf(req) }),
    );
  });

  return r;
}

function pick(from: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
}

function optionalString(from: Record<string, unknown>, key: string): string | undefined {
  const v = from[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new VmicError('BAD_REQUEST', `${key} must be a string`);
  return v;
}
