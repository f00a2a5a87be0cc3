import express, { Router, type Express } from 'express';
import type { Instance } from '../catalog/index.ts';
import { authenticate, bearerResolver, type PrincipalResolver } from './auth.ts';
import { securityHeaders } from './security-headers.ts';
import { requireHost } from './client-errors.ts';
import { lingerOnClose } from './lingering-close.ts';
import { notFound, problemHandler, requestId, type ErrorLog } from './problem.ts';
import { feedsRouter } from './feeds.ts';
import { blobsRouter } from './blobs.ts';
import { endorsersApi } from './api/endorsers.ts';
import { imagesApi } from './api/images.ts';
import { catalogsApi } from './api/catalogs.ts';
import { siteApi } from './api/site-api.ts';
import { transfersApi } from './api/transfers.ts';
import { migrationsApi } from './api/migrations.ts';
import { openApiDocument } from './api-schema/openapi.ts';
import { ROUTES } from './api-schema/routes.ts';
import { route } from './api-schema/register.ts';
import { sessionResolver, webAuth, type WebConfig } from './web/index.ts';
import { STATIC_DIR, webPages } from './web/pages/index.ts';

export interface AppOptions {
  /** Extra credential kinds tried after the bearer token (the web admin's session). */
  principalResolvers?: readonly PrincipalResolver[];
  /** Where 500s are logged with their request id; stderr by default. */
  log?: ErrorLog;
  /** The web admin's sign-in layer (sessions, SAML, CSRF); absent: API and feeds only. */
  web?: WebConfig;
}

export function createApp(inst: Instance, opts: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  // Feeds and blobs set strong ETags over their exact bytes; nothing else is cached.
  app.set('etag', false);
  app.use(requestId, securityHeaders, requireHost, lingerOnClose);

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  app.use('/feeds', feedsRouter(inst));
  app.use('/blobs', blobsRouter(inst));
  if (opts.web) app.use(webAuth(inst, opts.web));
  const sessions = opts.web ? [sessionResolver] : [];
  app.use(
    '/api/v1',
    apiRouter(inst, [bearerResolver(inst), ...sessions, ...(opts.principalResolvers ?? [])]),
  );
  // The web admin: its CSS and JS as files (the pages' CSP allows no inline code), then
  // the pages, after the sign-in layer that sets the session principal.
  app.use('/static', express.static(STATIC_DIR, { index: false, redirect: false }));
  app.use(webPages(inst));

  app.use(notFound);
  app.use(problemHandler(opts.log ?? ((line) => process.stderr.write(`${line}\n`))));
  return app;
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
    catalogsApi(inst),
    siteApi(inst),
    migrationsApi(inst),
  );
  return api;
}
