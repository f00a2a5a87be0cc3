/** The OpenAPI 3.1 description of the HTTP surface (DESIGN.md §4), served at /api/v1/openapi.json. */
export function openApiDocument(publicUrl: string): Record<string, unknown> {
  const problem = { $ref: '#/components/responses/Problem' };
  const errors = (...statuses: number[]) =>
    Object.fromEntries(statuses.map((s) => [String(s), problem]));
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const endorser = { $ref: '#/components/parameters/Endorser' };
  const identifier = { $ref: '#/components/parameters/Identifier' };
  const sequence = { $ref: '#/components/parameters/Sequence' };
  const feedFile = (description: string, types: string[], immutable: boolean) => ({
    get: {
      tags: ['feeds'],
      summary: description,
      security: [],
      responses: {
        '200': {
          description: immutable ? 'the version, immutable' : 'the latest version',
          headers: {
            ETag: { schema: { type: 'string' } },
            'Cache-Control': { schema: { type: 'string' } },
          },
          content: Object.fromEntries(
            types.map((t) => [t, { schema: { type: 'string', format: 'binary' } }]),
          ),
        },
        '304': { description: 'not modified (If-None-Match)' },
        ...errors(400, 404, ...(types.length > 1 ? [406] : [])),
      },
    },
  });
  const NEGOTIATED = [
    'text/turtle',
    'application/n-quads',
    'application/ld+json',
    'application/pkcs7-mime',
  ];
  const FILES: Record<string, [string, string]> = {
    'catalog.p7m': ['signed catalog, attached CMS SignedData (RFC 5652)', 'application/pkcs7-mime'],
    'catalog.nq': ['canonical N-Quads (RDFC-1.0), the signed bytes', 'application/n-quads'],
    'catalog.p7s': ['detached CMS signature over catalog.nq', 'application/pkcs7-signature'],
    'catalog.ttl': ['the catalog graph as Turtle', 'text/turtle'],
    'catalog.jsonld': ['the catalog graph as JSON-LD', 'application/ld+json'],
  };
  const feedPaths: Record<string, unknown> = {};
  for (const [file, [what, type]] of Object.entries(FILES)) {
    feedPaths[`/feeds/{endorser}/${file}`] = {
      parameters: [endorser],
      ...feedFile(`latest ${what}`, [type], false),
    };
    feedPaths[`/feeds/{endorser}/{sequence}/${file}`] = {
      parameters: [endorser, sequence],
      ...feedFile(`published version: ${what}`, [type], true),
    };
  }
  feedPaths['/feeds/{endorser}/catalog'] = {
    parameters: [endorser],
    ...feedFile('latest catalog, content-negotiated (Accept)', NEGOTIATED, false),
  };
  feedPaths['/feeds/{endorser}/{sequence}/catalog'] = {
    parameters: [endorser, sequence],
    ...feedFile('published version, content-negotiated (Accept)', NEGOTIATED, true),
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'vmic',
      version: '1',
      description:
        'Signed VM-image catalog server: public signed feeds and blobs, and the JSON API of endorsers.',
    },
    servers: [{ url: publicUrl }],
    security: [{ bearer: [] }],
    paths: {
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
        parameters: [endorser],
        get: {
          tags: ['feeds'],
          summary: 'feed index: latest version and links to every published version',
          security: [],
          responses: {
            '200': { description: 'index', ...json(ref('FeedIndex')) },
            '304': { description: 'not modified' },
            ...errors(400, 404),
          },
        },
      },
      ...feedPaths,
      '/blobs/sha256/{hex}': {
        parameters: [
          {
            name: 'hex',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          },
        ],
        get: {
          tags: ['blobs'],
          summary: 'image bytes by SHA-256; single byte ranges supported',
          security: [],
          parameters: [
            { name: 'Range', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'the whole blob',
              content: {
                'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              },
            },
            '206': {
              description: 'one byte range',
              content: {
                'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              },
            },
            '304': { description: 'not modified' },
            ...errors(400, 404, 416),
          },
        },
      },
      '/api/v1/openapi.json': {
        get: {
          tags: ['api'],
          summary: 'this document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1', ...json({ type: 'object' }) } },
        },
      },
      '/api/v1/endorsers': {
        get: {
          tags: ['endorsers'],
          summary: 'list endorsers',
          responses: {
            '200': {
              description: 'endorsers',
              ...json({
                type: 'object',
                properties: { endorsers: { type: 'array', items: ref('Endorser') } },
              }),
            },
            ...errors(401),
          },
        },
      },
      '/api/v1/endorsers/{endorser}': {
        parameters: [endorser],
        get: {
          tags: ['endorsers'],
          summary: 'one endorser',
          responses: {
            '200': { description: 'endorser', ...json(ref('Endorser')) },
            ...errors(400, 401, 404),
          },
        },
      },
      '/api/v1/endorsers/{endorser}/images': {
        parameters: [endorser],
        get: {
          tags: ['images'],
          summary: "list an endorser's images",
          parameters: [
            {
              name: 'status',
              in: 'query',
              required: false,
              schema: { enum: ['endorsed', 'withdrawn'] },
            },
          ],
          responses: {
            '200': {
              description: 'images',
              ...json({
                type: 'object',
                properties: { images: { type: 'array', items: ref('Image') } },
              }),
            },
            ...errors(400, 401, 404),
          },
        },
        post: {
          tags: ['images'],
          summary:
            'add an image: upload its bytes (multipart) or register bytes hosted elsewhere (JSON)',
          description:
            'Requires the role admin or endorser:{endorser}. Reusing an identifier adds a new version of that image.',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': { schema: ref('ImageUpload') },
              'application/json': { schema: ref('ImageByUrl') },
            },
          },
          responses: {
            '201': { description: 'registered', ...json(ref('Image')) },
            ...errors(400, 401, 403, 404, 409, 413, 422),
          },
        },
      },
      '/api/v1/endorsers/{endorser}/images/{identifier}': {
        parameters: [endorser, identifier],
        get: {
          tags: ['images'],
          summary: 'one image',
          responses: {
            '200': { description: 'image', ...json(ref('Image')) },
            ...errors(400, 401, 404),
          },
        },
        patch: {
          tags: ['images'],
          summary: 'change descriptive metadata (not bytes)',
          requestBody: { required: true, ...json(ref('MetadataPatch')) },
          responses: {
            '200': { description: 'updated', ...json(ref('Image')) },
            ...errors(400, 401, 403, 404, 413),
          },
        },
      },
      '/api/v1/endorsers/{endorser}/images/{identifier}/withdraw': {
        parameters: [endorser, identifier],
        post: {
          tags: ['images'],
          summary: 'stop endorsing an image from the next publish on',
          responses: {
            '200': { description: 'withdrawn', ...json(ref('Image')) },
            ...errors(400, 401, 403, 404),
          },
        },
      },
      '/api/v1/endorsers/{endorser}/publish': {
        parameters: [endorser],
        post: {
          tags: ['catalogs'],
          summary: 'sign and publish the next catalog version',
          requestBody: {
            required: false,
            ...json({
              type: 'object',
              additionalProperties: false,
              properties: { expiresInSeconds: { type: 'integer', minimum: 60 } },
            }),
          },
          responses: {
            '201': { description: 'published', ...json(ref('CatalogVersion')) },
            ...errors(400, 401, 403, 404),
          },
        },
      },
      '/api/v1/endorsers/{endorser}/catalogs': {
        parameters: [endorser],
        get: {
          tags: ['catalogs'],
          summary: 'published catalog versions, newest first',
          responses: {
            '200': {
              description: 'history',
              ...json({
                type: 'object',
                properties: { versions: { type: 'array', items: ref('CatalogVersion') } },
              }),
            },
            ...errors(400, 401, 404),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'a token from `vmic token create`',
        },
      },
      parameters: {
        Endorser: {
          name: 'endorser',
          in: 'path',
          required: true,
          schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$' },
        },
        Identifier: {
          name: 'identifier',
          in: 'path',
          required: true,
          schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
        },
        Sequence: {
          name: 'sequence',
          in: 'path',
          required: true,
          schema: { type: 'integer', minimum: 1 },
        },
      },
      responses: {
        Problem: {
          description: 'an error (RFC 9457)',
          content: { 'application/problem+json': { schema: ref('Problem') } },
        },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: {
              type: 'string',
              description: 'stable reason code (DESIGN.md §6, §7) or operational code',
            },
            rule: { type: 'string', description: 'the named rule that failed, when there is one' },
            requestId: { type: 'string' },
          },
        },
        Endorser: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            name: { type: 'string' },
            title: { type: 'string' },
            subject: { type: 'string' },
            issuer: { type: 'string' },
            certificatePem: { type: 'string' },
            chainPem: { type: 'string' },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        Metadata: {
          type: 'object',
          properties: Object.fromEntries(
            [
              'title',
              'description',
              'version',
              'osFamily',
              'osName',
              'osVersion',
              'arch',
              'hypervisor',
              'format',
            ].map((k) => [k, { type: 'string' }]),
          ),
        },
        MetadataPatch: { allOf: [ref('Metadata')], unevaluatedProperties: false },
        ImageUpload: {
          allOf: [ref('Metadata')],
          required: ['title', 'file'],
          properties: {
            identifier: { type: 'string' },
            file: { type: 'string', format: 'binary' },
          },
        },
        ImageByUrl: {
          allOf: [ref('Metadata')],
          required: ['title', 'url', 'sha256', 'size'],
          properties: {
            identifier: { type: 'string' },
            url: { type: 'string', format: 'uri' },
            sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
            size: { type: 'integer', minimum: 0 },
          },
        },
        Image: {
          allOf: [ref('Metadata')],
          properties: {
            id: { type: 'integer' },
            endorser: { type: 'string' },
            identifier: { type: 'string' },
            byteSize: { type: 'integer' },
            sha256: { type: 'string' },
            downloadUrl: { type: 'string', format: 'uri' },
            storedHere: { type: 'boolean' },
            status: { enum: ['endorsed', 'withdrawn'] },
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
          },
        },
        CatalogVersion: {
          type: 'object',
          properties: {
            endorser: { type: 'string' },
            sequence: { type: 'integer' },
            issuedAt: { type: 'string', format: 'date-time' },
            expiresAt: { type: 'string', format: 'date-time' },
            imageCount: { type: 'integer' },
            contentSha256: { type: 'string' },
          },
        },
        FeedIndex: {
          type: 'object',
          properties: {
            endorser: { type: 'string' },
            title: { type: 'string' },
            subject: { type: 'string' },
            issuer: { type: 'string' },
            latest: { oneOf: [{ type: 'null' }, { type: 'object' }] },
            versions: { type: 'array', items: { type: 'object' } },
          },
        },
      },
    },
  };
}
