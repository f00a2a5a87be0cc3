/**
 * A feed signed by the pinned endorser can still be hostile (a compromised or careless
 * endorser). Refusing it must cost little: the peak memory of the import is read from
 * /proc of a child process in this test's tree that runs the import alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import {
  opensslCmsSignFile,
  opensslEndorser,
  opensslRootCa,
  type OpensslCert,
} from '../../helpers/openssl/index.ts';

const MiB = 1024 * 1024;
const run = promisify(execFile);

const TYPE = '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>';
const TITLE = '<http://purl.org/dc/terms/title>';

/** Sorted N-Quads lines of `count` untyped nodes, written in blocks to a file (no large strings). */
function writeLines(file: string, head: string[], count: number, lineOf: (i: number) => string) {
  const fd = fs.openSync(file, 'w');
  for (const line of head) fs.writeSync(fd, line);
  for (let i = 0; i < count; i += 10_000) {
    let block = '';
    for (let j = i; j < Math.min(count, i + 10_000); j++) block += lineOf(j);
    fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
}

/** `openssl cms -sign`, attached, DER, straight to a file: the endorser's own tool. */
function sign(dir: string, content: string, signer: OpensslCert): string {
  return opensslCmsSignFile(content, signer, path.join(dir, `${path.basename(content)}.p7m`));
}

describe('refusing a hostile signed feed costs a bounded amount of memory', () => {
  let dir: string;
  let ca: OpensslCert;
  let endorser: OpensslCert;
  let server: http.Server;
  let base: string;
  let served = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-import-memory-'));
    ca = opensslRootCa(dir, 'root', '/C=CH/O=Hostile Test/CN=Hostile Test Root');
    endorser = opensslEndorser(dir, 'endorser', '/C=CH/O=Hostile Test/CN=Hostile Endorser', ca);
    server = http.createServer((_req, res) => {
      const size = fs.statSync(served).size;
      res.writeHead(200, { 'content-type': 'application/pkcs7-mime', 'content-length': size });
      fs.createReadStream(served).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feeds/hostile/`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function importPeak(p7m: string) {
    served = p7m;
    const data = fs.mkdtempSync(path.join(dir, 'site-'));
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'helpers', 'import-peak.ts'),
        data,
        base,
        ca.certFile,
        endorser.subject,
      ],
      { maxBuffer: MiB },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      status: string;
      code: string;
      rule?: string;
      beforeKiB: number;
      peakKiB: number;
    };
    const feedMiB = fs.statSync(p7m).size / MiB;
    const growthMiB = (result.peakKiB - result.beforeKiB) / 1024;
    console.log(
      `import of a ${feedMiB.toFixed(1)} MiB hostile feed: ${result.code} (${result.rule}), ` +
        `peak RSS ${(result.peakKiB / 1024).toFixed(0)} MiB, growth ${growthMiB.toFixed(0)} MiB`,
    );
    return { ...result, feedMiB, growthMiB };
  }

  test('25 MB of a million statements and no dcat:Catalog: MALFORMED from the byte scan', async () => {
    const content = path.join(dir, 'no-catalog.nq');
    writeLines(content, [], 330_000, (i) => `<https://e.example/s${1e9 + i}> ${TITLE} "t${i}" .\n`);
    const r = await importPeak(sign(dir, content, endorser));
    assert.ok(r.feedMiB > 24, `feed is ${r.feedMiB} MiB`);
    assert.equal(r.status, 'failed');
    assert.equal(r.code, 'MALFORMED');
    assert.equal(r.rule, 'dcat:Catalog');
    assert.ok(r.growthMiB < 6 * r.feedMiB, `import grew by ${r.growthMiB} MiB`);
  });

  test('a 50 MB title is refused as TOO_LARGE, not stored', async () => {
    const content = path.join(dir, 'huge-title.nq');
    const catalog = `<https://e.example/c> ${TYPE} <http://www.w3.org/ns/dcat#Catalog> .\n`;
    const title = `<https://e.example/c> ${TITLE} "${'x'.repeat(50 * 1000 * 1000)}" .\n`;
    fs.writeFileSync(content, [catalog, title].sort().join(''));
    const r = await importPeak(sign(dir, content, endorser));
    assert.equal(r.code, 'TOO_LARGE');
    assert.equal(r.rule, 'catalog.line');
    assert.ok(r.growthMiB < 6 * r.feedMiB, `import grew by ${r.growthMiB} MiB`);
  });

  test('64 MB that passes the byte scan (a catalog and many datasets) peaks under 512 MiB', async () => {
    const content = path.join(dir, 'many-nodes.nq');
    const catalog = `<https://e.example/c> ${TYPE} <http://www.w3.org/ns/dcat#Catalog> .\n`;
    const datasets = 14_000;
    const lines: string[] = [catalog];
    for (let i = 0; i < datasets; i++)
      lines.push(`<https://e.example/d${1e9 + i}> ${TYPE} <http://www.w3.org/ns/dcat#Dataset> .\n`);
    // As many untyped statements as 64 per mentioned dataset allows, up to the feed limit.
    writeLines(
      content,
      lines.sort(),
      790_000,
      (i) => `<https://e.example/s${1e9 + i}> ${TITLE} "t${i}" .\n`,
    );
    const r = await importPeak(sign(dir, content, endorser));
    assert.ok(r.feedMiB > 59 && r.feedMiB < 64, `feed is ${r.feedMiB} MiB`);
    assert.equal(r.status, 'failed');
    assert.equal(r.code, 'MALFORMED');
    assert.ok(r.peakKiB / 1024 < 512, `peak RSS ${r.peakKiB / 1024} MiB`);
  });
});
