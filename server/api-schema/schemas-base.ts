import { Type, type TNull, type TOptional, type TString, type TUnion } from '@sinclair/typebox';
import { ENDORSER_NAME, IMAGE_IDENTIFIER } from '../../catalog/names.ts';
import { IMAGE_FIELD_KEYS, SHA256_HEX, type ImageFieldKey } from '../../catalog/index.ts';

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
export const DateTime = Type.String({ format: 'date-time' });
export const Uri = Type.String({ format: 'uri' });

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
  IMAGE_FIELD_KEYS.map((k) => [k, Type.Optional(Type.Union([Type.String(), Type.Null()]))]),
) as unknown as Record<ImageFieldKey, TOptional<TUnion<[TString, TNull]>>>;

/** Policy IRIs (`dcterms:conformsTo`); catalog/policy-iri.ts checks each (http(s) or urn). */
export const ConformsTo = Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
  maxItems: 16,
  description:
    'policy IRIs the image conforms to (dcterms:conformsTo), signed with the next publish',
});

export const MetadataPatch = Type.Object(
  {
    ...metadataProperties,
    conformsTo: Type.Optional(
      Type.Union([ConformsTo, Type.Null()], { description: 'null or [] clears the claims' }),
    ),
  },
  { additionalProperties: false },
);

/** `PUT /endorsers/{endorser}/conforms-to`: the claims for every image of the catalog. */
export const EndorserClaims = Type.Object(
  { conformsTo: ConformsTo },
  { additionalProperties: false },
);
export const EndorserClaimsAnswer = Type.Object({
  endorser: Type.String(),
  conformsTo: ConformsTo,
});

export const ImageByUrl = Type.Object(
  {
    ...metadataProperties,
    identifier: Type.Optional(Type.String()),
    url: Type.String({ description: 'where the bytes are served (http or https)' }),
    sha256: Type.String({ description: '64 hex digits' }),
    size: Type.Number({ minimum: 0 }),
    conformsTo: Type.Optional(ConformsTo),
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
  conformsTo: Type.Optional(ConformsTo),
  status: Type.Union([Type.Literal('endorsed'), Type.Literal('withdrawn')]),
  createdAt: DateTime,
  updatedAt: DateTime,
  /** The attached software inventory (PUT …/sbom), listed in the catalog as a distribution. */
  sbom: Type.Optional(
    Type.Object({
      sha256: Sha256Hex,
      mediaType: Type.Union([
        Type.Literal('application/spdx+json'),
        Type.Literal('application/vnd.cyclonedx+json'),
      ]),
      byteSize: Type.Integer({ minimum: 0 }),
    }),
  ),
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
  /** A co-signed catalog still waiting for signatures (docs/design.md §3); not served yet. */
  pending: Type.Optional(
    Type.Object({
      threshold: Type.Integer(),
      signers: Type.Array(Type.String()),
      needed: Type.Integer(),
    }),
  ),
});

/** A pending co-signed catalog (docs/design.md §3): who signed, who may, how many more. */
export const PendingCatalog = Type.Object({
  endorser: Type.String(),
  sequence: Type.Integer(),
  threshold: Type.Integer(),
  issuedAt: DateTime,
  expiresAt: DateTime,
  imageCount: Type.Integer(),
  contentSha256: Type.String({ description: 'SHA-256 of the N-Quads every signature covers' }),
  createdBy: Type.String(),
  signed: Type.Array(
    Type.Object({ signer: Type.String(), subject: Type.String(), signedAt: DateTime }),
  ),
  notYet: Type.Array(Type.String()),
  needed: Type.Integer(),
});

export const CosignatureUpload = Type.Object(
  {
    signer: EndorserName,
    signature: Type.String({
      description:
        'base64 of a detached CMS (DER) with one signer over the pending N-Quads, made by that co-signer (openssl cms -sign -binary -outform DER)',
      pattern: '^[A-Za-z0-9+/]+={0,2}$',
      maxLength: 87_384, // base64 of 64 KiB, the bound the web upload has
    }),
  },
  { additionalProperties: false },
);

export const CosignOutcome = Type.Object({
  endorser: Type.String(),
  sequence: Type.Integer(),
  signer: Type.String(),
  signers: Type.Array(Type.String()),
  threshold: Type.Integer(),
  published: Type.Optional(CatalogVersion),
});

/** A JSON object whose members this document does not spell out. */
export const AnyObject = Type.Object({});
