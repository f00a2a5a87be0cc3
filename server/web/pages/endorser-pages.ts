import { Router, type Request } from 'express';
import {
  IMAGE_FIELDS,
  IMAGE_FIELD_KEYS,
  discardUnreferencedBlob,
  feedBase,
  getEndorser,
  getImage,
  listCatalogVersions,
  listImages,
  publishCatalog,
  registerImageByUrl,
  registerStoredImage,
  updateImageMetadata,
  withdrawImage,
  type Instance,
} from '../../../catalog/index.ts';
import { VmicError } from '../../../errors/index.ts';
import { actorOf, requireEndorserRole } from '../../auth.ts';
import { endorserParam, identifierParam } from '../../params.ts';
import { uploadReceiver } from '../../upload-storage.ts';
import { formBody } from './form-body.ts';
import { formInput, formOf } from './form-input.ts';
import {
  MetadataForm,
  PublishForm,
  UploadForm,
  metadataOf,
  registerForm,
} from './endorser-forms.ts';
import { listPending } from '../../../catalog/cosign/pending.ts';
import { identityOf } from '../../../catalog/site/health-identities.ts';
import { identityView } from './identity-view.ts';
import { previewPublish } from './publish-preview.ts';
import { render } from './render.ts';
import { blobUrl } from '../../../catalog/image-queries.ts';
import { getEndorserClaims } from '../../../catalog/policy-claims.ts';
import { endorserClaimPages } from './endorser-claims-pages.ts';

function fieldSuggestions(name: keyof typeof IMAGE_FIELDS): readonly string[] {
  const spec = IMAGE_FIELDS[name];
  return 'suggestions' in spec ? spec.suggestions : [];
}

/** The metadata form: the fields of catalog/image-fields.ts, multi-line ones last. */
const METADATA_FORM = [...IMAGE_FIELD_KEYS]
  .sort(
    (a, b) => Number(IMAGE_FIELDS[a].lines === 'many') - Number(IMAGE_FIELDS[b].lines === 'many'),
  )
  .map((name) => ({
    name,
    label: IMAGE_FIELDS[name].label,
    multiline: IMAGE_FIELDS[name].lines === 'many',
    required: name === 'title',
    suggestions: fieldSuggestions(name),
  }));

const FEED_FILES = ['catalog.p7m', 'catalog.nq', 'catalog.p7s', 'catalog.ttl', 'catalog.jsonld'];
const DAY_SECONDS = 86400;

/**
 * Endorser pages (docs/design.md §4): images, upload or registration by URL, metadata,
 * withdraw, publish with a preview, catalog history. Every route, reads included, needs
 * `admin` or `endorser:NAME` for the endorser in the path.
 */
