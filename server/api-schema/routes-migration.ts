import { Type } from '@sinclair/typebox';
import type { RouteSpec } from './route-spec.ts';
import { ok } from './route-helpers.ts';
import * as S from './schemas.ts';

/** Site-to-site migration routes of /api/v1: identity, transfers, migrations. */
export const MIGRATION_ROUTES = {
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
    query: Type.Object({
      from: Type.Optional(
        Type.String({
          pattern: '^[0-9]{1,9}$',
          description:
            'resume: the chunk the body starts at, the count `GET /transfers/{migrationId}` answered',
        }),
      ),
    }),
    body: {
      types: {
        'application/vnd.vmic.transfer': Type.String({
          format: 'binary',
          description:
            'length-prefixed signed manifest (format 2), then the image as authenticated chunks',
        }),
      },
    },
    responses: {
      201: ok('imported', S.AnyObject),
      429: { description: 'too many transfers from this address', headers: ['Retry-After'] },
    },
  },
  transferState: {
    method: 'get',
    path: '/transfers/{migrationId}',
    summary: 'how many chunks of an interrupted transfer this site holds (docs/design.md §8)',
    tag: 'migration',
    access: 'peer',
    params: Type.Object({ migrationId: Type.String({ pattern: '^[0-9a-f-]{36}$' }) }),
    responses: {
      200: ok(
        'the chunks held: the sender resumes with `POST /transfers?from=chunksHeld`',
        Type.Object({
          migrationId: Type.String(),
          chunksHeld: Type.Integer({ minimum: 0 }),
          chunks: Type.Integer({ minimum: 1 }),
        }),
      ),
      404: { description: 'no resumable transfer: send from chunk 0 as a new migration' },
      409: { description: 'the transfer is being received now' },
      429: { description: 'too many requests from this address', headers: ['Retry-After'] },
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
