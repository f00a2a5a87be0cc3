import { Type } from '@sinclair/typebox';
import type { RouteSpec } from './route-spec.ts';
import { created, endorserPath, imagePath, listOf, ok } from './route-helpers.ts';
import * as S from './schemas.ts';

/** The endorser half of /api/v1: endorsers, images, publish, catalog versions (and the document itself). */
export const ENDORSER_ROUTES = {
  openapi: {
    method: 'get',
    path: '/openapi.json',
    summary: 'this document',
    tag: 'api',
    access: 'public',
    responses: { 200: ok('OpenAPI 3.1', S.AnyObject) },
  },
  listEndorsers: {
    method: 'get',
    path: '/endorsers',
    summary: 'list endorsers',
    tag: 'endorsers',
    access: 'principal',
    responses: { 200: ok('the endorsers', listOf('endorsers', S.Endorser)) },
  },
  getEndorser: {
    method: 'get',
    path: '/endorsers/{endorser}',
    summary: 'one endorser: subject, issuer, certificate and chain (never a key)',
    tag: 'endorsers',
    access: 'principal',
    params: endorserPath,
    responses: { 200: ok('the endorser', S.Endorser) },
  },
  listImages: {
    method: 'get',
    path: '/endorsers/{endorser}/images',
    summary: "list an endorser's images",
    tag: 'images',
    access: 'principal',
    params: endorserPath,
    query: Type.Object({
      status: Type.Optional(Type.Union([Type.Literal('endorsed'), Type.Literal('withdrawn')])),
    }),
    responses: { 200: ok('the images', listOf('images', S.Image)) },
  },
  createImage: {
    method: 'post',
    path: '/endorsers/{endorser}/images',
    summary: 'register an image: upload its bytes, or reference bytes served elsewhere',
    tag: 'images',
    access: 'endorser',
    params: endorserPath,
    body: {
      json: S.ImageByUrl,
      types: { 'multipart/form-data': S.ImageUpload },
    },
    responses: { 201: created('the new image', S.Image) },
  },
  getImage: {
    method: 'get',
    path: '/endorsers/{endorser}/images/{identifier}',
    summary: 'one image',
    tag: 'images',
    access: 'principal',
    params: imagePath,
    responses: { 200: ok('the image', S.Image) },
  },
  updateImage: {
    method: 'patch',
    path: '/endorsers/{endorser}/images/{identifier}',
    summary: "change an image's metadata (null clears an optional field)",
    tag: 'images',
    access: 'endorser',
    params: imagePath,
    body: { json: S.MetadataPatch },
    responses: { 200: ok('the image', S.Image) },
  },
  withdrawImage: {
    method: 'post',
    path: '/endorsers/{endorser}/images/{identifier}/withdraw',
    summary: 'withdraw an image (listed as withdrawn from the next catalog on)',
    tag: 'images',
    access: 'endorser',
    params: imagePath,
    responses: { 200: ok('the image', S.Image) },
  },
  publish: {
    method: 'post',
    path: '/endorsers/{endorser}/publish',
    summary: 'sign and publish the next catalog version',
    tag: 'catalogs',
    access: 'endorser',
    params: endorserPath,
    body: { json: S.PublishRequest },
    responses: {
      201: created('the published version', S.CatalogVersion),
      202: ok(
        'a pending catalog: the endorser needs co-signatures (vmic catalog sign)',
        S.CatalogVersion,
      ),
    },
  },
  listCatalogs: {
    method: 'get',
    path: '/endorsers/{endorser}/catalogs',
    summary: 'published catalog versions',
    tag: 'catalogs',
    access: 'principal',
    params: endorserPath,
    responses: { 200: ok('the versions', listOf('versions', S.CatalogVersion)) },
  },
  getPending: {
    method: 'get',
    path: '/endorsers/{endorser}/pending',
    summary: 'the pending co-signed catalog: who signed, who may still sign, how many more',
    tag: 'catalogs',
    access: 'endorser',
    params: endorserPath,
    responses: { 200: ok('the pending catalog', S.PendingCatalog) },
  },
  getPendingNQuads: {
    method: 'get',
    path: '/endorsers/{endorser}/pending/catalog.nq',
    summary: 'the exact N-Quads every co-signature covers, to sign elsewhere',
    tag: 'catalogs',
    access: 'endorser',
    params: endorserPath,
    responses: {
      200: {
        description: 'canonical N-Quads',
        content: { 'application/n-quads': Type.String() },
      },
    },
  },
  cosign: {
    method: 'post',
    path: '/endorsers/{endorser}/pending/signatures',
    summary: "add a co-signer's detached signature, made with that co-signer's own key",
    description:
      'Only signatures made elsewhere are taken here: a token never makes a key held by this server sign (a co-signature is personal; the web admin signs with a held key under the sign-in role cosigner:ENDORSER/SIGNER). The K-th signature publishes the catalog (201).',
    tag: 'catalogs',
    access: 'endorser',
    params: endorserPath,
    body: { json: S.CosignatureUpload, limitBytes: 96 * 1024 },
    responses: {
      200: ok('the signature was added; more are needed', S.CosignOutcome),
      201: created('the K-th signature: the catalog is published', S.CosignOutcome),
    },
  },
  // Software inventory (catalog/sbom/, docs/design.md §3): the endorser half of issue 19.
  putImageSbom: {
    method: 'put',
    path: '/endorsers/{endorser}/images/{identifier}/sbom',
    summary:
      "attach (or replace) an image's software inventory: SPDX 2.3 or CycloneDX 1.5/1.6 JSON",
    description:
      'The body is the document itself, stored and listed in the next catalog byte for byte. It is checked against the official JSON schema of its format (detected from spdxVersion or bomFormat/specVersion, not from the Content-Type); a document that is not JSON, not valid, or of another version is refused with 400 MALFORMED naming the first problems, one over the configured bound (16 MiB by default) with 413 TOO_LARGE.',
    tag: 'images',
    access: 'endorser',
    params: imagePath,
    body: {
      types: {
        'application/spdx+json': S.AnyObject,
        'application/vnd.cyclonedx+json': S.AnyObject,
        'application/json': S.AnyObject,
      },
    },
    responses: { 200: ok('the image, with its sbom', S.Image) },
  },
  deleteImageSbom: {
    method: 'delete',
    path: '/endorsers/{endorser}/images/{identifier}/sbom',
    summary: "detach an image's software inventory (the next catalog no longer lists it)",
    tag: 'images',
    access: 'endorser',
    params: imagePath,
    responses: { 200: ok('the image, without sbom', S.Image) },
  },
  getEndorserClaims: {
    method: 'get',
    path: '/endorsers/{endorser}/conforms-to',
    summary: 'the policies every image of the catalog conforms to (dcterms:conformsTo)',
    tag: 'endorsers',
    access: 'principal',
    params: endorserPath,
    responses: { 200: ok('the claims', S.EndorserClaimsAnswer) },
  },
  setEndorserClaims: {
    method: 'put',
    path: '/endorsers/{endorser}/conforms-to',
    summary: 'set the policies every image of the catalog conforms to ([] clears them)',
    description:
      'dcterms:conformsTo on the catalog, signed with the next publish; each IRI http(s) or urn, at most 16.',
    tag: 'endorsers',
    access: 'endorser',
    params: endorserPath,
    body: { json: S.EndorserClaims },
    responses: { 200: ok('the claims', S.EndorserClaimsAnswer) },
  },
} as const satisfies Record<string, RouteSpec>;
