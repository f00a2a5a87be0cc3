import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPagesServer, type PagesServer } from './helpers.ts';

let s: PagesServer;
let session: { cookie: string; token: string };
const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .find((x) => x.startsWith('vmic_session='))!
    .split(';')[0]!;
const tokenOf = async (res: Response) => /name="_csrf" value="([^"]+)"/.exec(await res.text())![1]!;

before(async () => {
  s = await startPagesServer({ endorsers: ['cern'] });
  const login = await fetch(`${s.url}/login`);
  const signedIn = await fetch(`${s.url}/login/dev`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookieOf(login) },
    body: new URLSearchParams({ _csrf: await tokenOf(login), name: 'ada', role: 'admin' }),
  });
  const cookie = cookieOf(signedIn);
  session = {
    cookie,
    token: await tokenOf(await fetch(`${s.url}/login`, { headers: { cookie } })),
  };
});
after(async () => {
  await s.close();
  assert.deepEqual(s.logs, []);
});

test('endorser forms: 400 with the pointer', async () => {
  for (const [path, fields, rule, detail] of [
    [
      '/endorsers/cern/publish',
      [['expiresInDays', '0']],
      '/body/expiresInDays',
      'Expiry in days must be a whole number from 1 to 366',
    ],
    [
      '/endorsers/cern/images/register',
      [
        ['url', 'http://x/i'],
        ['sha256', 'a'],
        ['size', '1'],
        ['size', '2'],
      ],
      '/body/size',
      'size must be given once',
    ],
    [
      '/endorsers/cern/images/register',
      [
        ['url', 'http://x/i'],
        ['size', '1'],
      ],
      '/body/sha256',
      'SHA-256 is required',
    ],
  ] as [string, [string, string][], string, string][]) {
    const res = await fetch(`${s.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: session.cookie, accept: 'application/json' },
      body: new URLSearchParams([['_csrf', session.token], ...fields]),
    });
    assert.equal(res.status, 400, path);
    const p = (await res.json()) as Record<string, unknown>;
    assert.equal(p.rule, rule);
    assert.equal(p.detail, detail);
  }
});
