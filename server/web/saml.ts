import crypto from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { boundedBody } from '../bounded-body.ts';
import { SAML, ValidateInResponseTo, type Profile } from '@node-saml/passport-saml';
import type { Instance } from '../../catalog/index.ts';
import { attributeValues, mapRoles } from './roles.ts';
import { endSession, establishSession } from './session.ts';
import { renderAuthPage } from './auth-pages.ts';
import type { SamlSettings, WebConfig } from './web-config.ts';
import { safeReturnPath } from './return-path.ts';
import { DatabaseSamlRequestCache } from './saml-request-cache.ts';

/** Time allowed between the redirect to the IdP and its response (the InResponseTo cache). */
const REQUEST_TTL_MS = 10 * 60 * 1000;
/** SAML responses are a few kB; bound them (threat: endless data into the XML parser). */
const ACS_BODY_LIMIT = 256 * 1024;
const STATE_COOKIE = 'vmic_saml_state';

/**
 * The service provider, built with node-saml's SAML class as re-exported by
 * @node-saml/passport-saml. We call it directly rather than through passport.authenticate
 * because sign-in must own the session: regenerate it, bind the response to the browser
 * that asked for it, set the CSRF token and the absolute-timeout clock.
 */
export function serviceProvider(s: SamlSettings, inst: Instance): SAML {
  return new SAML({
    entryPoint: s.entryPoint,
    issuer: s.spEntityId,
    callbackUrl: s.callbackUrl,
    // Several certificates during the IdP's key rollover; any one must verify.
    idpCert: [...s.idpCerts],
    idpIssuer: s.idpIssuer,
    audience: s.spEntityId,
    // SimpleSAMLphp and Shibboleth sign both the Response and the Assertion; requiring
    // both refuses an unsigned wrapper around a signed assertion taken from elsewhere.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    // Every response must answer a request this instance made, once (threat: replay, and
    // IdP-initiated responses injected into a victim's browser). The cache is keyed by
    // request id, so it does not need the session cookie that SameSite=Lax keeps off the
    // IdP's cross-site POST; it is in the database, so any replica may get the response.
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    cacheProvider: new DatabaseSamlRequestCache(inst, REQUEST_TTL_MS),
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    acceptedClockSkewMs: 60_000,
    maxAssertionAgeMs: REQUEST_TTL_MS,
    // Leave the authentication method (password, MFA) to the IdP's own policy.
    disableRequestedAuthnContext: true,
    forceAuthn: s.forceAuthn,
  });
}

/**
 * Sign-in routes: SP metadata (what the IdP administrator imports), the redirect to the
 * IdP, and the assertion consumer service.
 */
export function samlRoutes(inst: Instance, config: WebConfig, s: SamlSettings): Router {
  const sp = serviceProvider(s, inst);
  const r = Router();

  r.get('/saml/metadata', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/samlmetadata+xml').send(sp.generateServiceProviderMetadata(null, null));
  });

  r.get('/saml/login', async (req, res) => {
    const nonce = crypto.randomBytes(16).toString('base64url');
    const back = safeReturnPath(req.query.next);
    setStateCookie(res, config, nonce);
    // RelayState is at most 80 bytes (SAML bindings §3.4.3): the nonce (22) and a short path.
    const relayState = back.length <= 56 ? `${nonce}${back}` : `${nonce}/`;
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, await sp.getAuthorizeUrlAsync(relayState, undefined, {}));
  });

  r.post(
    '/saml/acs',
    boundedBody({ limitBytes: ACS_BODY_LIMIT, type: 'form', maxFields: 10, what: 'SAML response' }),
    async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const body = (req.body ?? {}) as Record<string, unknown>;
      const relayState = typeof body.RelayState === 'string' ? body.RelayState : '';
      const bindingError = checkBrowserBinding(req, config, relayState);
      if (bindingError) {
        refuse(res, 401, bindingError);
        return;
      }
      clearStateCookie(res, config);
      if (typeof body.SAMLResponse !== 'string') {
        refuse(res, 400, 'the request carries no SAMLResponse');
        return;
      }
      let profile: Profile | null;
      try {
        ({ profile } = await sp.validatePostResponseAsync({ SAMLResponse: body.SAMLResponse }));
      } catch (e) {
        refuse(res, 401, `the identity provider's response was refused: ${(e as Error).message}`);
        return;
      }
      if (!profile?.nameID) {
        refuse(res, 401, 'the response names no user');
        return;
      }
      const attributes = (profile.attributes ?? profile) as Record<string, unknown>;
      const roles = mapRoles(attributeValues(attributes, s.roleAttribute), s);
      if (roles.length === 0) {
        // A different identity was just asserted: whoever was signed in here is not any more.
        await endSession(req);
        renderAuthPage(res, 'no-access.njk', { nameId: profile.nameID, title: 'No access' }, 403);
        return;
      }
      await establishSession(inst, req, { id: `saml:${profile.nameID}`, roles });
      res.redirect(303, safeReturnPath(relayState.slice(22)));
    },
  );
  return r;
}

function refuse(res: Response, status: number, reason: string): void {
  renderAuthPage(res, 'sign-in-failed.njk', { title: 'Sign-in failed', reason }, status);
}

/*
 * Login CSRF: an attacker could start a sign-in as themselves and make a victim's browser
 * post the resulting (valid, unused) response, signing the victim in as the attacker.
 * The state cookie set at /saml/login binds the response to the browser that started it:
 * its nonce must come back in RelayState. Over https the cookie is SameSite=None; Secure,
 * so it travels on the IdP's cross-site POST, and it is required. Over plain http
 * SameSite=None is not allowed; the cookie is then Lax, reaches the ACS only from a
 * same-site IdP (loopback in tests and demos), and is checked whenever it arrives.
 */
function setStateCookie(res: Response, config: WebConfig, nonce: string): void {
  res.cookie(STATE_COOKIE, nonce, {
    httpOnly: true,
    secure: config.cookieSecure,
    sameSite: config.cookieSecure ? 'none' : 'lax',
    path: '/saml/acs',
    maxAge: REQUEST_TTL_MS,
  });
}

function clearStateCookie(res: Response, config: WebConfig): void {
  res.clearCookie(STATE_COOKIE, {
    httpOnly: true,
    secure: config.cookieSecure,
    sameSite: config.cookieSecure ? 'none' : 'lax',
    path: '/saml/acs',
  });
}

function checkBrowserBinding(
  req: Request,
  config: WebConfig,
  relayState: string,
): string | undefined {
  const cookie = readCookie(req, STATE_COOKIE);
  if (cookie === undefined)
    return config.cookieSecure ? 'this browser did not start this sign-in' : undefined;
  const a = Buffer.from(cookie);
  const b = Buffer.from(relayState.slice(0, 22));
  return a.length === b.length && crypto.timingSafeEqual(a, b)
    ? undefined
    : 'this browser did not start this sign-in';
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
