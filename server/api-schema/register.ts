import type { Request, RequestHandler, Response, Router } from 'express';
import type { Static, TObject } from '@sinclair/typebox';
import { VmicError } from '../../errors/index.ts';
import { requireEndorserRole, requirePrincipal } from '../auth.ts';
import { siteAdmin, siteApprover, siteReader } from '../api/site-access.ts';
import { endorserParam } from '../params.ts';
import { jsonBody } from '../json-body.ts';
import type { Access, RouteSpec } from './routes.ts';
import { check } from './validate.ts';

/** What a handler receives: path parameters, query and JSON body, already checked. */
export interface Input<S extends RouteSpec> {
  params: S extends { params: infer P extends TObject } ? Static<P> : Record<string, never>;
  query: S extends { query: infer Q extends TObject } ? Static<Q> : Record<string, never>;
  /** Absent (undefined) only when the route also takes another media type and got one. */
  body: S extends { body: { json: infer B extends TObject } }
    ? S extends { body: { types: object } }
      ? Static<B> | undefined
      : Static<B>
    : undefined;
}

export type Handler<S extends RouteSpec> = (
  input: Input<S>,
  req: Request,
  res: Response,
) => Promise<void> | void;

const GUARDS: Record<Exclude<Access, 'public' | 'peer' | 'endorser'>, RequestHandler> = {
  principal: requirePrincipal,
  'site-reader': siteReader,
  'site-admin': siteAdmin,
  'site-approver': siteApprover,
};

function guardOf(access: Access): RequestHandler[] {
  if (access === 'public' || access === 'peer') return [];
  if (access === 'endorser')
    return [requireEndorserRole((req: Request) => endorserParam(req.params.endorser))];
  return [GUARDS[access]];
}

/** Express's `:name` form of an OpenAPI path template. */
export function expressPath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, ':$1');
}

/** The JSON body as sent: no body at all reads as `{}`, any other non-object is refused. */
function jsonValue(req: Request): unknown {
  const body: unknown = req.body;
  const hasContent =
    req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
  if (body === undefined && !hasContent) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new VmicError(
      'BAD_REQUEST',
      'the request body must be a JSON object (application/json)',
      {
        rule: '/body',
      },
    );
  return body;
}

/**
 * Registers the handler of one table entry: the role check first (an anonymous or
 * unauthorised caller makes the server read nothing), then `before` (a handler for another
 * media type, which calls next() to pass), then path and query checks, the bounded JSON
 * body and its check, and the handler with the checked input.
 */
export function route<S extends RouteSpec>(
  router: Router,
  spec: S,
  handler: Handler<S>,
  opts: { jsonLimitBytes: number; before?: RequestHandler[] },
): void {
  const chain: RequestHandler[] = [...guardOf(spec.access), ...(opts.before ?? [])];
  const body = spec.body;
  if (body?.json) chain.push(jsonBody(body.limitBytes ?? opts.jsonLimitBytes));
  chain.push(async (req, res) => {
    if (spec.params) check(spec.params, req.params, 'params');
    if (spec.query) check(spec.query, req.query ?? {}, 'query');
    let value: unknown = undefined;
    // A route that also takes another media type gets `undefined` for anything but JSON
    // and reads that body itself; a JSON-only route checks whatever came.
    if (body?.json && (body.types === undefined || req.is('application/json'))) {
      value = jsonValue(req);
      check(body.json, value, 'body');
    }
    const input = { params: req.params, query: req.query, body: value } as unknown as Input<S>;
    await handler(input, req, res);
  });
  router[spec.method](expressPath(spec.path), ...chain);
}
