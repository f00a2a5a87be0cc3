import { Type, type TNull, type TOptional, type TString, type TUnion } from '@sinclair/typebox';
import { ENDORSER_NAME, IMAGE_IDENTIFIER } from '../../catalog/names.ts';
import { METADATA_FIELDS, SHA256_HEX } from '../../catalog/index.ts';

/*
 * The schemas of the JSON API (docs/design.md §4), one per input and output. They are
 * JSON Schema as they stand, so the route table validates requests with them and the
 * OpenAPI document embeds them unchanged. Name patterns come from catalog/names.ts.
 */

const pattern = (re: RegExp, description: string) =>
  Type.String({ pattern: re.source, description });

export const EndorserName = pattern(
  ENDORSER_NAME,
  'endorser name: 1-64 lowercase letters, digits or -',
);
export const ImageIdentifier = pattern(
  IMAGE_IDENTIFIER,
  'image identifier: 1-128 letters, digits, ., _ or -',
);
export const SubscriptionName = pattern(
  ENDORSER_NAME,
  'subscription name: 1-64 lowercase letters, digits or -',
);
export const Sha256Hex = pattern(SHA256_HEX, 'SHA-256: 64 lowercase hex digits');
const DateTime = Type.String({ format: 'date-time' });
const Uri = Type.String({ format: 'uri' });

export const Problem = Type.Object({
  type: Uri,
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({
    description: 'stable reason code (docs/design.md §6, §7) or operational code',
  }),
  rule: Type.Optional(
    Type.String({
      description:
        'the named rule that failed; for a request that does not fit its schema, the JSON pointer of the bad field (`/params/…`, `/query/…`, `/body/…`)',
    }),
  ),
  requestId: Type.Optional(Type.String()),
});

/** The nine metadata fields; `null` clears an optional one in an update. */
const metadataProperties = Object.fromEntries(
  METADATA_FIELDS.map((k) => [k, Type.Optional(Type.Union([Type.String(), Type.Null()]))]),
) as unknown as Record<(typeof METADATA_FIELDS)[number], TOptional<TUnion<[TString, TNull]>>>;

export const MetadataPatch = Type.Object(metadataProperties, { additionalProperties: false });

export const ImageByUrl = Type.Object(
  {
    ...metadataProperties,
    identifier: Type.Optional(Type.String()),
    url: Type.String({ description: 'where the bytes are served (http or https)' }),
    sha256: Type.String({ description: '64 hex digits' }),
    size: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const ImageUpload = Type.Object({
  ...metadataProperties,
  identifier: Type.Optional(Type.String()),
  file: Type.String({ format: 'binary' }),
});

export const Endorser = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  title: Type.String(),
  subject: Type.String(),
  issuer: Type.String(),
  certificatePem: Type.String(),
  chainPem: Type.String(),
  createdAt: DateTime,
});

export const Image = Type.Object({
  ...metadataProperties,
  id: Type.Integer(),
  endorser: Type.String(),
  identifier: Type.String(),
  byteSize: Type.Integer(),
  sha256: Type.String(),
  downloadUrl: Uri,
  storedHere: Type.Boolean(),
  status: Type.Union([Type.Literal('endorsed'), Type.Literal('withdrawn')]),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const PublishRequest = Type.Object(
  { expiresInSeconds: Type.Optional(Type.Number()) },
  { additionalProperties: false },
);

export const CatalogVersion = Type.Object({
  endorser: Type.String(),
  sequence: Type.Integer(),
  issuedAt: DateTime,
  expiresAt: DateTime,
  imageCount: Type.Integer(),
  contentSha256: Type.String(),
});

export const GateReason = Type.Object({
  code: Type.Union(
    [
      'UNKNOWN_IMAGE',
      'NOT_ENDORSED',
      'CATALOG_EXPIRED',
      'SUBSCRIPTION_DISABLED',
      'NOT_APPROVED',
      'NOT_FETCHED',
      'HASH_MISMATCH',
      'SIGNER_REVOKED',
    ].map((c) => Type.Literal(c)),
  ),
  message: Type.String(),
});

export const Approval = Type.Object({
  id: Type.Integer(),
  subscription: Type.String(),
  kind: Type.Union([Type.Literal('image'), Type.Literal('endorser')]),
  identifier: Type.Optional(Type.String()),
  sha256: Type.Optional(Type.String()),
  approvedBy: Type.String(),
  approvedAt: DateTime,
});

export const DeployDecision = Type.Object({
  image: Type.String(),
  deployable: Type.Boolean(),
  reasons: Type.Array(GateReason),
  subscription: Type.Optional(Type.String()),
  identifier: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  sha256: Type.Optional(Type.String()),
  byteSize: Type.Optional(Type.Integer()),
  catalog: Type.Optional(
    Type.Object({
      sequence: Type.Integer(),
      issuedAt: DateTime,
      expiresAt: DateTime,
      verifiedAt: DateTime,
      signer: Type.String(),
    }),
  ),
  expiresAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description: "the image's own expiry (HEPiX dc:date:expires)",
    }),
  ),
  approval: Type.Optional(Approval),
  bytes: Type.Optional(
    Type.Object({
      source: Type.String(),
      detail: Type.Union([Type.String(), Type.Null()]),
      verifiedAt: DateTime,
    }),
  ),
  decidedAt: DateTime,
});

