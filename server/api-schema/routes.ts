import type { TObject } from '@sinclair/typebox';
import type { RouteSpec } from './route-spec.ts';
import { ENDORSER_ROUTES } from './routes-endorser.ts';
import { MIGRATION_ROUTES } from './routes-migration.ts';
import { SITE_ROUTES } from './routes-site.ts';

/*
 * Every route of /api/v1, declared once: method, path, who may call it, its path and query
 * parameters, its body and its answers. server/api/* registers a handler per entry
 * (./register.ts validates the input first) and ./openapi.ts builds the OpenAPI document
 * from the same entries, so the two cannot drift apart.
 */

export type { Access, BodySpec, Method, ResponseSpec, RouteSpec } from './route-spec.ts';
export { ACCESS_ROLES } from './route-spec.ts';

export const ROUTES = {
  ...ENDORSER_ROUTES,
  ...SITE_ROUTES,
  ...MIGRATION_ROUTES,
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
export type { TObject };
