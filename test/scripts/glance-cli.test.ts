import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { startVmic, vmic } from '../helpers/cli.ts';
import { glance, glanceFixtures, glanceUrl } from '../catalog/glance/helpers/glance-site.ts';

/* `vmic glance sync` and `vmic serve --glance-sync-every` as an operator runs them. */
const fx = glanceFixtures();

test('glance sync: --dry-run writes nothing; --json reports; a second run is unchanged; exit 0', async () => {
  const site = await fx.site();
  try {
    const args = ['glance', 'sync', '--data', site.dir, '--public-url', site.publicUrl];
    const dry = vmic([...args, '--glance-url', glanceUrl(), '--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /plan for .*: 1 action\(s\)/);
    assert.match(dry.stdout, /would create fx\/img /);
    assert.match(dry.stdout, /skipped fx\/floppy: disk format "floppy" has no Glance equivalent/);
    assert.deepEqual(await glance.list(site.publicUrl), [], 'a dry run creates nothing');

    const run = vmic([...args, '--glance-url', glanceUrl(), '--json']);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      actions: { action: string; result: string; glanceId: string }[];
    };
    assert.deepEqual(
      report.actions.map((a) => `${a.action} ${a.result}`),
      ['create done'],
    );
    assert.equal((await glance.list(site.publicUrl))[0]?.id, report.actions[0]!.glanceId);

    // The same Glance named through clouds.yaml (auth_type none), as OpenStack tools name it.
    const clouds = path.join(site.dir, 'clouds.yaml');
    fs.writeFileSync(
      clouds,
      `clouds:\n  test:\n    auth_type: none\n    image_endpoint_override: ${glanceUrl()}\n`,
    );
    const again = vmic([...args, '--os-cloud', 'test'], { OS_CLIENT_CONFIG_FILE: clouds });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /synced .*: 0 action\(s\), 1 image\(s\) unchanged/);
  } finally {
    await site.cleanup();
  }
});

test('glance sync: usage and configuration errors exit 2 with what to do', async () => {
  const site = await fx.site();
  try {
    const base = ['glance', 'sync', '--data', site.dir];
    const none = vmic(base, { OS_CLOUD: '' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /--os-cloud NAME \(or OS_CLOUD\), or --glance-url URL/);
    const both = vmic([...base, '--glance-url', glanceUrl(), '--os-cloud', 'x']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /either --glance-url or --os-cloud/);
    const file = vmic([...base, '--glance-url', 'file:///etc/passwd']);
    assert.equal(file.status, 2);
    assert.match(file.stderr, /only http and https/);
    const missing = vmic([...base, '--os-cloud', 'prod'], {
      OS_CLIENT_CONFIG_FILE: path.join(site.dir, 'none.yaml'),
    });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /CONFIG/);
    const sub = vmic(['glance', 'push']);
    assert.equal(sub.status, 2);
    assert.match(sub.stderr, /usage: vmic glance sync/);
    const unreachable = vmic([...base, '--glance-url', 'http://127.0.0.1:9']);
    assert.equal(unreachable.status, 1);
    assert.match(unreachable.stderr, /GLANCE_FAILED/);
  } finally {
    await site.cleanup();
  }
});

test('serve --glance-sync-every runs the sync itself', async () => {
  const site = await fx.site();
  const port = await freePort();
  const server = await startVmic([
    'serve',
    '--data',
    site.dir,
    '--port',
    String(port),
    '--public-url',
    site.publicUrl,
    '--glance-sync-every',
    '1h',
    '--glance-url',
    glanceUrl(),
  ]);
  try {
    // The first run starts at once; wait for its upload, bounded (not a timing assertion).
    let listed: Awaited<ReturnType<typeof glance.list>> = [];
    for (let i = 0; i < 120 && !listed.some((x) => x.vmic_sha512); i++) {
      await new Promise((r) => setTimeout(r, 500));
      listed = await glance.list(site.publicUrl);
    }
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.vmic_sha256, site.bytes.img.sha256);
    assert.equal(listed[0]!.status, 'active');

    // The serving process counts what its schedule did.
    const token = vmic(['token', 'create', '--data', site.dir, '--role', 'metrics']);
    assert.equal(token.status, 0, token.stderr);
    let metrics = '';
    for (let i = 0; i < 120 && !/vmic_glance_sync_runs_total\{/.test(metrics); i++) {
      const r = await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${token.stdout.trim()}` },
      });
      assert.equal(r.status, 200);
      metrics = await r.text();
      if (!/vmic_glance_sync_runs_total\{/.test(metrics))
        await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(metrics, /^vmic_glance_sync_actions_total\{action="create",result="done"\} 1$/m);
    assert.match(metrics, /^vmic_glance_sync_runs_total\{result="ok"\} 1$/m);
  } finally {
    await server.stop();
    await site.cleanup();
  }
  const bad = vmic(['serve', '--data', site.dir, '--glance-url', glanceUrl()]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /need --glance-sync-every/);
});
