import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { addEndorser, addImageFromStream, publishCatalog } from '../../catalog/index.ts';
import { setEndorserClaims, setImageClaims } from '../../catalog/policy-claims.ts';
import { getCatalogVersionRefs, readVersionFile } from '../../catalog/catalog-versions.ts';
import { opensslIdentity, opensslOk } from '../helpers/openssl/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

/*
 * The HEPiX image.list a publish writes carries the endorser's policy claims too (issue
 * 19): the catalog-level claim on `hv:imagelist`, an image's own on its `hv:image`, so
 * that a site subscribed to the list with --require-policy sees what the RDF catalog says.
 * Read back with stock `openssl smime`, as vmcatcher reads it.
 */
const EGI = 'https://documents.egi.eu/document/771';
const WLCG = 'https://wlcg.example/policy/vm-images#v2';

test('the published image.list states the catalog and image claims (openssl smime reads them)', async () => {
  const t = await tempInstance({ publicUrl: 'https://endorser.example' });
  try {
    const id = opensslIdentity(t.dir, { name: 'cern' });
    await addEndorser(t.inst, {
      name: 'cern',
      title: 'CERN',
      certificatePem: id.certificatePem,
      keyPem: id.keyPem,
      actor: 'test',
    });
    // Uploaded, so its SHA-512 is known: the list format signs images by SHA-512.
    await addImageFromStream(t.inst, {
      endorser: 'cern',
      identifier: 'alma9',
      metadata: { title: 'AlmaLinux 9' },
      actor: 'test',
      source: Readable.from([Buffer.alloc(4096, 7)]),
    });
    await setEndorserClaims(t.inst, { endorser: 'cern', conformsTo: [EGI], actor: 'test' });
    await setImageClaims(t.inst, {
      endorser: 'cern',
      identifier: 'alma9',
      conformsTo: [WLCG],
      actor: 'test',
    });
    await publishCatalog(t.inst, { endorser: 'cern', actor: 'test' });
    const version = await getCatalogVersionRefs(t.inst, 'cern');
    const ref = await version.file('image_list');
    assert.ok(ref, 'the version has an image.list');
    const signed = path.join(t.dir, 'image.list');
    fs.writeFileSync(signed, await readVersionFile(t.inst, ref));
    const content = opensslOk(['smime', '-verify', '-noverify', '-in', signed]);
    const list = (
      JSON.parse(content.toString('utf8')) as { 'hv:imagelist': Record<string, unknown> }
    )['hv:imagelist'];
    assert.deepEqual(list['dcterms:conformsTo'], [EGI]);
    const images = list['hv:images'] as { 'hv:image': Record<string, unknown> }[];
    assert.equal(images.length, 1);
    assert.deepEqual(images[0]?.['hv:image']['dcterms:conformsTo'], [WLCG]);
  } finally {
    await t.cleanup();
  }
});