export const TrustListing = Type.Object({
  certificates: Type.Array(Type.Object({})),
  crls: Type.Array(Type.Object({})),
});

export const TrustPem = Type.Object({ pem: Type.String() }, { additionalProperties: false });

export const Subscription = Type.Object({
  name: Type.String(),
  url: Uri,
  expectSubject: Type.String(),
  expectIssuer: Type.Optional(Type.String()),
  enabled: Type.Boolean(),
  createdAt: DateTime,
  lastCheckedAt: Type.Optional(DateTime),
  lastSuccessAt: Type.Optional(DateTime),
  lastNotModifiedAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'when the feed last answered 304 Not Modified (verifies nothing)',
    }),
  ),
  issuerPin: Type.Optional(
    Type.Object(
      { subject: Type.String(), key: Type.String(), pinnedAt: DateTime },
      { description: 'the issuing CA pinned by the first verified import (trust on first use)' },
    ),
  ),
  lastError: Type.Optional(
    Type.Object({ code: Type.String(), message: Type.String(), at: Type.String() }),
  ),
  catalog: Type.Optional(Type.Object({})),
});

export const SubscribeRequest = Type.Object(
  {
    url: Type.String({ minLength: 1 }),
    expectSubject: Type.String({ minLength: 1 }),
    expectIssuer: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const ImportOutcome = Type.Object({
  subscription: Type.String(),
  status: Type.Union(
    ['applied', 'unchanged', 'not-modified', 'failed'].map((s) => Type.Literal(s)),
  ),
  sequence: Type.Optional(Type.Integer()),
  code: Type.Optional(
    Type.String({ description: 'the reason code of a refusal (docs/design.md §6)' }),
  ),
  rule: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});

export const FetchRequest = Type.Object(
  { subscription: Type.Optional(SubscriptionName) },
  { additionalProperties: false },
);

export const SiteImage = Type.Object(
  {
    subscription: Type.String(),
    identifier: Type.String(),
    title: Type.String(),
    sha256: Type.String(),
    byteSize: Type.Integer(),
    downloadUrl: Uri,
    status: Type.Union([Type.Literal('endorsed'), Type.Literal('withdrawn')]),
    endorsed: Type.Boolean(),
    approved: Type.Boolean(),
    fetched: Type.Boolean(),
    deployable: Type.Boolean(),
    reasons: Type.Array(GateReason),
  },
  {
    description:
      'An imported image and its gate decision. Badges: endorsed (in the latest verified, unexpired catalog), approved, fetched (a verified copy in the cache), deployable.',
  },
);

export const ApprovalTarget = Type.Object(
  {
    image: Type.Optional(Type.String({ description: 'identifier or `sha256:HEX`' })),
    subscription: Type.Optional(
      Type.String({
        pattern: ENDORSER_NAME.source,
        description: 'needed when several subscriptions list the image',
      }),
    ),
    endorser: Type.Optional(
      Type.String({
        pattern: ENDORSER_NAME.source,
        description: 'a subscription name: approve all its images',
      }),
    ),
  },
  { additionalProperties: false },
);

export const SitePolicy = Type.Object({
  policy: Type.Record(Type.String(), Type.Unknown()),
  keys: Type.Array(
    Type.Object({ key: Type.String(), field: Type.String(), optional: Type.Boolean() }),
  ),
});

export const PolicyValue = Type.Object(
  {
    value: Type.Union([Type.String(), Type.Integer(), Type.Null()], {
      description: 'a string, an integer, or null to reset the key',
    }),
  },
  { additionalProperties: false },
);

export const MigrationRequest = Type.Object(
  {
    image: Type.String({ minLength: 1 }),
    subscription: Type.Optional(SubscriptionName),
    to: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const SiteIdentity = Type.Object({
  subject: Type.String(),
  issuer: Type.String(),
  certificatePem: Type.String(),
  chainPem: Type.String(),
});

export const FeedIndex = Type.Object({
  endorser: Type.String(),
  title: Type.String(),
  subject: Type.String(),
  issuer: Type.String(),
  latest: Type.Union([Type.Null(), Type.Object({})]),
  versions: Type.Array(Type.Object({})),
});

/** A JSON object whose members this document does not spell out. */
export const AnyObject = Type.Object({});
