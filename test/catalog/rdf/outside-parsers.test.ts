import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  canonicalNQuads,
  catalogToQuads,
  parseNQuads,
  toJsonLd,
  toTurtle,
} from '../../../catalog/rdf/index.ts';
import { makeCatalog } from './fixtures.ts';

const run = promisify(execFile);
const MAX_BUFFER = 64 * 1024 * 1024;

// rdflib normalises literals by default (hexBinary to lowercase, 'Z' to '+00:00'); the
// comparison is about the graph the file states, so keep lexical forms as written.
const RDFLIB_TO_NT = `
import sys, rdflib
rdflib.NORMALIZE_LITERALS = False
g = rdflib.Graph()
g.parse(sys.argv[1], format=sys.argv[2])
sys.stdout.write(g.serialize(format="nt"))
sys.stderr.write(str(len(g)))
`;

/** Outside parsers (docs/design.md §9): what we publish is read identically by raptor and rdflib. */
describe('catalog files read by outside RDF parsers', () => {
  let dir: string;
  let nq: string;
  let quadCount: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vmic-rdf-'));
    const quads = catalogToQuads(makeCatalog(20));
    quadCount = quads.length;
    nq = await canonicalNQuads(quads);
    await writeFile(join(dir, 'catalog.nq'), nq, 'utf8');
    await writeFile(join(dir, 'catalog.ttl'), await toTurtle(quads), 'utf8');
    await writeFile(join(dir, 'catalog.jsonld'), await toJsonLd(quads), 'utf8');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const canonicalOf = async (text: string): Promise<string> => canonicalNQuads(parseNQuads(text));
  const rapperCount = (stderr: string): number =>
    Number(/returned (\d+) (?:triples|statements)/.exec(stderr)?.[1]);

  it('rapper parses catalog.ttl to the same graph', async () => {
    const { stdout, stderr } = await run(
      'rapper',
      ['-i', 'turtle', '-o', 'ntriples', join(dir, 'catalog.ttl')],
      {
        maxBuffer: MAX_BUFFER,
      },
    );
    assert.equal(rapperCount(stderr), quadCount);
    assert.equal(await canonicalOf(stdout), nq);
  });

  it('rapper parses catalog.nq to the same graph', async () => {
    const { stdout, stderr } = await run(
      'rapper',
      ['-i', 'nquads', '-o', 'nquads', join(dir, 'catalog.nq')],
      {
        maxBuffer: MAX_BUFFER,
      },
    );
    assert.equal(rapperCount(stderr), quadCount);
    assert.equal(await canonicalOf(stdout), nq);
  });

  for (const [file, format] of [
    ['catalog.jsonld', 'json-ld'],
    ['catalog.ttl', 'turtle'],
    ['catalog.nq', 'nquads'],
  ] as const) {
    it(`rdflib parses ${file} to the same graph`, async () => {
      const { stdout, stderr } = await run(
        '/usr/bin/python3',
        ['-c', RDFLIB_TO_NT, join(dir, file), format],
        {
          maxBuffer: MAX_BUFFER,
        },
      );
      assert.equal(Number(stderr.trim().split('\n').pop()), quadCount);
      assert.equal(await canonicalOf(stdout), nq);
    });
  }
});
