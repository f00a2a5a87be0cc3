import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkSbom, MAX_SBOM_DEPTH } from '../../../catalog/sbom/check-sbom.ts';
import { VmicError } from '../../../errors/index.ts';
import { generateNpmSboms, variant, type NpmSboms } from '../../fixtures/sbom/npm-sbom.ts';

const LIMIT = 16 * 1024 ** 2;
const FIXTURES = path.resolve('test/fixtures/sbom');
let dir: string;
let npm: NpmSboms;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-sbom-'));
  npm = generateNpmSboms(dir);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The refusal's code and message, for a document that must be refused. */
function refusal(bytes: Buffer, limit = LIMIT): { code: string; message: string } {
  try {
    checkSbom(bytes, limit);
  } catch (e) {
    assert.ok(e instanceof VmicError, String(e));
    return { code: e.code, message: e.message };
  }
  assert.fail('the document was accepted');
}

test("npm's own CycloneDX and SPDX 2.3 documents pass, detected from their contents", () => {
  const cdx = checkSbom(fs.readFileSync(npm.cyclonedx), LIMIT);
  assert.deepEqual(cdx.format, {
    spec: 'CycloneDX',
    version: '1.5',
    mediaType: 'application/vnd.cyclonedx+json',
  });
  const spdx = checkSbom(fs.readFileSync(npm.spdx), LIMIT);
  assert.deepEqual(spdx.format, {
    spec: 'SPDX',
    version: '2.3',
    mediaType: 'application/spdx+json',
  });
  // Stored as sent: the bytes are what gets hashed and signed, never a re-serialisation.
  assert.ok(spdx.bytes.equals(fs.readFileSync(npm.spdx)));
});

test('a CycloneDX 1.6 document is checked against the 1.6 schema', () => {
  const ok = variant(npm.cyclonedx, 'v16.cdx.json', (d) => {
    d.specVersion = '1.6';
    d.$schema = 'http://cyclonedx.org/schema/bom-1.6.schema.json';
  });
  assert.equal(checkSbom(fs.readFileSync(ok), LIMIT).format.version, '1.6');
  // "manufacturer" on metadata is new in 1.6; the 1.5 schema does not allow it.
  const bad = variant(npm.cyclonedx, 'v15-manufacturer.cdx.json', (d) => {
    (d.metadata as Record<string, unknown>).manufacturer = { name: 'ACME' };
  });
  const r = refusal(fs.readFileSync(bad));
  assert.equal(r.code, 'MALFORMED');
  assert.match(
    r.message,
    /not valid CycloneDX 1\.5: \/metadata: must NOT have additional properties \(manufacturer\)/,
  );
});

test('a CycloneDX component without a name is refused, naming where', () => {
  const bad = variant(npm.cyclonedx, 'no-name.cdx.json', (d) => {
    delete (d.components as Record<string, unknown>[])[3]!.name;
  });
  const r = refusal(fs.readFileSync(bad));
  assert.equal(r.code, 'MALFORMED');
  assert.equal(
    r.message,
    "the SBOM is not valid CycloneDX 1.5: /components/3: must have required property 'name'",
  );
});

test('an SPDX element with a bad SPDXID, or a document without creators, is refused', () => {
  const badId = variant(npm.spdx, 'bad-id.spdx.json', (d) => {
    (d.packages as Record<string, unknown>[])[1]!.SPDXID = 'SPDXRef-has space';
  });
  const r = refusal(fs.readFileSync(badId));
  assert.equal(r.code, 'MALFORMED');
  assert.match(
    r.message,
    /^the SBOM is not valid SPDX 2\.3: \/packages\/1\/SPDXID: must be SPDXRef-/,
  );
  const noCreators = variant(npm.spdx, 'no-creators.spdx.json', (d) => {
    (d.creationInfo as Record<string, unknown>).creators = [];
  });
  assert.match(
    refusal(fs.readFileSync(noCreators)).message,
    /\/creationInfo\/creators: must be a non-empty array/,
  );
});

test('versions other than SPDX 2.3 and CycloneDX 1.5/1.6 are refused, saying which are accepted', () => {
  // A real tool's document: the example of @cyclonedx/cyclonedx-npm's docs, CycloneDX 1.4.
  const r14 = refusal(
    fs.readFileSync(path.join(FIXTURES, 'cyclonedx-npm-6.0.1-result-example.cdx.json')),
  );
  assert.equal(r14.code, 'MALFORMED');
  assert.equal(
    r14.message,
    'not a supported SBOM: CycloneDX specVersion "1.4" is not supported; accepted: SPDX 2.3 (spdxVersion "SPDX-2.3"), CycloneDX 1.5 or 1.6',
  );
  const v17 = variant(npm.cyclonedx, 'v17.cdx.json', (d) => (d.specVersion = '1.7'));
  assert.match(refusal(fs.readFileSync(v17)).message, /specVersion "1\.7" is not supported/);
  const spdx22 = variant(npm.spdx, 'v22.spdx.json', (d) => (d.spdxVersion = 'SPDX-2.2'));
  assert.match(
    refusal(fs.readFileSync(spdx22)).message,
    /spdxVersion "SPDX-2\.2" is not supported/,
  );
  const other = refusal(Buffer.from(fs.readFileSync('package.json')));
  assert.match(
    other.message,
    /neither spdxVersion \(SPDX\) nor bomFormat \(CycloneDX\) is present/,
  );
});

test('not JSON, not UTF-8, not an object, or nested past the bound: refused as MALFORMED', () => {
  const notJson = refusal(Buffer.from('<bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>'));
  assert.equal(notJson.code, 'MALFORMED');
  assert.match(notJson.message, /^the SBOM is not valid JSON: /);
  assert.match(refusal(Buffer.from([0x7b, 0xff, 0x7d])).message, /not UTF-8/);
  assert.match(refusal(Buffer.from('[1,2]')).message, /not a JSON object/);
  // Nested brackets that would overflow the validator's recursion.
  const deep = `{"bomFormat":"CycloneDX","specVersion":"1.5","x":${'['.repeat(MAX_SBOM_DEPTH)}${']'.repeat(MAX_SBOM_DEPTH)}}`;
  assert.match(refusal(Buffer.from(deep)).message, /nested deeper than 128 levels/);
  const deeper = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  assert.equal(refusal(Buffer.from(deeper)).code, 'MALFORMED');
});

test('a document over the size bound is refused as TOO_LARGE before it is parsed', () => {
  const bytes = fs.readFileSync(npm.cyclonedx);
  const r = refusal(bytes, bytes.length - 1);
  assert.equal(r.code, 'TOO_LARGE');
  assert.equal(r.message, `the SBOM is larger than ${bytes.length - 1} bytes`);
  assert.equal(checkSbom(bytes, bytes.length).format.spec, 'CycloneDX');
});

test('the shipped schema files are the bytes their README names (package, path, SHA-256)', () => {
  const schemas = path.resolve('catalog/sbom/schemas');
  const readme = fs.readFileSync(path.join(schemas, 'README.md'), 'utf8');
  const files = fs.readdirSync(schemas).filter((f) => f !== 'README.md');
  assert.ok(files.includes('LICENSE.cyclonedx-library'));
  for (const f of files) {
    const hex = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(schemas, f)))
      .digest('hex');
    assert.ok(readme.includes(`\`${f}\``) && readme.includes(hex), `${f} ${hex} in README.md`);
  }
});