export function endorserPages(inst: Instance): Router {
  const r = Router();
  const endorser = (req: Request) => endorserParam(req.params.name);
  const mayAct = requireEndorserRole(endorser);
  const form = formBody(inst.config.limits.jsonBodyBytes);
  const receive = uploadReceiver(inst);
  const RegisterForm = registerForm(inst.config.limits.imageBytes);
  r.use(endorserClaimPages(inst)); // the "Policies" forms (endorser-claims-pages.ts)

  r.get('/endorsers/:name', mayAct, async (req, res) => {
    const name = endorser(req);
    const e = await getEndorser(inst, name);
    const images = await listImages(inst, { endorser: name });
    const versions = (await listCatalogVersions(inst, name)).map((v) => ({
      ...v,
      files: FEED_FILES.map((f) => ({ name: f, href: `/feeds/${name}/${v.sequence}/${f}` })),
    }));
    const now = inst.now();
    render(req, res, 'endorser.njk', {
      title: `Endorser ${name}`,
      now,
      endorser: e,
      certificate: identityView(identityOf('endorser', name, e.certificatePem, now)),
      images,
      versions,
      feedUrl: `${feedBase(inst.config.publicUrl, name)}/catalog.p7m`,
      metadataForm: METADATA_FORM,
      published: typeof req.query.published === 'string' ? req.query.published : undefined,
      // Back from "Adopt" on /site/images (adopt-pages.ts); shown as text only.
      adopted:
        typeof req.query.adopted === 'string' && req.query.adopted.length <= 256
          ? req.query.adopted
          : undefined,
      pending:
        typeof req.query.pending === 'string' && /^[0-9]{1,9}$/.test(req.query.pending)
          ? {
              sequence: req.query.pending,
              needed:
                typeof req.query.needed === 'string' && /^[0-9]{1,2}$/.test(req.query.needed)
                  ? req.query.needed
                  : '?',
            }
          : undefined,
      imageBytesLimit: inst.config.limits.imageBytes,
      waiting: (await listPending(inst, name))[0],
      catalogClaims: await getEndorserClaims(inst.store.db, name),
      claimsSaved: req.query.claims === 'saved',
    });
  });

  // The bytes stream through multer into the blob store, hashed on the way (the same
  // storage engine and limits as the JSON API). The role check runs before any byte is read.
  r.post('/endorsers/:name/images/upload', mayAct, async (req, res) => {
    const name = endorser(req);
    await getEndorser(inst, name);
    if (!req.is('multipart/form-data'))
      throw new VmicError('BAD_REQUEST', 'an upload is multipart/form-data with one file part');
    const { fields, upload } = await receive(req, res);
    if (!upload) throw new VmicError('BAD_REQUEST', 'choose an image file to upload');
    try {
      const input = formInput(UploadForm, fields);
      const image = await registerStoredImage(inst, {
        endorser: name,
        identifier: input.identifier,
        metadata: metadataOf(input),
        actor: actorOf(req),
        digest: upload,
      });
      res.status(201).json({
        identifier: image.identifier,
        title: image.title,
        sha256: image.sha256,
        byteSize: image.byteSize,
        href: `/endorsers/${name}/images/${image.identifier}`,
      });
    } catch (e) {
      await discardUnreferencedBlob(inst, upload.sha256);
      throw e;
    }
  });

  r.post('/endorsers/:name/images/register', mayAct, form, async (req, res) => {
    const name = endorser(req);
    const input = formOf(RegisterForm, req);
    const image = await registerImageByUrl(inst, {
      endorser: name,
      identifier: input.identifier,
      metadata: metadataOf(input),
      actor: actorOf(req),
      url: input.url,
      sha256: input.sha256,
      size: input.size,
    });
    res.redirect(303, `/endorsers/${name}/images/${image.identifier}?saved=registered`);
  });

  r.get('/endorsers/:name/images/:identifier', mayAct, async (req, res) => {
    const name = endorser(req);
    const image = await getImage(inst, name, identifierParam(req.params.identifier));
    render(req, res, 'endorser-image.njk', {
      title: image.title,
      now: inst.now(),
      endorserName: name,
      image,
      metadataForm: METADATA_FORM,
      saved: typeof req.query.saved === 'string' ? req.query.saved : undefined,
      // The "Software inventory" block (server/web/pages/image-sbom-pages.ts).
      sbomBytesLimit: inst.config.limits.sbomBytes,
      sbomPublicUrl: image.sbom ? blobUrl(inst.config.publicUrl, image.sbom.sha256) : undefined,
    });
  });

  r.post('/endorsers/:name/images/:identifier', mayAct, form, async (req, res) => {
    const name = endorser(req);
    const identifier = identifierParam(req.params.identifier);
    await updateImageMetadata(inst, {
      endorser: name,
      identifier,
      metadata: metadataOf(formOf(MetadataForm, req)),
      actor: actorOf(req),
    });
    res.redirect(303, `/endorsers/${name}/images/${identifier}?saved=metadata`);
  });

  r.post('/endorsers/:name/images/:identifier/withdraw', mayAct, form, async (req, res) => {
    const name = endorser(req);
    const identifier = identifierParam(req.params.identifier);
    await withdrawImage(inst, { endorser: name, identifier, actor: actorOf(req) });
    res.redirect(303, `/endorsers/${name}/images/${identifier}?saved=withdrawn`);
  });

  r.get('/endorsers/:name/publish', mayAct, async (req, res) => {
    const name = endorser(req);
    await getEndorser(inst, name);
    render(req, res, 'publish.njk', {
      title: `Publish ${name}`,
      now: inst.now(),
      endorserName: name,
      preview: await previewPublish(inst, name),
    });
  });

  r.post('/endorsers/:name/publish', mayAct, form, async (req, res) => {
    const name = endorser(req);
    const { expiresInDays: days } = formOf(PublishForm, req);
    const version = await publishCatalog(inst, {
      endorser: name,
      actor: actorOf(req),
      expiresInSeconds: days * DAY_SECONDS,
    });
    // A co-signed endorser's publish leaves a pending catalog: nothing is served yet.
    res.redirect(
      303,
      version.pending
        ? `/endorsers/${name}?pending=${version.sequence}&needed=${version.pending.needed}`
        : `/endorsers/${name}?published=${version.sequence}`,
    );
  });

  return r;
}
