/** The OpenAPI 3.1 description of the HTTP surface (docs/design.md §4), served at /api/v1/openapi.json. */
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

  const subscriptionName = { $ref: '#/components/parameters/Subscription' };
  const subscriptionFilter = {
    name: 'subscription',
    in: 'query',
    required: false,
    description: 'only this subscription (404 if there is none of that name)',
    schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$' },
  };
  const READ = 'Roles: admin, site-approver, auditor.';
  const ADMIN = 'Role: admin.';
  const APPROVE = 'Roles: admin, site-approver.';
  const listOf = (key: string, item: unknown) =>
    json({ type: 'object', properties: { [key]: { type: 'array', items: item } } });
  const sitePaths: Record<string, unknown> = {
    '/api/v1/gate/{image}': {
      parameters: [
        {
          name: 'image',
          in: 'path',
          required: true,
          description: 'an image identifier or `sha256:HEX`, URL-encoded',
          schema: { type: 'string', minLength: 1, maxLength: 263 },
        },
      ],
      get: {
        tags: ['gate'],
        summary: 'the deploy gate: may this image be deployed here? (docs/design.md §7)',
        description:
          'Any authenticated role. Always 200 when the question could be asked: `deployable` ' +
          'is the answer and `reasons` lists every failing reason code (an unknown image is ' +
          '`UNKNOWN_IMAGE`). Deployment systems call this. An identifier listed by more than ' +
          'one subscription is ambiguous: 409 CONFLICT (rule `image.ambiguous`) whose detail ' +
          'names every candidate; `?subscription=` picks one.',
        parameters: [subscriptionFilter],
        responses: {
          '200': { description: 'the decision', ...json(ref('DeployDecision')) },
          ...errors(400, 401, 404, 409),
        },
      },
    },
    '/api/v1/site/trust': {
      get: {
        tags: ['site'],
        summary: 'trust anchors, intermediates and CRLs held',
        description: READ,
        responses: {
          '200': { description: 'trust store', ...json(ref('TrustListing')) },
          ...errors(401, 403),
        },
      },
      post: {
        tags: ['site'],
        summary: 'add CA certificates and CRLs (PEM, several per body)',
        description: `${ADMIN} At most 1 MiB. A CRL is accepted only if signed by a CA held or in the same body.`,
        requestBody: {
          required: true,
          content: {
            'application/x-pem-file': { schema: { type: 'string' } },
            'text/plain': { schema: { type: 'string' } },
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['pem'],
                properties: { pem: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'what was added; material already held counts as unchanged',
            ...json({
              type: 'object',
              properties: {
                anchors: { type: 'array', items: { type: 'string' } },
                intermediates: { type: 'array', items: { type: 'string' } },
                crls: { type: 'array', items: { type: 'string' } },
                unchanged: { type: 'integer' },
              },
            }),
          },
          ...errors(400, 401, 403, 413, 422),
        },
      },
    },
    '/api/v1/site/subscriptions': {
      get: {
        tags: ['site'],
        summary: 'subscriptions to endorser feeds',
        description: READ,
        responses: {
          '200': { description: 'subscriptions', ...listOf('subscriptions', ref('Subscription')) },
          ...errors(401, 403),
        },
      },
      post: {
        tags: ['site'],
        summary: "subscribe to an endorser feed, pinning its signer's identity",
        description: `${ADMIN} Distinguished names are compared on parsed RDNs.`,
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            additionalProperties: false,
            required: ['url', 'expectSubject'],
            properties: {
              url: {
                type: 'string',
                format: 'uri',
                description: '`.../feeds/{endorser}/` or its `catalog.p7m`',
              },
              expectSubject: { type: 'string' },
              expectIssuer: { type: 'string' },
              name: { type: 'string', description: 'default: the endorser segment of the URL' },
            },
          }),
        },
        responses: {
          '201': { description: 'subscribed', ...json(ref('Subscription')) },
          ...errors(400, 401, 403, 409, 413),
        },
      },
    },
    '/api/v1/site/subscriptions/{subscription}': {
      parameters: [subscriptionName],
      get: {
        tags: ['site'],
        summary: 'one subscription, with its latest catalog and last error',
        description: READ,
        responses: {
          '200': { description: 'subscription', ...json(ref('Subscription')) },
          ...errors(400, 401, 403, 404),
        },
      },
      delete: {
        tags: ['site'],
        summary: 'remove a subscription with its imported images and approvals (cached bytes stay)',
        description: ADMIN,
        responses: { '204': { description: 'removed' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/site/subscriptions/{subscription}/enable': {
      parameters: [subscriptionName],
      post: {
        tags: ['site'],
        summary: 'enable a subscription',
        description: ADMIN,
        responses: {
          '200': { description: 'enabled', ...json(ref('Subscription')) },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/api/v1/site/subscriptions/{subscription}/disable': {
      parameters: [subscriptionName],
      post: {
        tags: ['site'],
        summary: 'disable a subscription: not imported, and its images not deployable',
        description: ADMIN,
        responses: {
          '200': { description: 'disabled', ...json(ref('Subscription')) },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/api/v1/site/subscriptions/{subscription}/import': {
      parameters: [subscriptionName],
      post: {
        tags: ['site'],
        summary: "import this subscription's feed now (docs/design.md §6)",
        description:
          `${ADMIN} A refused catalog is 200 with status \`failed\` and its reason \`code\` ` +
          '(the run completed; nothing but the audit log and last error changed). A disabled ' +
          'subscription, or an import already running, is 409.',
        responses: {
          '200': { description: 'the outcome', ...json(ref('ImportOutcome')) },
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    '/api/v1/site/import': {
      post: {
        tags: ['site'],
        summary: 'import every enabled subscription now (what the cron job does)',
        description: `${ADMIN} Refusals are outcomes with status \`failed\`; an import already running is 409.`,
        responses: {
          '200': {
            description: 'one outcome per enabled subscription',
            ...listOf('outcomes', ref('ImportOutcome')),
          },
          ...errors(401, 403, 409),
        },
      },
    },
    '/api/v1/site/fetch': {
      post: {
        tags: ['site'],
        summary: 'download endorsed images into the site cache, verifying SHA-256 and size',
        description:
          `${ADMIN} Runs to completion within the request; a mismatch is an outcome ` +
          '(`quarantined`, `HASH_MISMATCH`), not an HTTP error. A fetch already running is 409. ' +
          'For large downloads prefer `vmic fetch` or the schedule.',
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            additionalProperties: false,
            properties: { subscription: { type: 'string' } },
          }),
        },
        responses: {
          '200': {
            description: 'summary',
            ...json({
              type: 'object',
              properties: {
                images: { type: 'array', items: { type: 'object' } },
                totals: { type: 'object', additionalProperties: { type: 'integer' } },
              },
            }),
          },
          ...errors(400, 401, 403, 404, 409, 413),
        },
      },
    },
    '/api/v1/site/images': {
      get: {
        tags: ['site'],
        summary: 'imported images, each with the gate decision as badges',
        description: READ,
        parameters: [subscriptionFilter],
        responses: {
          '200': { description: 'images', ...listOf('images', ref('SiteImage')) },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    '/api/v1/site/approvals': {
      get: {
        tags: ['site'],
        summary: 'active approvals',
        description: READ,
        responses: {
          '200': { description: 'approvals', ...listOf('approvals', ref('Approval')) },
          ...errors(401, 403),
        },
      },
      post: {
        tags: ['site'],
        summary:
          'approve one image version (bound to its SHA-256) or everything an endorser endorses',
        description: `${APPROVE} Idempotent: an existing active approval is returned as is.`,
        requestBody: { required: true, ...json(ref('ApprovalTarget')) },
        responses: {
          '200': { description: 'the active approval', ...json(ref('Approval')) },
          ...errors(400, 401, 403, 404, 409, 413),
        },
      },
    },
    '/api/v1/site/approvals/revoke': {
      post: {
        tags: ['site'],
        summary:
          'unapprove: revoke the active approvals of an image (identifier resolved to its current SHA-256, or sha256:HEX), or of an endorser',
        description: `${APPROVE} The same body as approving.`,
        requestBody: { required: true, ...json(ref('ApprovalTarget')) },
        responses: {
          '200': {
            description:
              'how many approvals were revoked (0 if none was active); for an image, its SHA-256 and the subscriptions whose endorser approval still covers it',
            ...json({
              type: 'object',
              properties: {
                revoked: { type: 'integer' },
                sha256: { type: 'string' },
                endorserApproved: { type: 'array', items: { type: 'string' } },
              },
            }),
          },
          ...errors(400, 401, 403, 404, 409, 413),
        },
      },
    },
    '/api/v1/site/policy': {
      get: {
        tags: ['site'],
        summary: 'site verification and fetch policy, and the keys that set it',
        description: READ,
        responses: {
          '200': { description: 'policy', ...json(ref('SitePolicy')) },
          ...errors(401, 403),
        },
      },
    },
    '/api/v1/site/policy/{key}': {
      parameters: [
        {
          name: 'key',
          in: 'path',
          required: true,
          schema: {
            enum: [
              'revocation',
              'max-catalog-age',
              'fetch-scope',
              'feed-max-bytes',
              'feed-timeout-ms',
              'fetch-concurrency',
              'fetch-min-rate',
              'fetch-rate-window',
              'fetch-deadline',
              'transfer-clock-window',
            ],
          },
        },
      ],
      put: {
        tags: ['site'],
        summary: 'set one policy key; null resets it to the default (unsets an optional key)',
        description: ADMIN,
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            additionalProperties: false,
            required: ['value'],
            properties: { value: { type: ['string', 'integer', 'null'] } },
          }),
        },
        responses: {
          '200': { description: 'the policy now', ...json(ref('SitePolicy')) },
          ...errors(400, 401, 403, 404, 413),
        },
      },
    },
    '/api/v1/site/identity': {
      get: {
        tags: ['migrations'],
        summary:
          "this site's public identity for migrations: subject, issuer, certificate and chain (PEM); never the key",
        description: 'No token: peers read it to pin this site.',
        security: [],
        responses: {
          '200': {
            description: 'the site identity',
            ...json({
              type: 'object',
              properties: {
                subject: { type: 'string' },
                issuer: { type: 'string' },
                certificatePem: { type: 'string' },
                chainPem: { type: 'string' },
              },
            }),
          },
          ...errors(409),
        },
      },
    },
    '/api/v1/transfers': {
      post: {
        tags: ['migrations'],
        summary: 'receive a migration transfer from a peer site (signed manifest, then ciphertext)',
        description:
          'No token: the signed manifest authenticates the sender, which must be a peer before any ciphertext is read. Rate-limited per client address (burst 20, then 20 per minute). Refusals are listed by GET /api/v1/migrations as `refused`.',
        security: [],
        requestBody: {
          required: true,
          content: {
            'application/vnd.vmic.transfer': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          '201': { description: 'imported', ...json({ type: 'object' }) },
          '429': {
            description: 'too many transfers from this address (problem+json)',
            headers: { 'Retry-After': { schema: { type: 'integer' } } },
          },
          ...errors(400, 409, 413, 422),
        },
      },
    },
    '/api/v1/migrations': {
      get: {
        tags: ['migrations'],
        summary:
          'migrations with their stages, newest first, and incoming transfers refused at the manifest stage (state `refused`, with the claimed sender)',
        description: READ,
        responses: {
          '200': {
            description: 'migrations',
            ...json({ type: 'array', items: { type: 'object' } }),
          },
          ...errors(401, 403),
        },
      },
      post: {
        tags: ['migrations'],
        summary: 'migrate an image to a peer (as `vmic migrate`)',
        description: ADMIN,
        responses: {
          '201': { description: 'migrated', ...json({ type: 'object' }) },
          ...errors(400, 401, 403, 404, 409, 422),
        },
      },
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'vmic',
      version: '1',
      description:
        'Signed VM-image catalog server: public signed feeds and blobs, the JSON API of endorsers, and the site API (trust, subscriptions, import, fetch, approvals, deploy gate).',
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
      ...sitePaths,
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
          description:
            'Public once a published catalog version lists the bytes. Before that, only a bearer token of admin or of the owning endorser reads them; anyone else gets 404, as for bytes that do not exist.',
          security: [{}, { bearer: [] }],
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
        Subscription: {
          name: 'subscription',
          in: 'path',
          required: true,
          schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$' },
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
              description: 'stable reason code (docs/design.md §6, §7) or operational code',
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
        GateReason: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: {
              enum: [
                'UNKNOWN_IMAGE',
                'NOT_ENDORSED',
                'CATALOG_EXPIRED',
                'SUBSCRIPTION_DISABLED',
                'NOT_APPROVED',
                'NOT_FETCHED',
                'HASH_MISMATCH',
                'SIGNER_REVOKED',
              ],
            },
            message: { type: 'string' },
          },
        },
        DeployDecision: {
          type: 'object',
          required: ['image', 'deployable', 'reasons', 'decidedAt'],
          properties: {
            image: { type: 'string' },
            deployable: { type: 'boolean' },
            reasons: { type: 'array', items: ref('GateReason') },
            subscription: { type: 'string' },
            identifier: { type: 'string' },
            title: { type: 'string' },
            sha256: { type: 'string' },
            byteSize: { type: 'integer' },
            catalog: {
              type: 'object',
              properties: {
                sequence: { type: 'integer' },
                issuedAt: { type: 'string', format: 'date-time' },
                expiresAt: { type: 'string', format: 'date-time' },
                verifiedAt: { type: 'string', format: 'date-time' },
                signer: { type: 'string' },
              },
            },
            expiresAt: {
              type: 'string',
              format: 'date-time',
              description: "the image's own expiry (HEPiX dc:date:expires)",
            },
            approval: ref('Approval'),
            bytes: {
              type: 'object',
              properties: {
                source: { type: 'string' },
                detail: { type: ['string', 'null'] },
                verifiedAt: { type: 'string', format: 'date-time' },
              },
            },
            decidedAt: { type: 'string', format: 'date-time' },
          },
        },
        TrustListing: {
          type: 'object',
          properties: {
            certificates: { type: 'array', items: { type: 'object' } },
            crls: { type: 'array', items: { type: 'object' } },
          },
        },
        Subscription: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            url: { type: 'string', format: 'uri' },
            expectSubject: { type: 'string' },
            expectIssuer: { type: 'string' },
            enabled: { type: 'boolean' },
            createdAt: { type: 'string', format: 'date-time' },
            lastCheckedAt: { type: 'string', format: 'date-time' },
            lastSuccessAt: { type: 'string', format: 'date-time' },
            lastNotModifiedAt: {
              type: 'string',
              format: 'date-time',
              description: 'when the feed last answered 304 Not Modified (verifies nothing)',
            },
            issuerPin: {
              type: 'object',
              description:
                'the issuing CA pinned by the first verified import (trust on first use)',
              properties: {
                subject: { type: 'string' },
                key: { type: 'string', description: 'sha256:HEX of its SubjectPublicKeyInfo' },
                pinnedAt: { type: 'string', format: 'date-time' },
              },
            },
            lastError: {
              type: 'object',
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                at: { type: 'string' },
              },
            },
            catalog: {
              type: 'object',
              properties: {
                sequence: { type: 'integer' },
                issuedAt: { type: 'string', format: 'date-time' },
                expiresAt: { type: 'string', format: 'date-time' },
                verifiedAt: { type: 'string', format: 'date-time' },
                ageSeconds: { type: 'integer', description: 'seconds since issuedAt' },
                signerSubject: { type: 'string' },
              },
            },
          },
        },
        ImportOutcome: {
          type: 'object',
          required: ['subscription', 'status'],
          properties: {
            subscription: { type: 'string' },
            status: { enum: ['applied', 'unchanged', 'not-modified', 'failed'] },
            sequence: { type: 'integer' },
            counts: { type: 'object', additionalProperties: { type: 'integer' } },
            lastVerifiedAt: { type: 'string', format: 'date-time' },
            issuerPinned: {
              type: 'object',
              properties: { subject: { type: 'string' }, key: { type: 'string' } },
            },
            code: {
              type: 'string',
              description: 'the reason code of a refusal (docs/design.md §6)',
            },
            rule: { type: 'string' },
            message: { type: 'string' },
          },
        },
        SiteImage: {
          type: 'object',
          description:
            'An imported image and its gate decision. Badges: endorsed (in the latest verified, unexpired catalog), approved, fetched (a verified copy in the cache), deployable.',
          properties: {
            subscription: { type: 'string' },
            identifier: { type: 'string' },
            title: { type: 'string' },
            sha256: { type: 'string' },
            byteSize: { type: 'integer' },
            downloadUrl: { type: 'string', format: 'uri' },
            status: { enum: ['endorsed', 'withdrawn'] },
            endorsed: { type: 'boolean' },
            approved: { type: 'boolean' },
            fetched: { type: 'boolean' },
            deployable: { type: 'boolean' },
            reasons: { type: 'array', items: ref('GateReason') },
          },
        },
        Approval: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            subscription: { type: 'string' },
            kind: { enum: ['image', 'endorser'] },
            identifier: { type: 'string' },
            sha256: { type: 'string' },
            approvedBy: { type: 'string' },
            approvedAt: { type: 'string', format: 'date-time' },
          },
        },
        ApprovalTarget: {
          oneOf: [
            {
              type: 'object',
              additionalProperties: false,
              required: ['image'],
              properties: {
                image: { type: 'string', description: 'identifier or `sha256:HEX`' },
                subscription: {
                  type: 'string',
                  description: 'needed when several subscriptions list the image',
                },
              },
            },
            {
              type: 'object',
              additionalProperties: false,
              required: ['endorser'],
              properties: { endorser: { type: 'string', description: 'a subscription name' } },
            },
          ],
        },
        SitePolicy: {
          type: 'object',
          properties: {
            policy: { type: 'object' },
            keys: { type: 'array', items: { type: 'object' } },
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
