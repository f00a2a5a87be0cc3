import { REASON_CODES } from '../../errors/index.ts';
import { Type } from '@sinclair/typebox';
import { DateTime } from './schemas-base.ts';

/** Schemas of the deploy gate's answer (`GET /gate/{IMAGE}`, docs/design.md §7). */
export const GateReason = Type.Object({
  // Every reason code: the gate also reports the chain's own (CERT_EXPIRED, CRL_INVALID, …).
  code: Type.Union(REASON_CODES.map((c) => Type.Literal(c))),
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
  approvers: Type.Optional(
    Type.Array(Type.String(), {
      description: 'under approval-quorum above 1: every distinct person whose approval counts',
    }),
  ),
  quorum: Type.Optional(Type.Integer({ description: 'approve only: the approval-quorum' })),
  stillNeeded: Type.Optional(
    Type.Integer({ description: 'approve only: distinct approvers still needed (0: it counts)' }),
  ),
  alreadyApproved: Type.Optional(
    Type.Boolean({ description: 'approve only: this person had approved it already' }),
  ),
});

const ApprovalQuorum = Type.Object(
  {
    needed: Type.Integer({ minimum: 1 }),
    kind: Type.Optional(Type.Union([Type.Literal('image'), Type.Literal('endorser')])),
    approvers: Type.Array(Type.String()),
  },
  { description: 'under approval-quorum above 1: distinct approvers needed and who approved' },
);

const EndorsementQuorum = Type.Object(
  {
    needed: Type.Integer({ minimum: 1 }),
    subscriptions: Type.Array(Type.String()),
    sha256: Type.String(),
    endorsing: Type.Array(Type.String()),
    notEndorsing: Type.Array(Type.Object({ subscription: Type.String(), why: Type.String() })),
    met: Type.Boolean(),
  },
  {
    description:
      'under endorsement-quorum, for an image of a named subscription: who endorses its SHA-256 in a current catalog, and why the others do not',
  },
);

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
  approvalQuorum: Type.Optional(ApprovalQuorum),
  endorsementQuorum: Type.Optional(EndorsementQuorum),
  conformsTo: Type.Optional(
    Type.Array(Type.String(), {
      description: 'policy IRIs the image itself is claimed to conform to (dcterms:conformsTo)',
    }),
  ),
  derivedFrom: Type.Optional(
    Type.Object(
      {
        image: Type.String(),
        catalog: Type.String(),
        sequence: Type.Integer(),
        catalogSha256: Type.String(),
        x509Subject: Type.String(),
        x509Issuer: Type.String(),
      },
      {
        description:
          "an adopted image's origin (PROV-O): the upstream image, catalog, sequence, catalog.p7m SHA-256 and signer",
      },
    ),
  ),
  policies: Type.Optional(
    Type.Object(
      {
        required: Type.Array(Type.String()),
        catalogClaims: Type.Array(Type.String()),
        missing: Type.Array(Type.String()),
      },
      {
        description:
          "when the subscription requires policies: those, its catalog's claims, and the ones neither claims (POLICY_NOT_MET)",
      },
    ),
  ),
  bytes: Type.Optional(
    Type.Object({
      source: Type.String(),
      detail: Type.Union([Type.String(), Type.Null()]),
      verifiedAt: DateTime,
    }),
  ),
  decidedAt: DateTime,
});
