import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VmicError } from '../../../errors/index.ts';
import { parseWebConfig } from '../../../server/web/web-config.ts';
import { startWebServer, type WebServer } from './web-server.ts';

/*
 * Sessions, CSRF and headers, driven over HTTP with fetch against the real server in demo
 * mode (local sign-in) with SAML configured to the real test IdP.
 */

let server: WebServer;
before(async () => {
  server = await startWebServer({ demoMode: true });
});
after(async () => {
  await server?.close();
});

function cookieOf(res: Response): string | undefined {
  const c = res.headers.getSetCookie().find((x) => x.startsWith('vmic_session='));
  return c?.split(';')[0];
}

/** GET /login: the anonymous session that holds the form's CSRF token. */
async function loginForm(): Promise<{ cookie: string; token: string; html: string }> {
  const res = await fetch(`${server.url}/login`);
  const html = await res.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const cookie = cookieOf(res);
  assert.ok(token && cookie, html);
  return { cookie, token, html };
}

async function devSignIn(role: string): Promise<{ cookie: string; token: string; res: Response }> {
  const form = await loginForm();
  const res = await fetch(`${server.url}/login/dev`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: form.cookie },
    body: new URLSearchParams({ _csrf: form.token, name: 'tester', role, next: '/admin' }),
  });
  assert.equal(res.status, 303, await res.text());
  const cookie = cookieOf(res);
  assert.ok(cookie);
  assert.notEqual(cookie, form.cookie, 'sign-in replaces the session id (fixation)');
  const page = await fetch(`${server.url}/login`, { headers: { cookie } });
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  assert.ok(token);
  assert.notEqual(token, form.token, 'and the CSRF token');
  return { cookie, token, res };
}

async function assertCsrfRefusal(res: Response): Promise<void> {
  assert.equal(res.status, 403);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.code, 'FORBIDDEN');
  assert.equal(body.rule, 'csrf');
}

describe('web security', () => {
  test('login page: strict CSP with the IdP as the only other form target, no inline script', async () => {
    const res = await fetch(`${server.url}/login`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.equal(
      csp,
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; ` +
        `form-action 'self' ${server.idp.url}; frame-ancestors 'none'; base-uri 'none'`,
    );
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    const html = await res.text();
    for (const tag of html.match(/<script\b[^>]*>/gi) ?? [])
      assert.match(tag, /\bsrc=/, `inline script: ${tag}`);
    assert.doesNotMatch(html, /\son\w+=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /\sstyle=/i, 'no inline styles');
    assert.match(html, /Sign in with your organisation/);
    assert.match(html, /This form exists only in demo mode/);
  });

  test('the demo sign-in offers every role of the instance', async () => {
    const { html } = await loginForm();
    const roles = [...html.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(roles, ['admin', 'site-approver', 'auditor']);
  });

  test('session cookie: HttpOnly, SameSite=Lax, Path=/, idle Max-Age; not Secure on http', async () => {
    const { res } = await devSignIn('auditor');
    const set = res.headers.getSetCookie().find((x) => x.startsWith('vmic_session='))!;
    assert.match(set, /; HttpOnly/i);
    assert.match(set, /; SameSite=Lax/i);
    assert.match(set, /; Path=\//);
    assert.match(set, /; Expires=/);
    assert.doesNotMatch(set, /; Secure/i);
    assert.equal(res.headers.get('location'), '/admin');
  });

  test('a state-changing post without the CSRF token, or with a wrong one, is refused', async () => {
    const { cookie, token } = await devSignIn('admin');
    const logout = (extra: { body?: URLSearchParams; headers?: Record<string, string> }) =>
      fetch(`${server.url}/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, ...extra.headers },
        ...(extra.body ? { body: extra.body } : {}),
      });
    await assertCsrfRefusal(await logout({ body: new URLSearchParams({}) }));
    await assertCsrfRefusal(await logout({ body: new URLSearchParams({ _csrf: 'x'.repeat(43) }) }));
    await assertCsrfRefusal(await logout({ headers: { 'x-csrf-token': token.slice(1) } }));
    // The API with the session cookie is held to the same rule (multipart uploads put the
    // token in the header or ?_csrf=).
    const api = await fetch(`${server.url}/api/v1/endorsers`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{}',
    });
    await assertCsrfRefusal(api);
    const query = await fetch(`${server.url}/logout?_csrf=wrong`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie },
    });
    await assertCsrfRefusal(query);

    // Still signed in after all that; the right token (header form) signs out.
    const ok = await logout({ headers: { 'x-csrf-token': token } });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/login?signedOut=1');
    const page = await fetch(`${server.url}/login`, { headers: { cookie } });
    assert.doesNotMatch(await page.text(), /You are signed in as/);
  });

  test('bearer-token API requests are not CSRF-checked (no cookies involved)', async () => {
    const res = await fetch(`${server.url}/api/v1/endorsers`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 401);
  });

  test('the demo sign-in itself needs the token of the session that showed the form', async () => {
    const form = await loginForm();
    const res = await fetch(`${server.url}/login/dev`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: form.cookie },
      body: new URLSearchParams({ name: 'x', role: 'admin' }),
    });
    await assertCsrfRefusal(res);
  });

  test('sign-in never redirects off-site', async () => {
    const form = await loginForm();
    const res = await fetch(`${server.url}/login/dev`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: form.cookie },
      body: new URLSearchParams({
        _csrf: form.token,
        name: 'x',
        role: 'admin',
        next: '//evil.example/',
      }),
    });
    assert.equal(res.headers.get('location'), '/');
  });
});

describe('web configuration', () => {
  const ctx = {
    publicUrl: 'https://vmic.example.org',
    demoMode: false,
    baseDir: '/nonexistent',
    sessionSecret: Buffer.alloc(32, 1),
    source: 'web.json',
  };
  const codeOf = (f: () => unknown) =>
    assert.throws(f, (e: unknown) => e instanceof VmicError && e.code === 'CONFIG');

  test('https public URL: Secure cookies; callback and entity derived from it', () => {
    const config = parseWebConfig(
      {
        saml: {
          entryPoint: 'https://idp.example.org/sso',
          idpIssuer: 'https://idp.example.org/idp',
          idpCerts: ['idp.crt'],
          roleAttribute: 'groups',
          roleMapping: {},
        },
      },
      { ...ctx, baseDir: server.idp.dir + '/cert', source: 'web.json' },
    );
    assert.equal(config.cookieSecure, true);
    assert.equal(config.saml?.callbackUrl, 'https://vmic.example.org/saml/acs');
    assert.equal(config.saml?.spEntityId, 'https://vmic.example.org/saml/metadata');
  });

  test('bad values fail at start-up with CONFIG', () => {
    const saml = {
      entryPoint: 'https://idp.example.org/sso',
      idpIssuer: 'https://idp.example.org/idp',
      idpCerts: ['-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----'],
      roleAttribute: 'groups',
      roleMapping: {},
    };
    codeOf(() => parseWebConfig({ saml }, ctx));
    codeOf(() => parseWebConfig({ saml: { ...saml, idpCerts: [] } }, ctx));
    codeOf(() => parseWebConfig({ saml: { ...saml, entryPoint: 'ftp://x' } }, ctx));
    codeOf(() => parseWebConfig({ saml: { ...saml, roleMapping: { g: ['root'] } } }, ctx));
    codeOf(() => parseWebConfig({ sessionIdleMinutes: -1 }, ctx));
    codeOf(() => parseWebConfig([], ctx));
  });
});
