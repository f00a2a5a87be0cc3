import { Router, type RequestHandler } from 'express';
import { VmicError } from '../../errors/index.ts';
import {
  IMAGE_FIELD_KEYS,
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
import { actorOf } from '../auth.ts';
import { endorserParam } from '../params.ts';
import { uploadReceiver } from '../upload-storage.ts';
import { ROUTES } from '../api-schema/routes.ts';
import { route } from '../api-schema/register.ts';

export function imagesApi(inst: Instance): Router {
  const r = Router();
  const opts = { jsonLimitBytes: inst.config.limits.jsonBodyBytes };
  const receive = uploadReceiver(inst);

  route(
    r,
    ROUTES.listImages,
    async ({ params, query }, _req, res) => {
      const name = params.endorser;
      const { status } = query;
      await getEndorser(inst, name);
      res.json({
        images: await listImages(inst, { endorser: name, ...(status ? { status } : {}) }),
      });
    },
    opts,
  );

  route(
    r,
    ROUTES.getImage,
    async ({ params }, _req, res) => {
      res.json(await getImage(inst, params.endorser, params.identifier));
    },
    opts,
  );

  // Either the bytes themselves (multipart/form-data, read by the upload receiver, which
  // knows its fields) or a reference to bytes hosted elsewhere (JSON with url, sha256 and
  // size). The role check runs before any byte is read.
  const multipart: RequestHandler = async (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    const name = endorserParam(req.params.endorser);
    await getEndorser(inst, name); // before any byte is stored
    const { fields, upload } = await receive(req, res);
    if (!upload) throw new VmicError('BAD_REQUEST', 'a multipart upload needs one "file" part');
    try {
      const image = await registerStoredImage(inst, {
        endorser: name,
        identifier: optionalString(fields, 'identifier'),
        metadata: pick(fields, IMAGE_FIELD_KEYS),
        actor: actorOf(req),
        digest: upload,
      });
      res.status(201).location(`${req.baseUrl}/endorsers/${name}/images/${image.identifier}`);
      res.json(image);
    } catch (e) {
      await discardUnreferencedBlob(inst, upload.sha256);
      throw e;
    }
  };

  route(
    r,
    ROUTES.createImage,
    async ({ params, body }, req, res) => {
      const name = params.endorser;
      if (body === undefined)
        throw new VmicError(
          'BAD_REQUEST',
          'send multipart/form-data with a file, or JSON with a url',
        );
      const { url, sha256, size } = body;
      const image = await registerImageByUrl(inst, {
        endorser: name,
        identifier: body.identifier === '' ? undefined : body.identifier,
        metadata: pick(body, IMAGE_FIELD_KEYS),
        conformsTo: body.conformsTo,
        actor: actorOf(req),
        url,
        sha256,
        size,
      });
      res.status(201).location(`${req.baseUrl}/endorsers/${name}/images/${image.identifier}`);
      res.json(image);
    },
    { ...opts, before: [multipart] },
  );

  route(
    r,
    ROUTES.updateImage,
    async ({ params, body }, req, res) => {
      res.json(
        await updateImageMetadata(inst, {
          endorser: params.endorser,
          identifier: params.identifier,
          metadata: pick(body, IMAGE_FIELD_KEYS),
          conformsTo: body.conformsTo,
          actor: actorOf(req),
        }),
      );
    },
    opts,
  );

  route(
    r,
    ROUTES.withdrawImage,
    async ({ params }, req, res) => {
      res.json(
        await withdrawImage(inst, {
          endorser: params.endorser,
          identifier: params.identifier,
          actor: actorOf(req),
        }),
      );
    },
    opts,
  );

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
