import type { TObject, TSchema } from '@sinclair/typebox';
import { ACCESS_ROLES, ROUTES, type RouteSpec } from './routes.ts';
import { EndorserName, FeedIndex, Problem, Sha256Hex } from './schemas.ts';

/*
 * The OpenAPI 3.1 document served at /api/v1/openapi.json (docs/design.md §4), generated:
 * the /api/v1 part from the route table, and the public feeds, blobs and health check
 * (plain Express routes outside the JSON API) from the short list below.
 */

type Doc = Record<string, unknown>;

const problem = { $ref: '#/components/responses/Problem' };
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });

/** The error statuses a route can answer with, from what it declares. */
function errorStatuses(spec: RouteSpec): number[] {
  const out = new Set<number>();
  if (spec.params || spec.query || spec.body) out.add(400);
  if (spec.access !== 'public' && spec.access !== 'peer') out.add(401);
  if (spec.access !== 'public' && spec.access !== 'peer' && spec.access !== 'principal')
    out.add(403);
  if (spec.params || spec.access === 'peer') out.add(404);
  if (spec.body) out.add(413);
  if (spec.method !== 'get') out.add(409);
  if (spec.access === 'peer') out.add(422);
  return [...out].sort();
}

function parameters(schema: TObject | undefined, where: 'path' | 'query'): Doc[] {
  if (!schema) return [];
  const required = new Set<string>(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]: [string, TSchema]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

function operation(spec: RouteSpec): Doc {
  const responses: Doc = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    const content = r.schema
      ? json(r.schema)
      : r.content
        ? {
            content: Object.fromEntries(
              Object.entries(r.content).map(([type, schema]) => [type, { schema }]),
            ),
          }
        : {};
    const headers = r.headers
      ? {
          headers: Object.fromEntries(r.headers.map((h) => [h, { schema: { type: 'string' } }])),
        }
      : {};
    responses[status] = { description: r.description, ...headers, ...content };
  }
  for (const s of errorStatuses(spec)) responses[String(s)] ??= problem;
  const body = spec.body
    ? {
        requestBody: {
          required: spec.method !== 'post' || !spec.body.json,
          content: {
            ...(spec.body.json ? { 'application/json': { schema: spec.body.json } } : {}),
            ...Object.fromEntries(
              Object.entries(spec.body.types ?? {}).map(([type, schema]) => [type, { schema }]),
            ),
          },
        },
      }
    : {};
  const params = [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')];
  return {
    tags: [spec.tag],
    summary: spec.summary,
    description: [spec.description, ACCESS_ROLES[spec.access]].filter(Boolean).join(' '),
    ...(spec.access === 'public' || spec.access === 'peer' ? { security: [] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...body,
    responses,
  };
}

const endorserParameter = { name: 'endorser', in: 'path', required: true, schema: EndorserName };
const sequenceParameter = {
  name: 'sequence',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1 },
};

const FEED_FILES: Record<string, [string, string[]]> = {
  'catalog.p7m': ['signed catalog, attached CMS SignedData (RFC 5652)', ['application/pkcs7-mime']],
  'catalog.nq': ['canonical N-Quads (RDFC-1.0), the signed bytes', ['application/n-quads']],
  'catalog.p7s': ['detached CMS signature over catalog.nq', ['application/pkcs7-signature']],
  'catalog.ttl': ['the catalog graph as Turtle', ['text/turtle']],
  'catalog.jsonld': ['the catalog graph as JSON-LD', ['application/ld+json']],
  'image.list': ['the version as a HEPiX image list', ['text/plain']],
  catalog: [
    'the catalog, content-negotiated (Accept)',
    ['text/turtle', 'application/n-quads', 'application/ld+json', 'application/pkcs7-mime'],
  ],
};

/** The public, non-JSON surface: health check, feeds and blobs. */
function publicPaths(): Doc {
  const binary = { type: 'string', format: 'binary' };
  const file = (summary: string, types: string[], immutable: boolean) => ({
    get: {
      tags: ['feeds'],
      summary,
      security: [],
      responses: {
        '200': {
          description: immutable ? 'the version, immutable' : 'the latest version',
          headers: {
            ETag: { schema: { type: 'string' } },
            'Cache-Control': { schema: { type: 'string' } },
          },
          content: Object.fromEntries(types.map((t) => [t, { schema: binary }])),
        },
        '304': { description: 'not modified (If-None-Match)' },
        '400': problem,
        '404': problem,
        ...(types.length > 1 ? { '406': problem } : {}),
      },
    },
  });
  const paths: Doc = {
    '/healthz': {
      get: {
        tags: ['operations'],
        summary: 'liveness',
        security: [],
        responses: {
          '200': {
            description: 'alive',
            ...json({ type: 'object', properties: { status: { const: 'ok' } } }),
          },
        },
      },
    },
    '/feeds/{endorser}': {
      parameters: [endorserParameter],
      get: {
        tags: ['feeds'],
        summary: 'feed index: latest version and links to every published version',
        security: [],
        responses: {
          '200': { description: 'index', ...json(FeedIndex) },
          '304': { description: 'not modified' },
          '400': problem,
          '404': problem,
        },
      },
    },
    '/blobs/sha256/{hex}': {
      parameters: [{ name: 'hex', in: 'path', required: true, schema: Sha256Hex }],
      get: {
        tags: ['blobs'],
        summary: 'image bytes by SHA-256; single byte ranges supported',
        description:
          'Public once a published catalog version lists the bytes. Before that, only a bearer token of admin or of the owning endorser reads them; anyone else gets 404, as for bytes that do not exist.',
        security: [{}, { bearer: [] }],
        parameters: [{ name: 'Range', in: 'header', required: false, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'the whole blob',
            content: { 'application/octet-stream': { schema: binary } },
          },
          '206': {
            description: 'one byte range',
            content: { 'application/octet-stream': { schema: binary } },
          },
          '304': { description: 'not modified' },
          '400': problem,
          '404': problem,
          '416': problem,
        },
      },
    },
  };
  for (const [name, [what, types]] of Object.entries(FEED_FILES)) {
    paths[`/feeds/{endorser}/${name}`] = {
      parameters: [endorserParameter],
      ...file(`latest version: ${what}`, types, false),
    };
    paths[`/feeds/{endorser}/{sequence}/${name}`] = {
      parameters: [endorserParameter, sequenceParameter],
      ...file(`published version: ${what}`, types, true),
    };
  }
  return paths;
}

/** The OpenAPI 3.1 description of the HTTP surface. */
export function openApiDocument(publicUrl: string): Doc {
  const paths = publicPaths();
  for (const spec of Object.values(ROUTES) as RouteSpec[]) {
    const key = `/api/v1${spec.path}`;
    const item = (paths[key] ?? {}) as Doc;
    item[spec.method] = operation(spec);
    paths[key] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'vmic',
      version: '1',
      description:
        'Signed VM-image catalog server: public signed feeds and blobs, the JSON API of endorsers, and the site API (trust, subscriptions, import, fetch, approvals, deploy gate, migration).',
    },
    servers: [{ url: publicUrl }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'a token from `vmic token create`',
        },
      },
      responses: {
        Problem: {
          description: 'an error (RFC 9457)',
          content: {
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          },
        },
      },
      schemas: { Problem },
    },
  };
}
