import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { addEndorser } from '../../../catalog/index.ts';
import { vmic } from '../../helpers/cli.ts';
import { opensslIdentity } from '../../helpers/openssl/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { generateNpmSboms, variant } from '../../fixtures/sbom/npm-sbom.ts';

test('vmic image add --sbom and vmic image sbom: attach, refuse, replace, detach', async () => {
  const t = await tempInstance();
  try {
    const id = opensslIdentity(t.dir, { name: 'endorser-cern' });
    await addEndorser(t.inst, {
      name: 'cern',
      title: 'CERN',
      certificatePem: id.certificatePem,
      keyPem: id.keyPem,
      actor: 'test',
    });
    await t.inst.close();
    const npm = generateNpmSboms(t.dir);
    const data = ['--data', t.dir];
    const add = (sbom: string) =>
      vmic(
        ['image', 'add', '--endorser', 'cern', '--url', 'https://images.example/a.qcow2']
          .concat([
            '--sha256',
            crypto.createHash('sha256').update('a').digest('hex'),
            '--size',
            '1',
          ])
          .concat(['--title', 'A', '--identifier', 'alma9', '--sbom', sbom, '--json', ...data]),
      );

    // Refused before the image is stored: nothing registered.
    const bad = variant(npm.spdx, 'cli-bad.spdx.json', (d) => (d.SPDXID = 'DOCUMENT'));
    let r = add(bad);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /the SBOM is not valid SPDX 2\.3: \/SPDXID: must be "SPDXRef-DOCUMENT"/);
    assert.equal(vmic(['image', 'list', ...data]).stdout.trim(), 'no images');

    r = add(npm.cyclonedx);
    assert.equal(r.status, 0, r.stderr);
    const bytes = fs.readFileSync(npm.cyclonedx);
    assert.deepEqual((JSON.parse(r.stdout) as { sbom: unknown }).sbom, {
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      mediaType: 'application/vnd.cyclonedx+json',
      byteSize: bytes.length,
    });

    r = vmic(['image', 'sbom', 'alma9', npm.spdx, '--endorser', 'cern', ...data]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /image cern\/alma9: SBOM SPDX \(JSON\) attached/);

    r = vmic(['image', 'sbom', 'alma9', path.join(t.dir, 'missing.json'), ...data]);
    assert.notEqual(r.status, 0);

    r = vmic(['image', 'sbom', 'alma9', '--detach', ...data]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /image cern\/alma9: no SBOM/);

    r = vmic(['image', 'sbom', 'alma9', npm.spdx, '--detach', ...data]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: vmic image sbom ID \(FILE \| --detach\) \[--endorser NAME\]/);
  } finally {
    await t.cleanup();
  }
});
