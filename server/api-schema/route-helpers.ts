import { Type, type TSchema } from '@sinclair/typebox';
import { ENDORSER_NAME } from '../../catalog/names.ts';
import type { ResponseSpec } from './route-spec.ts';
import * as S from './schemas.ts';

/** Path parameter objects and answer builders shared by the route tables. */
export const endorserPath = Type.Object({ endorser: S.EndorserName });
export const imagePath = Type.Object({ endorser: S.EndorserName, identifier: S.ImageIdentifier });
export const subscriptionPath = Type.Object({ subscription: S.SubscriptionName });
export const subscriptionFilter = Type.Object({
  subscription: Type.Optional(
    Type.String({
      pattern: ENDORSER_NAME.source,
      description: 'only this subscription (404 if there is none of that name)',
    }),
  ),
});
export const listOf = (key: string, item: TSchema) => Type.Object({ [key]: Type.Array(item) });
export const ok = (description: string, schema: TSchema): ResponseSpec => ({ description, schema });
export const created = (description: string, schema: TSchema): ResponseSpec => ({
  description,
  schema,
  headers: ['Location'],
});
