import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import type { Instance, Principal } from '../../catalog/index.ts';
import type { PrincipalResolver } from '../auth.ts';
import { SqliteSessionStore } from './session-store.ts';
import type { WebConfig } from './web-config.ts';

declare module 'express-session' {
  interface SessionData {
    /** Set only at sign-in, in a freshly regenerated session. */
    principal?: Principal;
    /** Per-session CSRF token (base64url of 32 random bytes). */
    csrfToken?: string;
    /** Sign-in time (ms since the epoch, instance clock): the absolute timeout counts from it. */
    signedInAt?: number;
  }
}

/** `__Host-` binds the cookie to this exact origin over https (no Domain, Path=/, Secure). */
export function sessionCookieName(config: WebConfig): string {
  return config.cookieSecure ? '__Host-vmic_session' : 'vmic_session';
}

/**
 * Cookie sessions for the web admin. The cookie is HttpOnly (no script can read it),
 * SameSite=Lax (not sent on cross-site POSTs: a first CSRF barrier under the token check)
 * and Secure when the public URL is https. SameSite=Lax means the IdP's cross-site POST to
 * /saml/acs arrives without it: sign-in does not need it, because the ACS creates a new
 * session, and node-saml's InResponseTo cache is keyed by request id, not by session.
 */
export function sessionMiddleware(inst: Instance, config: WebConfig): RequestHandler {
  return session({
    name: sessionCookieName(config),
    secret: config.sessionSecret.toString('base64'),
    store: new SqliteSessionStore(inst, config.sessionIdleSeconds),
    resave: false,
    // No row and no cookie for anonymous visitors until a form needs a CSRF token.
    saveUninitialized: false,
    rolling: true,
    // Behind an https reverse proxy the socket is plain http; the Secure cookie is then
    // set because the proxy says X-Forwarded-Proto: https.
    proxy: config.cookieSecure,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.cookieSecure,
      path: '/',
      maxAge: config.sessionIdleSeconds * 1000,
    },
  });
}

/** The CSRF token of this session, created on first use (which makes the session stored). */
export function csrfTokenOf(req: Request): string {
  req.session.csrfToken ??= crypto.randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

/**
 * Signs a principal in. The session id is replaced first (threat: session fixation, a
 * session id planted before sign-in that the attacker then shares), and the CSRF token
 * with it.
 */
export async function establishSession(
  inst: Instance,
  req: Request,
  principal: Principal,
): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    req.session.regenerate((err) => (err ? reject(err as Error) : resolve())),
  );
  req.session.principal = principal;
  req.session.signedInAt = inst.now().getTime();
  csrfTokenOf(req);
  await new Promise<void>((resolve, reject) =>
    req.session.save((err) => (err ? reject(err as Error) : resolve())),
  );
}

export async function endSession(req: Request): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    req.session.destroy((err) => (err ? reject(err as Error) : resolve())),
  );
}

/**
 * Sets `req.principal`, `res.locals.principal` and `res.locals.csrfToken` from a valid
 * session. The idle timeout is the store's; the absolute one is checked here, so a
 * session kept alive by activity still ends (threat: a stolen cookie used forever).
 */
export function sessionPrincipal(inst: Instance, config: WebConfig): RequestHandler {
  return async (req, res, next) => {
    const s = req.session;
    // express-session leaves a request without a session when its path is outside the
    // cookie's (`GET *`, a target without a leading slash): anonymous, never a 500
    // (threat: an odd request-target crashing the sign-in layer; found by the fuzz test).
    if (s === undefined) {
      next();
      return;
    }
    const principal = s.principal;
    if (principal && s.signedInAt !== undefined) {
      const age = inst.now().getTime() - s.signedInAt;
      if (age > config.sessionAbsoluteSeconds * 1000 || age < 0) {
        await endSession(req);
        res.clearCookie(sessionCookieName(config), { path: '/' });
        next();
        return;
      }
      req.principal = principal;
      res.locals.principal = principal;
    }
    if (s?.csrfToken !== undefined) res.locals.csrfToken = s.csrfToken;
    next();
  };
}

/** For the API's resolver chain: the session principal, when the request has one. */
export const sessionResolver: PrincipalResolver = (req) => Promise.resolve(req.session?.principal);
