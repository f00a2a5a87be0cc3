import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DataFactory } from 'n3';
import { NQuads } from 'rdf-canonize';
import { isVmicError } from '../../../errors/index.ts';
import {
  canonicalNQuads,
  catalogToQuads,
  parseCanonicalCatalog,
} from '../../../catalog/rdf/index.ts';
import {
  escapeCanonicalLiteral,
  readExactCanonical,
  readImportedCatalog,
} from '../../../catalog/rdf/canonical-check.ts';
import { makeCatalog } from './fixtures.ts';

// Issue 14 part 4a: imports read canonical N-Quads without the general parser
// (catalog/rdf/canonical-check.ts). It may only say yes where the reference
// (parseCanonicalCatalog) does, with the same document; everything else goes to the
// reference, so every verdict, code and rule stays the reference's.

type Outcome = { doc: unknown } | { code: string; rule: string | undefined };

async function outcome(read: (b: Uint8Array) => Promise<unknown>, bytes: Uint8Array) {
  try {
    return { doc: await read(bytes) } as Outcome;
  } catch (e) {
    assert.ok(isVmicError(e), String(e));
    return { code: e.code, rule: e.rule } as Outcome;
  }
}

/** Same outcome from both readers; whether the fast path alone accepted the bytes. */
async function compare(text: string | Buffer): Promise<{ fast: boolean; outcome: Outcome }> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const reference = await outcome(parseCanonicalCatalog, bytes);
  assert.deepEqual(await outcome(readImportedCatalog, bytes), reference);
  let fast = false;
  try {
    fast = readExactCanonical(bytes) !== undefined;
  } catch {
    fast = false;
  }
  return { fast, outcome: reference };
}

describe('the import fast path agrees with the reference reader', () => {
  let nq: string;
  before(async () => {
    nq = await canonicalNQuads(catalogToQuads(makeCatalog(4)));
  });
  const lines = (): string[] => nq.split('\n').slice(0, -1);

  it('escapes literals exactly as rdf-canonize does', () => {
    const samples = [...Array.from({ length: 0x80 }, (_, c) => String.fromCharCode(c))];
    samples.push('Ü', '\u2028', '\uffff', '𝄞', 'a"b\\c\nd\te\u0001\u007f', '\\u0041');
    const s = DataFactory.namedNode('http://example.org/s');
    const p = DataFactory.namedNode('http://example.org/p');
    for (const value of samples) {
      const line = NQuads.serializeQuad(DataFactory.quad(s, p, DataFactory.literal(value)));
      const serialised = line.slice(line.indexOf('"') + 1, line.lastIndexOf('"'));
      assert.equal(escapeCanonicalLiteral(value), serialised, JSON.stringify(value));
    }
  });

  it('reads canonical catalogs (escapes, non-ASCII, supplementary characters) itself', async () => {
    assert.match(nq, /\\"/);
    assert.match(nq, /\\n/);
    assert.match(nq, /𝄞/);
    const { fast, outcome: o } = await compare(nq);
    assert.equal(fast, true);
    assert.ok('doc' in o);
  });

  it('leaves every other form to the reference, with its verdict', async () => {
    const l = lines();
    const type = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>';
    const variants: [string, string | Buffer][] = [
      ['reordered', [...l].reverse().join('\n') + '\n'],
      ['double space', nq.replace(' .\n', '  .\n')],
      ['tab', nq.replace('> <', '>\t<')],
      ['blank line', nq + '\n'],
      ['comment', '# comment\n' + nq],
      ['CRLF', nq.replaceAll('\n', '\r\n')],
      ['duplicate', nq + l[0] + '\n'],
      ['no final newline', nq.slice(0, -1)],
      ['needless escape', nq.replace('Ü', '\\u00DC')],
      ['lowercase escape', nq.replace('\\n', '\\u000a')],
      ['apostrophe escape', nq.replace('cloud-init', "cloud\\'init")],
      ['stray backslash', nq.replace('cloud-init', 'cloud\\qinit')],
      ['raw tab', nq.replace('cloud-init', 'cloud\tinit')],
      [
        'xsd:string',
        nq.replace(/"([^"]*)" \.\n/, '"$1"^^<http://www.w3.org/2001/XMLSchema#string> .\n'),
      ],
      ['language tag', nq.replace(/"([^"]*)" \.\n/, '"$1"@en .\n')],
      ['named graph', nq.replace(/> \.\n/, '> <http://example.org/g> .\n')],
      ['blank node', nq + '_:b0 <http://example.org/p> "x" .\n'],
      ['blank object', nq.replace(/<([^>]*)> \.\n/, '_:b1 .\n')],
      [
        'escaped IRI',
        nq.replace('https://endorser.example/blobs', 'https://endorser\\u002Eexample/blobs'),
      ],
      ['relative IRI', nq.replace(/^<[^>]*>/, '<relative>')],
      ['literal subject', nq.replace(/^<[^>]*>/, '"s"')],
      ['syntax', nq.replace(' .\n', ' \n')],
      ['BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(nq)])],
      ['IRI with space', nq.replace('/images/', '/ima ges/')],
    ];
    for (const [name, variant] of variants) {
      assert.notEqual(variant.toString(), nq, name);
      const { fast } = await compare(variant);
      assert.equal(fast, false, name);
    }
    // Canonical, valid, and meaningless to the reader: read here, dropped by the index.
    const extra = await compare(nq + `<zz:x> ${type} "Catalog" .\n`);
    assert.equal(extra.fast, true);
    assert.deepEqual(extra.outcome, (await compare(nq)).outcome);
  });

  it('orders lines by UTF-16 code units, as the reference does', async () => {
    const p = '<http://example.org/p> "x" .\n';
    // U+E000 sorts before U+1F600 by code point, after it by UTF-16 code unit.
    const a = `<http://example.org/\u{E000}> ${p}`;
    const b = `<http://example.org/\u{1F600}> ${p}`;
    const sorted = [...lines().map((x) => x + '\n'), a, b].sort();
    assert.ok(sorted.indexOf(b) < sorted.indexOf(a));
    const accepted = await compare(sorted.join(''));
    assert.equal(accepted.fast, true);
    assert.ok('doc' in accepted.outcome);
    const swapped = sorted.map((x) => (x === a ? b : x === b ? a : x)).join('');
    const refused = await compare(swapped);
    assert.deepEqual(refused.outcome, { code: 'NOT_CANONICAL', rule: 'RDFC-1.0' });
  });

  it('refuses what the reader refuses, with the same rule', async () => {
    const broken = [
      nq.replace('"2361393152"', '"02361393152"'),
      nq.replace(/<http:\/\/www.w3.org\/ns\/dcat#Catalog>/, '<http://www.w3.org/ns/dcat#Katalog>'),
      nq.replace(/"42"/, '"0"'),
    ];
    for (const text of broken) {
      const { outcome: o } = await compare(text);
      assert.ok('code' in o, text.slice(0, 80));
    }
  });
});
