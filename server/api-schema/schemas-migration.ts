import { Type } from '@sinclair/typebox';
import { SubscriptionName } from './schemas-base.ts';

/** Schemas of site-to-site migration and of the feed index. */
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
