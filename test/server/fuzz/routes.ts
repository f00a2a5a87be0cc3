import type { Express } from 'express';

/** One route the app registers: a method and an Express path pattern (`/feeds/:endorser`). */
export interface Route {
  method: string;
  path: string;
}

export function routeKey(r: Route): string {
  return `${r.method} ${r.path}`;
}

interface LayerLike {
  name?: string;
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
}

/**
 * Every route of an app, read from Express's router stack (router 2.x keeps each layer's
 * mount path as `rawPath`), so that the fuzzer's route list cannot fall behind the code.
 * Mounted routers are walked with their mount path as prefix; a static file server is
 * listed as `GET <mount>/:file`. Middleware without a route of its own is not a route.
 */
export function appRoutes(app: Express): Route[] {
  const stack = (app as unknown as { router: { stack: LayerLike[] } }).router.stack;
  const out = new Map<string, Route>();
  const add = (r: Route) => out.set(routeKey(r), r);
  const walk = (layers: LayerLike[], prefix: string) => {
    for (const layer of layers) {
      const paths = Array.isArray(layer.rawPath) ? (layer.rawPath as unknown[]) : [layer.rawPath];
      for (const p of paths) {
        if (typeof p !== 'string')
          throw new Error(`a route path that is not a string: ${String(p)}`);
        const mount = p === '/' ? prefix : `${prefix}${p}`;
        if (layer.route) {
          const routePath = String(layer.route.path);
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all')
              add({ method: method.toUpperCase(), path: `${prefix}${routePath}` });
          }
        } else if (layer.handle?.stack) {
          walk(layer.handle.stack, mount);
        } else if (layer.name === 'serveStatic') {
          add({ method: 'GET', path: `${mount}/:file` });
        }
      }
    }
  };
  walk(stack, '');
  return [...out.values()];
}

/** `/api/v1/endorsers/{endorser}` → `/api/v1/endorsers/:endorser`, to compare with Express paths. */
export function openApiPathToExpress(p: string): string {
  return p.replace(/\{([^}]+)\}/g, ':$1');
}

/** The same route shape whatever its parameters are called. */
export function shapeOf(method: string, expressPath: string): string {
  return `${method} ${expressPath.replace(/:[A-Za-z0-9_]+/g, ':_')}`;
}
