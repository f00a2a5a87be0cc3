import { Type } from '@sinclair/typebox';
import { ENDORSER_NAME } from '../../catalog/names.ts';
import { PolicyWireValue } from '../../catalog/site/policy-schema.ts';
import { DEFAULT_PAGE, MAX_PAGE } from '../../catalog/site/site-image-pages.ts';
import { DateTime, SubscriptionName, Uri } from './schemas-base.ts';
import { GateReason } from './schemas-gate.ts';

/** Schemas of the site half of the API: trust, subscriptions, imports, fetch, site images, approvals and policy (the gate: schemas-gate.ts). */
export const TrustListing = Type.Object({
  certificates: Type.Array(Type.Object({})),
  crls: Type.Array(Type.Object({})),
});

export const TrustPem = Type.Object({ pem: Type.String() }, { additionalProperties: false });

const LogPolicy = Type.Union([Type.Literal('require'), Type.Literal('warn'), Type.Literal('off')], {
  description: 'require (default for new subscriptions), warn, or off',
});

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
  log: Type.Object(
    {
      policy: LogPolicy,
      key: Type.Optional(
        Type.Object({
          text: Type.String(),
          origin: Type.String(),
          source: Type.Union([Type.Literal('pinned'), Type.Literal('first-use')]),
          at: Type.String(),
        }),
      ),
      witnesses: Type.Array(Type.Object({ key: Type.String(), url: Type.Optional(Type.String()) })),
      quorum: Type.Integer(),
    },
    { description: "what imports ask of the endorser's transparency log (docs/design.md §13)" },
  ),
  signers: Type.Optional(
    Type.Object(
      { k: Type.Integer(), subjects: Type.Array(Type.String()) },
      { description: 'a co-signed catalog: K distinct signers among these pinned subjects' },
    ),
  ),
  requirePolicies: Type.Array(Type.String(), {
    description: 'policy IRIs every image must be claimed to conform to (POLICY_NOT_MET)',
  }),
  verifyProvenance: Type.Boolean({ description: "whether imports check an image's provenance" }),
});

const PolicyIris = Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 16 });

/** What a subscription requires beyond signatures; a key left out stays as it is. */
export const SubscriptionRequirements = Type.Object(
  {
    requirePolicies: Type.Optional(
      Type.Union([PolicyIris, Type.Null()], { description: 'null or [] requires none' }),
    ),
    verifyProvenance: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const SubscribeRequest = Type.Object(
  {
    url: Type.String({ minLength: 1 }),
    expectSubject: Type.String({ minLength: 1 }),
    expectIssuer: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    log: Type.Optional(LogPolicy),
    logKey: Type.Optional(
      Type.String({ maxLength: 1000, description: "the log's verifier key, name+hash+base64" }),
    ),
    witnesses: Type.Optional(
      Type.Array(Type.String({ maxLength: 3000 }), {
        maxItems: 16,
        description: 'witness cosigner keys, each KEY or KEY,URL',
      }),
    ),
    witnessQuorum: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })),
    expectSigners: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 16,
        description: 'a co-signed catalog: K distinct signers among expectSubject and coSigners',
      }),
    ),
    coSigners: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 15 })),
    requirePolicies: Type.Optional(PolicyIris),
    verifyProvenance: Type.Optional(Type.Boolean()),
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

/** `GET /site/images?limit=&cursor=`: which page of the list (see SiteImagePage). */
export const SiteImagesPaging = Type.Object({
  limit: Type.Optional(
    Type.String({
      // A query value is text: 1-500 (MAX_PAGE) spelled without sign, fraction or leading
      // zero; pageOfSiteImages checks the bound again.
      pattern: '^(?:[1-9][0-9]?|[1-4][0-9]{2}|500)$',
      description: `images per page, 1-${MAX_PAGE} (default ${DEFAULT_PAGE})`,
    }),
  ),
  cursor: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]+$',
      // Node refuses request heads over 16 KiB, so no longer cursor could arrive anyway.
      maxLength: 16384,
      description: 'opaque: the `next` of the previous page; absent for the first page',
    }),
  ),
});

export const SiteImagePage = Type.Object(
  {
    images: Type.Array(SiteImage),
    next: Type.Union([Type.String(), Type.Null()], {
      description: 'the `cursor` of the next page; null on the last page',
    }),
  },
  {
    description:
      'One page of imported images in order of subscription name, then identifier. Only the page is decided through the gate; follow `next` for the rest.',
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

/** The key's own schema (catalog/site/policy-schema.ts) then checks the value itself. */
export const PolicyValue = Type.Object({ value: PolicyWireValue }, { additionalProperties: false });
