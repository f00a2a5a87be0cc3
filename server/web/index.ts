import { Router, type Request, type RequestHandler } from 'express';
import type { Instance } from '../../catalog/index.ts';
import { htmlSecurityHeaders } from '../security-headers.ts';
import { authPages } from './auth-pages.ts';
import { csrfForSessionRequests } from './csrf.ts';
import { samlRoutes } from './saml.ts';
import { sessionMiddleware, sessionPrincipal } from './session.ts';
import type { WebConfig } from './web-config.ts';

export { requireCsrf } from './csrf.ts';
export { sessionResolver } from './session.ts';
export { loadWebConfig, type WebConfig, type SamlSettings } from './web-config.ts';

/** Paths of the sign-in layer itself; they get the HTML security policy. */
const AUTH_PATHS = ['/login', '/logout', '/saml'];

/**
 * The web admin's sign-in layer, mounted before the API and the pages: cookie sessions
 * in SQLite, `req.principal` from a valid session, the CSRF check on every state-changing
 * request a session authenticates, SAML 2.0 sign-in, the demo-only local sign-in, logout.
 */
export function webAuth(inst: Instance, config: WebConfig): Router {
  const r = Router();
  r.use(
    unlessBearerApi(sessionMiddleware(inst, config)),
    unlessBearerApi(sessionPrincipal(inst, config)),
  );
  r.use(csrfForSessionRequests(['/saml/acs']));
  r.use(AUTH_PATHS, htmlSecurityHeaders(config.saml ? [config.saml.idpOrigin] : []));
  if (config.saml) r.use(samlRoutes(inst, config, config.saml));
  r.use(authPages(inst, config));
  return r;
}

/**
 * An API call with a bearer token and no cookie has no session to find: it skips the
 * session layer, which would otherwise mint a session id for it and hook its response
 * (a tenth of a deploy gate answer). Its principal comes from the token alone.
 */
function bearerApiWithoutCookie(req: Request): boolean {
  return (
    req.path.startsWith('/api/') &&
    req.get('authorization') !== undefined &&
    req.get('cookie') === undefined
  );
}

function unlessBearerApi(handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (bearerApiWithoutCookie(req)) next();
    else void handler(req, res, next);
  };
}
