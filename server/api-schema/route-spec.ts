import type { TObject, TSchema } from '@sinclair/typebox';

/** The shape of one declared /api/v1 route (see ./routes.ts). */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route (docs/design.md §4, §10): `public` (no credentials), `peer` (a
 * signed transfer manifest, no token), any authenticated `principal`, `endorser` (admin or
 * `endorser:NAME` of the endorser in the path), or one of the three site role sets.
 */
export type Access =
  'public' | 'peer' | 'principal' | 'endorser' | 'site-reader' | 'site-admin' | 'site-approver';

export const ACCESS_ROLES: Record<Access, string> = {
  public: 'Public.',
  peer: 'No token: authenticated by the signed transfer manifest; rate-limited per address.',
  principal: 'Any authenticated principal.',
  endorser: 'Roles: admin, endorser:NAME.',
  'site-reader': 'Roles: admin, site-approver, auditor.',
  'site-admin': 'Role: admin.',
  'site-approver': 'Roles: admin, site-approver.',
};

export interface ResponseSpec {
  description: string;
  /** A JSON answer's schema; absent: no body, or `content` below. */
  schema?: TSchema;
  content?: Record<string, TSchema>;
  headers?: readonly string[];
}

export interface BodySpec {
  /** The JSON body, validated before the handler runs. */
  json?: TObject;
  /** Other media types the route takes; the handler reads those itself. */
  types?: Record<string, TSchema>;
  /** The body's bound in bytes; the configured JSON limit by default. */
  limitBytes?: number;
}

export interface RouteSpec {
  method: Method;
  /** OpenAPI path template below /api/v1 (`/endorsers/{endorser}`). */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: TObject;
  query?: TObject;
  body?: BodySpec;
  responses: Record<string, ResponseSpec>;
}
