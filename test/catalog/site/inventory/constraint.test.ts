import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConstraint, satisfies } from '../../../../catalog/site/inventory/constraint.ts';
import { compareGenericVersions } from '../../../../catalog/site/inventory/generic-version.ts';
import {
  matchPackage,
  parsePackageSpec,
  specText,
} from '../../../../catalog/site/inventory/package-spec.ts';

const deb = '3.0.11-1~deb12u2';

test('constraints: exact, wildcard and ranges under Debian ordering', () => {
  const yes = (c: string, v = deb) =>
    assert.ok(satisfies('deb', v, parseConstraint(c)), `${v} ${c}`);
  const no = (c: string, v = deb) =>
    assert.ok(!satisfies('deb', v, parseConstraint(c)), `${v} not ${c}`);
  yes('3.0.11'); // the upstream version names every revision of it
  yes('3.0.11-1~deb12u2');
  no('3.0.11-1');
  yes('3.0.x');
  yes('3.0.*');
  yes('3.x');
  no('3.1.x');
  no('3.0.1.x');
  yes('<3.0.13');
  yes('>=3.0.0,<3.0.13');
  no('>=3.0.0,<3.0.11'); // 3.0.11-1~deb12u2 is not older than 3.0.11
  yes('<3.0.11-1');
  no('>=3.0.13');
  yes('!=3.0.13');
  yes('*');
});

test('constraints: npm uses semver, others the generic order', () => {
  assert.ok(satisfies('npm', '7.6.3', parseConstraint('>=7.0.0,<8')));
  assert.ok(!satisfies('npm', '7.6.3', parseConstraint('<7.5.2')));
  assert.ok(satisfies('npm', '1.0.0-beta.2', parseConstraint('<1.0.0')));
  assert.equal(compareGenericVersions('1.10', '1.9'), 1);
  assert.equal(compareGenericVersions('1.2', '1.2.1'), -1);
  assert.equal(compareGenericVersions('2.0', '2.0'), 0);
  assert.throws(() => parseConstraint('<'), /expected/);
  assert.throws(() => parseConstraint('1.0 ; rm -rf'), /not a version/);
});

test('package specs: bare names, purls, scopes; matching by type and namespace', () => {
  const s = parsePackageSpec('pkg:deb/debian/openssl@<3.0.13');
  assert.deepEqual(
    { ...s, constraint: undefined },
    {
      type: 'deb',
      namespace: 'debian',
      nameKey: 'openssl',
      constraint: undefined,
    },
  );
  assert.equal(specText(s), 'pkg:deb/debian/openssl@<3.0.13');
  assert.equal(parsePackageSpec('openssl@3.0.x').type, undefined);
  const scoped = parsePackageSpec('pkg:npm/@sinclair/typebox@>=0.34.0');
  assert.equal(scoped.namespace, '@sinclair');
  assert.equal(scoped.nameKey, 'typebox');
  assert.equal(parsePackageSpec('@sinclair/typebox').nameKey, 'typebox');

  const pkg = {
    purl: `pkg:deb/debian/openssl@${deb}?arch=amd64`,
    type: 'deb',
    namespace: 'debian',
    name: 'openssl',
    version: deb,
  };
  assert.equal(matchPackage(s, pkg), true);
  assert.equal(matchPackage(parsePackageSpec('pkg:rpm/fedora/openssl'), pkg), false);
  assert.equal(matchPackage(parsePackageSpec('pkg:deb/ubuntu/openssl'), pkg), false);
  assert.equal(matchPackage(parsePackageSpec('pkg:deb/openssl'), pkg), true); // no namespace: any
  // No purl: matched by name (an unknown type must not let a denied package through).
  const bare = { purl: null, type: null, namespace: null, name: 'OpenSSL', version: null };
  assert.equal(matchPackage(s, bare), undefined);
  assert.equal(matchPackage(parsePackageSpec('openssl'), bare), true);
  assert.throws(() => parsePackageSpec('pkg:deb/debian/openssl?arch=amd64'), /qualifiers/);
  assert.throws(() => parsePackageSpec('pkg:'), /package URL/);
});
