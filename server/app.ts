import express, { Router, type Express } from 'express';
import type { Instance } from '../catalog/index.ts';
import { authenticate, bearerResolver, type PrincipalResolver } from './auth.ts';
import { securityHeaders } from './security-headers.ts';
import { trustProxies } from './client-address.ts';
import { requireHost } from './client-errors.ts';
import { lingerOnClose } from './lingering-close.ts';
import { notFound, problemHandler, requestId } from './problem.ts';
import { createLogger, logEvent, type LogOptions } from './logging.ts';
import { labelRoute, observeRequests } from './logging-requests.ts';
import { Metrics } from './metrics.ts';
import { metricsAccess, type MetricsAccess } from './metrics-access.ts';
import { readyz } from './readiness.ts';
import { feedsRouter } from './feeds.ts';
import { approvalFeedRouter } from './approval-feed-routes.ts';
import { logRouter } from './log-routes.ts';
import { witnessRouter } from './witness-routes.ts';
import { versionFileCacheOf } from '../catalog/version-file-cache.ts';
import { blobsRouter } from './blobs.ts';
import { endorsersApi } from './api/endorsers.ts';
import { imagesApi } from './api/images.ts';
import { catalogsApi } from './api/catalogs.ts';
import { imageSbomApi } from './api/image-sbom.ts';
import { siteApi } from './api/site-api.ts';
import { transfersApi } from './api/transfers.ts';
import { migrationsApi } from './api/migrations.ts';
import { openApiDocument } from './api-schema/openapi.ts';
import { ROUTES } from './api-schema/routes.ts';
import { route } from './api-schema/register.ts';
import { sessionResolver, webAuth, type WebConfig } from './web/index.ts';
import { STATIC_DIR, webPages } from './web/pages/index.ts';

export interface AppOptions extends LogOptions {
  /** Extra credential kinds tried after the bearer token (the web admin's session). */
  principalResolvers?: readonly PrincipalResolver[];
  /** The web admin's sign-in layer (sessions, SAML, CSRF); absent: API and feeds only. */
  web?: WebConfig;
  /** Who may read /metrics; default: a bearer token with the role metrics or admin. */
  metrics?: MetricsAccess;
  /**
   * CIDR blocks of the reverse proxies whose X-Forwarded-For names the client
   * (`--trust-proxy`, client-address.ts); default none: the client is the socket's peer.
   */
  trustProxy?: readonly string[];
}

export function createApp(inst: Instance, opts: AppOptions = {}): Express {
  return buildApp(inst, opts).app;
}

/**
 * The app, and the function that stops it listening to the instance's observers (the
 * server calls it on close, so that an instance outliving its server feeds no metrics).
 */
export function buildApp(
  inst: Instance,
  opts: AppOptions = {},
): { app: Express; detach: () => void } {
  const app = express();
  app.disable('x-powered-by');
  // Also makes req.protocol and req.hostname follow those proxies' X-Forwarded-Proto and
  // -Host; nothing here reads them (URLs come from the public URL), only req.ip matters.
  trustProxies(app, opts.trustProxy);
  // Feeds and blobs set strong ETags over their exact bytes; nothing else is cached.
  app.set('etag', false);
  const logger = createLogger(opts);
  // Made now, so that a bad $VMIC_FEED_CACHE_MIB stops the start rather than a request.
  versionFileCacheOf(inst);
  const metrics = new Metrics(inst);
  const detach = inst.observers.add((e) => {
    metrics.onEvent(e);
    logEvent(logger, e);
  });
  app.use(
    requestId,
    observeRequests(logger, (r) => metrics.onRequest(r)),
  );
  app.use(securityHeaders, requireHost, lingerOnClose);

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  app.get('/readyz', readyz(inst, logger));
  app.get('/metrics', metricsAccess(inst, opts.metrics), async (_req, res) => {
    const text = await metrics.render();
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.registry.contentType).send(text);
  });
  app.use('/feeds', feedsRouter(inst));
  // Public, unlike the web admin under /site that follows.
  app.use('/site', approvalFeedRouter(inst));
  app.use('/log', logRouter(inst));
  app.use('/witness', witnessRouter(inst));
  app.use('/blobs', blobsRouter(inst));
  if (opts.web) app.use(webAuth(inst, opts.web));
  const sessions = opts.web ? [sessionResolver] : [];
  app.use(
    '/api/v1',
    apiRouter(inst, [bearerResolver(inst), ...sessions, ...(opts.principalResolvers ?? [])]),
  );
  // The web admin: its CSS and JS as files (the pages' CSP allows no inline code), then
  // the pages, after the sign-in layer that sets the session principal.
  app.use(
    '/static',
    labelRoute('/static/*'),
    express.static(STATIC_DIR, { index: false, redirect: false }),
  );
  app.use(webPages(inst));

  app.use(notFound);
  app.use(problemHandler(logger));
  return { app, detach };
}

function apiRouter(inst: Instance, resolvers: readonly PrincipalResolver[]): Router {
  const api = Router();
  const document = JSON.stringify(openApiDocument(inst.config.publicUrl));
  route(
    api,
    ROUTES.openapi,
    (_in, _req, res) => {
      res.type('application/json').send(document);
    },
    { jsonLimitBytes: inst.config.limits.jsonBodyBytes },
  );
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  api.use(transfersApi(inst));
  api.use(authenticate(resolvers));
  api.use(
    endorsersApi(inst),
    imagesApi(inst),
    imageSbomApi(inst),
    catalogsApi(inst),
    siteApi(inst),
    migrationsApi(inst),
  );
  return api;
}
