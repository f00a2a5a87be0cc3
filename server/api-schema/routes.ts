import { Type, type TObject, type TSchema } from '@sinclair/typebox';
import { ENDORSER_NAME } from '../../catalog/names.ts';
import * as S from './schemas.ts';

/*
 * Every route of /api/v1, declared once: method, path, who may call it, its path and query
 * parameters, its body and its answers. server/api/* registers a handler per entry
 * (./register.ts validates the input first) and ./openapi.ts builds the OpenAPI document
 * from the same entries, so the two cannot drift apart.
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route (docs/design.md §4, §10): `public` (no credentials), `peer` (a
 * signed transfer manifest, no token), any authenticated `principal`, `endorser` (admin or
 * `endorser:NAME` of the endorser in the path), or one of the three site role sets.
 */
export type Access =
  'public' | 'peer' | 'principal' | 'endorser' | 'site-reader' | 'site-admin' | 'site-approver';

export const ACCESS_ROLES: Record<Access, string> = {
  public: 'Public.',
  peer: 'No token: authenticated by the signed transfer manifest; rate-limited per address.',
  principal: 'Any authenticated principal.',
  endorser: 'Roles: admin, endorser:NAME.',
  'site-reader': 'Roles: admin, site-approver, auditor.',
  'site-admin': 'Role: admin.',
  'site-approver': 'Roles: admin, site-approver.',
};

export interface ResponseSpec {
  description: string;
  /** A JSON answer's schema; absent: no body, or `content` below. */
  schema?: TSchema;
  content?: Record<string, TSchema>;
  headers?: readonly string[];
}

export interface BodySpec {
  /** The JSON body, validated before the handler runs. */
  json?: TObject;
  /** Other media types the route takes; the handler reads those itself. */
  types?: Record<string, TSchema>;
  /** The body's bound in bytes; the configured JSON limit by default. */
  limitBytes?: number;
}

export interface RouteSpec {
  method: Method;
  /** OpenAPI path template below /api/v1 (`/endorsers/{endorser}`). */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: TObject;
  query?: TObject;
  body?: BodySpec;
  responses: Record<string, ResponseSpec>;
}

const endorserPath = Type.Object({ endorser: S.EndorserName });
const imagePath = Type.Object({ endorser: S.EndorserName, identifier: S.ImageIdentifier });
const subscriptionPath = Type.Object({ subscription: S.SubscriptionName });
const subscriptionFilter = Type.Object({
  subscription: Type.Optional(
    Type.String({
      pattern: ENDORSER_NAME.source,
      description: 'only this subscription (404 if there is none of that name)',
    }),
  ),
});
const listOf = (key: string, item: TSchema) => Type.Object({ [key]: Type.Array(item) });
const ok = (description: string, schema: TSchema): ResponseSpec => ({ description, schema });
const created = (description: string, schema: TSchema): ResponseSpec => ({
  description,
  schema,
  headers: ['Location'],
});

