import http from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { requestContext } from './logging.ts';

/** The label of a request no route matched: one value, whatever the path. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * Where routers are mounted (app.ts). A route's label is its mount plus its Express
 * pattern; a mount outside this list is labelled as such rather than with the text the
 * client sent (Express matches mounts case-insensitively, so `/API/v1` reaches `/api/v1`).
 */
const MOUNTS: ReadonlySet<string> = new Set(['', '/feeds', '/blobs', '/api/v1', '/static']);

export interface RequestRecord {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(http.METHODS);

/** The method as a label: a method Node does not know is `OTHER`. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}

const ROUTE = Symbol('route');
/** Request prototypes (an app's `app.request`) that carry the `route` accessor below. */
const TRACKING = new WeakSet<object>();

/**
 * Labels a request with the Express route that answered it, never its raw URL (threat:
 * an attacker choosing paths to create unbounded metric series and log cardinality). The
 * router assigns `req.route` when a route matches, while `req.baseUrl` is its mount; an
 * error handler runs after the router has restored `baseUrl`, so the label is taken at
 * the moment of the match. The accessor is defined once, on the app's request prototype
 * (Express sets it on every request before any middleware), not on each request: an
 * accessor defined per request object cost more than a tenth of a small answer's CPU.
 */
function trackRoute(req: Request): void {
  const proto = Object.getPrototypeOf(req) as object | null;
  if (proto === null || TRACKING.has(proto)) return;
  TRACKING.add(proto);
  Object.defineProperty(proto, 'route', {
    configurable: true,
    get(this: Request & { [ROUTE]?: unknown }) {
      return this[ROUTE];
    },
    set(this: Request & { [ROUTE]?: unknown }, route: unknown) {
      this[ROUTE] = route;
      const pattern = (route as { path?: unknown } | undefined)?.path;
      const res = this.res;
      if (typeof pattern !== 'string' || !res) return;
      const mount = (this.baseUrl ?? '').toLowerCase().replace(/\/+$/, '');
      res.locals.route = `${MOUNTS.has(mount) ? mount : '/(mount)'}${pattern}`;
    },
  });
}

/** Labels requests a middleware (not a route) answers, e.g. static files. */
export function labelRoute(label: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.route = label;
    next();
  };
}

/**
 * One log line per request (id, method, route, path, status, duration, and the problem's
 * code and rule for a refusal), and the request's metrics. Runs the rest of the request
 * inside `requestContext`, so that lines written on its behalf carry its id. Requires
 * `requestId` to have run.
 */
export function observeRequests(
  logger: Logger,
  record: (r: RequestRecord) => void,
): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    const requestId = String(res.locals.requestId ?? '');
    trackRoute(req);
    let done = false;
    const finish = (finished: boolean) => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      // 499: the client closed the connection before the answer was complete, i.e. before
      // the server had ended it. A streamed answer that was ended can still see 'close'
      // before 'finish': the client read every byte (Content-Length) and hung up before
      // Node reported the last socket write; that is a complete answer, not a 499.
      const status = finished || res.writableEnded ? res.statusCode : 499;
      const route = typeof res.locals.route === 'string' ? res.locals.route : UNMATCHED_ROUTE;
      const method = methodLabel(req.method);
      record({ method, route, status, seconds });
      // Replicas behind a cache often log at warn: the line is then not built at all.
      if (!logger.isLevelEnabled('info')) return;
      const problem = res.locals.problem as { code: string; rule?: string } | undefined;
      logger.info(
        {
          requestId,
          method,
          route,
          // The path without its query (a query may carry what the client considers secret),
          // bounded: it is the client's text.
          path: req.originalUrl.split('?')[0]!.slice(0, 300),
          status,
          durationMs: Math.round(seconds * 1e6) / 1e3,
          ...(problem
            ? { code: problem.code, ...(problem.rule ? { rule: problem.rule } : {}) }
            : {}),
        },
        'request',
      );
    };
    res.once('finish', () => finish(true));
    res.once('close', () => finish(false));
    requestContext.run({ requestId }, next);
  };
}
