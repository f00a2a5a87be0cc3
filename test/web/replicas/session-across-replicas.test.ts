import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openInstance, type Instance } from '../../../catalog/index.ts';
import { startServer } from '../../../server/index.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

/** A replica: the real server with the demo sign-in, on an instance of the shared database. */
async function replica(inst: Instance, logs: string[]) {
  return startServer(
    inst,
    { host: '127.0.0.1', port: 0 },
    { log: (l) => logs.push(l), web: loadWebConfig(inst, { demoMode: true, env: {} }) },
  );
}

function cookieOf(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('vmic_session='));
  assert.ok(set, 'a session cookie is set');
  return set.split(';')[0]!;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  redirect: 'manual' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

test('a session and its CSRF token made on one replica work on another', async () => {
  const t = await tempInstance({ publicUrl: 'http://vmic.test' });
  const second = await openInstance(t.inst.config, { env: {} });
  const logs: string[] = [];
  const one = await replica(t.inst, logs);
  const two = await replica(second, logs);
  try {
    // Sign in through replica one (the CSRF token of its login form included).
    const login = await fetch(`${one.url}/login`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1];
    assert.ok(csrf);
    const signedIn = await fetch(`${one.url}/login/dev`, {
      ...form({ name: 'alice', role: 'admin', next: '/admin', _csrf: csrf }),
      headers: { ...form({}).headers, cookie: cookieOf(login) },
    });
    assert.equal(signedIn.status, 303, await signedIn.text());
    const cookie = cookieOf(signedIn);

    // Replica two knows the session: the signing secret comes from the shared master key
    // and the session row from the shared database.
    const page = await fetch(`${two.url}/admin`, { redirect: 'manual', headers: { cookie } });
    assert.equal(page.status, 200);
    const token = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1];
    assert.ok(token, 'the page carries the session CSRF token');
    // A forged form (no token) is refused on replica two; the session's token is accepted.
    const forged = await fetch(`${two.url}/logout`, {
      ...form({}),
      headers: { ...form({}).headers, cookie },
    });
    assert.equal(forged.status, 403);
    const out = await fetch(`${two.url}/logout`, {
      ...form({ _csrf: token }),
      headers: { ...form({}).headers, cookie },
    });
    assert.equal(out.status, 303);
    // Signed out on replica two is signed out on replica one.
    const after = await fetch(`${one.url}/admin`, { redirect: 'manual', headers: { cookie } });
    assert.notEqual(after.status, 200);
    assert.deepEqual(
      logs.filter((l) => /\b500\b/.test(l)),
      [],
    );
  } finally {
    await two.close();
    await one.close();
    await second.close();
    await t.cleanup();
  }
});
