import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { vmic } from '../helpers/cli.ts';
import { shadowedSite } from '../catalog/site/helpers/shadow-site.ts';

// Issue 10 item 3 through the real command line: `vmic check`, `vmic migrate` and
// `vmic unapprove` on a site where two subscriptions list the identifier alma9.
let s: Awaited<ReturnType<typeof shadowedSite>>;

before(async () => {
  s = await shadowedSite();
});
after(() => s.cleanup());

test('vmic check refuses a shadowed identifier, naming the candidates; --subscription picks one', () => {
  const r = vmic(['check', 'alma9', '--data', s.dir]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /CONFLICT \[image\.ambiguous\]/);
  assert.ok(r.stderr.includes(`alpha/alma9 (sha256:${s.x.sha256}`), r.stderr);
  assert.ok(r.stderr.includes(`beta/alma9 (sha256:${s.y.sha256}`), r.stderr);

  const json = vmic(['check', 'alma9', '--data', s.dir, '--json']);
  assert.equal(json.status, 1);
  assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'CONFLICT');

  const picked = vmic(['check', 'alma9', '--subscription', 'beta', '--data', s.dir, '--json']);
  assert.equal(picked.status, 3, picked.stderr);
  const d = JSON.parse(picked.stdout) as { subscription: string; sha256: string };
  assert.equal(d.subscription, 'beta');
  assert.equal(d.sha256, s.y.sha256);
});

test('vmic migrate refuses a shadowed identifier before anything else', () => {
  const r = vmic(['migrate', 'alma9', '--to', 'nowhere', '--data', s.dir]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /CONFLICT \[image\.ambiguous\]/);
});

test('vmic unapprove by the other name of approved bytes makes check say NOT_APPROVED', () => {
  const ok = (args: string[]) => {
    const r = vmic([...args, '--data', s.dir]);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  ok(['approve', 'alma9', '--subscription', 'alpha']);
  assert.equal(vmic(['check', 'alma9-latest', '--data', s.dir]).status, 0);
  const un = ok(['unapprove', 'alma9-latest']);
  assert.match(un.stdout, /1 approval\(s\) revoked/);
  const after = vmic(['check', 'alma9', '--subscription', 'alpha', '--data', s.dir, '--json']);
  assert.equal(after.status, 3);
  assert.deepEqual(
    (JSON.parse(after.stdout) as { reasons: { code: string }[] }).reasons.map((x) => x.code),
    ['NOT_APPROVED'],
  );

  ok(['approve', '--endorser', 'alpha']);
  const still = ok(['unapprove', 'alma9-latest']);
  assert.match(still.stdout, /still approved: subscription alpha has an endorser approval/);
});
