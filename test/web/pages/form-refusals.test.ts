import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPagesServer, type PagesServer } from './helpers.ts';

/*
 * A site form with a bad field, posted over HTTP to the real server: 400 with the JSON
 * pointer of the field as `rule` (problem+json for the pages' scripts), the same message
 * on the HTML error page, and nothing done.
 */

let s: PagesServer;
let session: { cookie: string; token: string };

function cookieOf(res: Response): string {
  const c = res.headers.getSetCookie().find((x) => x.startsWith('vmic_session='));
  assert.ok(c, 'a session cookie');
  return c.split(';')[0]!;
}

async function tokenOf(res: Response): Promise<string> {
  const token = /name="_csrf" value="([^"]+)"/.exec(await res.text())?.[1];
  assert.ok(token, 'a CSRF token');
  return token;
}

before(async () => {
  s = await startPagesServer({ publicUrl: 'http://site.test' });
  const login = await fetch(`${s.url}/login`);
  const anonymous = { cookie: cookieOf(login), token: await tokenOf(login) };
  const signedIn = await fetch(`${s.url}/login/dev`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: anonymous.cookie },
    body: new URLSearchParams({ _csrf: anonymous.token, name: 'ada', role: 'admin' }),
  });
  assert.equal(signedIn.status, 303);
  const cookie = cookieOf(signedIn);
  const page = await fetch(`${s.url}/login`, { headers: { cookie } });
  session = { cookie, token: await tokenOf(page) };
});
after(async () => {
  await s.close();
  assert.deepEqual(s.logs, []);
});

function post(path: string, fields: [string, string][], accept: string): Promise<Response> {
  return fetch(`${s.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: session.cookie, accept },
    body: new URLSearchParams([['_csrf', session.token], ...fields]),
  });
}

describe('web admin: a form with a bad field', () => {
  for (const [path, fields, rule, message] of [
    [
      '/site/trust',
      [
        ['pem', 'a'],
        ['pem', 'b'],
      ],
      '/body/pem',
      'pem must be given once',
    ],
    ['/site/subscriptions', [['expectSubject', 'CN=x']], '/body/url', 'Feed URL is required'],
    [
      '/site/approvals',
      [
        ['image', 'alma-9'],
        ['subscription', 'NOT A NAME'],
      ],
      '/body/subscription',
      'subscription name must be 1-64 lowercase letters, digits or -',
    ],
    ['/site/approvals/revoke', [['image', '   ']], '/body/image', 'Image is required'],
  ] as [string, [string, string][], string, string][]) {
    test(`${path}: 400, rule ${rule}`, async () => {
      const json = await post(path, fields, 'application/json');
      assert.equal(json.status, 400);
      const problem = (await json.json()) as Record<string, unknown>;
      assert.equal(problem.code, 'BAD_REQUEST');
      assert.equal(problem.rule, rule);
      assert.equal(problem.detail, message);

      const html = await post(path, fields, 'text/html');
      assert.equal(html.status, 400);
      assert.ok((await html.text()).includes(message), 'the message on the error page');
    });
  }

  test('nothing was stored', async () => {
    const res = await fetch(`${s.url}/site/subscriptions`, { headers: { cookie: session.cookie } });
    assert.equal(res.status, 200);
    assert.doesNotMatch(await res.text(), /CN=x/);
  });
});