export const ROUTES = {
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
    responses: { 201: created('the published version', S.CatalogVersion) },
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
  gate: {
    method: 'get',
    path: '/gate/{image}',
    summary: 'may this image be deployed? (docs/design.md §7)',
    description:
      'A 200 whether or not the image is deployable; an identifier listed by several subscriptions is a 409 (rule image.ambiguous) until `subscription` picks one.',
    tag: 'site',
    access: 'principal',
    params: Type.Object({
      image: Type.String({ description: 'identifier, `sha256:HEX`, or `subscription/identifier`' }),
    }),
    query: subscriptionFilter,
    responses: { 200: ok('the decision', S.DeployDecision) },
  },
  listTrust: {
    method: 'get',
    path: '/site/trust',
    summary: 'trusted CA certificates and CRLs',
    tag: 'site',
    access: 'site-reader',
    responses: { 200: ok('the trust store', S.TrustListing) },
  },
  addTrust: {
    method: 'post',
    path: '/site/trust',
    summary: 'add CA certificates and CRLs (PEM)',
    tag: 'site',
    access: 'site-admin',
    body: {
      json: S.TrustPem,
      types: { 'application/x-pem-file': Type.String(), 'text/plain': Type.String() },
      limitBytes: 1024 * 1024,
    },
    responses: { 200: ok('what was added', S.AnyObject) },
  },
  listSubscriptions: {
    method: 'get',
    path: '/site/subscriptions',
    summary: 'subscriptions and their import state',
    tag: 'site',
    access: 'site-reader',
    responses: { 200: ok('the subscriptions', listOf('subscriptions', S.Subscription)) },
  },
  subscribe: {
    method: 'post',
    path: '/site/subscriptions',
    summary: "subscribe to an endorser's feed",
    tag: 'site',
    access: 'site-admin',
    body: { json: S.SubscribeRequest },
    responses: { 201: created('the subscription', S.Subscription) },
  },
  getSubscription: {
    method: 'get',
    path: '/site/subscriptions/{subscription}',
    summary: 'one subscription',
    tag: 'site',
    access: 'site-reader',
    params: subscriptionPath,
    responses: { 200: ok('the subscription', S.Subscription) },
  },
  removeSubscription: {
    method: 'delete',
    path: '/site/subscriptions/{subscription}',
    summary: 'unsubscribe',
    tag: 'site',
    access: 'site-admin',
    params: subscriptionPath,
    responses: { 204: { description: 'removed' } },
  },
  enableSubscription: {
    method: 'post',
    path: '/site/subscriptions/{subscription}/enable',
    summary: 'enable a subscription',
    tag: 'site',
    access: 'site-admin',
    params: subscriptionPath,
    responses: { 200: ok('the subscription', S.Subscription) },
  },
  disableSubscription: {
    method: 'post',
    path: '/site/subscriptions/{subscription}/disable',
    summary: 'disable a subscription (its images are not deployable)',
    tag: 'site',
    access: 'site-admin',
    params: subscriptionPath,
    responses: { 200: ok('the subscription', S.Subscription) },
  },
  importOne: {
    method: 'post',
    path: '/site/subscriptions/{subscription}/import',
    summary: 'import one subscription now',
    description: 'A refused catalog is a completed run: 200 with status failed and its code.',
    tag: 'site',
    access: 'site-admin',
    params: subscriptionPath,
    responses: { 200: ok('the outcome', S.ImportOutcome) },
  },
  importAll: {
    method: 'post',
    path: '/site/import',
    summary: 'import every enabled subscription now',
    tag: 'site',
    access: 'site-admin',
    responses: { 200: ok('the outcomes', listOf('outcomes', S.ImportOutcome)) },
  },
  fetch: {
    method: 'post',
    path: '/site/fetch',
    summary: 'fetch and verify the bytes of approved images (`vmic fetch`)',
    tag: 'site',
    access: 'site-admin',
    body: { json: S.FetchRequest },
    responses: { 200: ok('the summary', S.AnyObject) },
  },
  siteImages: {
    method: 'get',
    path: '/site/images',
    summary: 'imported images with their gate decision',
    tag: 'site',
    access: 'site-reader',
    query: subscriptionFilter,
    responses: { 200: ok('the images', listOf('images', S.SiteImage)) },
  },
  listApprovals: {
    method: 'get',
    path: '/site/approvals',
    summary: 'active approvals',
    tag: 'site',
    access: 'site-reader',
    responses: { 200: ok('the approvals', listOf('approvals', S.Approval)) },
  },
  approve: {
    method: 'post',
    path: '/site/approvals',
    summary: 'approve an image version, or every image of a subscription (idempotent)',
    tag: 'site',
    access: 'site-approver',
    body: { json: S.ApprovalTarget },
    responses: { 200: ok('the approval', S.Approval) },
  },
  revokeApproval: {
    method: 'post',
    path: '/site/approvals/revoke',
    summary: 'revoke an approval',
    tag: 'site',
    access: 'site-approver',
    body: { json: S.ApprovalTarget },
    responses: { 200: ok('what was revoked', S.AnyObject) },
  },
  getPolicy: {
    method: 'get',
    path: '/site/policy',
    summary: 'the site policy and its keys',
    tag: 'site',
    access: 'site-reader',
    responses: { 200: ok('the policy', S.SitePolicy) },
  },
  setPolicy: {
    method: 'put',
    path: '/site/policy/{key}',
    summary: 'set one policy key (null resets it)',
    tag: 'site',
    access: 'site-admin',
    params: Type.Object({ key: Type.String({ description: 'a key listed by GET /site/policy' }) }),
    body: { json: S.PolicyValue },
    responses: { 200: ok('the policy', S.SitePolicy) },
  },
  siteIdentity: {
    method: 'get',
    path: '/site/identity',
    summary: "this site's migration identity: certificate and chain (docs/design.md §8)",
    tag: 'migration',
    access: 'public',
    responses: { 200: ok('the identity', S.SiteIdentity) },
  },
  transfer: {
    method: 'post',
    path: '/transfers',
    summary: 'receive an image from a peer site (docs/design.md §8)',
    tag: 'migration',
    access: 'peer',
    body: {
      types: {
        'application/vnd.vmic.transfer': Type.String({
          format: 'binary',
          description: 'length-prefixed signed manifest, then the encrypted image',
        }),
      },
    },
    responses: {
      201: ok('imported', S.AnyObject),
      429: { description: 'too many transfers from this address', headers: ['Retry-After'] },
    },
  },
  listMigrations: {
    method: 'get',
    path: '/migrations',
    summary: 'migrations sent and received',
    tag: 'migration',
    access: 'site-reader',
    responses: { 200: ok('the migrations', S.AnyObject) },
  },
  migrate: {
    method: 'post',
    path: '/migrations',
    summary: 'send an image to a peer site (`vmic migrate`)',
    tag: 'migration',
    access: 'site-admin',
    body: { json: S.MigrationRequest },
    responses: { 201: ok('the migration', S.AnyObject) },
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
export type { TObject };
