import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startVmic, VMIC_BIN } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { opensslCmsVerify } from '../helpers/openssl/index.ts';
import { tool } from '../helpers/outside-tools.ts';
import { canonicalNQuads, parseNQuads } from '../../catalog/rdf/index.ts';

// The README's first command runs `vmic demo`; this test runs the same command on a fresh
// data directory and audits what it serves with stock tools only.
let dir: string;
let server: Awaited<ReturnType<typeof startVmic>>;
let anchors: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-demo-'));
  const port = await freePort();
  server = await startVmic(['demo', '--data', path.join(dir, 'data'), '--port', String(port)]);
  anchors = path.join(dir, 'data', 'demo-pki', 'anchors.pem');
});

after(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function download(url: string, file: string): Promise<Buffer> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  const body = Buffer.from(await res.arrayBuffer());
  fs.writeFileSync(file, body);
  return body;
}

for (const endorser of ['demo-rsa', 'demo-ecdsa']) {
  test(`openssl verifies the ${endorser} demo feed, and one flipped byte makes it fail`, async () => {
    const base = `${server.url}/feeds/${endorser}`;
    const p7m = path.join(dir, `${endorser}.p7m`);
    const nq = path.join(dir, `${endorser}.nq`);
    const p7s = path.join(dir, `${endorser}.p7s`);
    const signed = await download(`${base}/catalog.p7m`, p7m);
    const content = await download(`${base}/catalog.nq`, nq);
    await download(`${base}/catalog.p7s`, p7s);

    const attached = opensslCmsVerify(p7m, anchors);
    assert.ok(attached.ok, attached.stderr);
    assert.equal(attached.stdout.toString('utf8'), content.toString('utf8'));
    const detached = opensslCmsVerify(p7s, anchors, nq);
    assert.ok(detached.ok, detached.stderr);

    // Flip one byte of the signed content inside the attached form.
    const at = signed.indexOf(content.subarray(0, 64));
    assert.ok(at > 0);
    const tamperedContent = Buffer.from(signed);
    tamperedContent[at + 10]! ^= 0x01;
    fs.writeFileSync(p7m + '.content', tamperedContent);
    assert.equal(opensslCmsVerify(p7m + '.content', anchors).ok, false);

    // Flip one byte of the signature value (the last bytes of the DER are the signature).
    const tamperedSig = Buffer.from(signed);
    tamperedSig[tamperedSig.length - 5]! ^= 0x01;
    fs.writeFileSync(p7m + '.sig', tamperedSig);
    assert.equal(opensslCmsVerify(p7m + '.sig', anchors).ok, false);

    // The detached signature over a changed catalog.nq fails too.
    const changed = Buffer.from(content);
    changed[20]! ^= 0x01;
    fs.writeFileSync(nq + '.changed', changed);
    assert.equal(opensslCmsVerify(p7s, anchors, nq + '.changed').ok, false);
  });
}

test('rapper and rdflib read the demo feed, and every serialisation canonicalises to catalog.nq', async () => {
  const base = `${server.url}/feeds/demo-rsa`;
  const nq = (await download(`${base}/catalog.nq`, path.join(dir, 'c.nq'))).toString('utf8');
  await download(`${base}/catalog.ttl`, path.join(dir, 'c.ttl'));
  await download(`${base}/catalog.jsonld`, path.join(dir, 'c.jsonld'));

  const fromTurtle = await tool('rapper', [
    '-q',
    '-i',
    'turtle',
    '-o',
    'ntriples',
    path.join(dir, 'c.ttl'),
  ]);
  assert.ok(fromTurtle.ok, fromTurtle.stderr);
  const fromNQuads = await tool('rapper', [
    '-q',
    '-i',
    'nquads',
    '-o',
    'nquads',
    path.join(dir, 'c.nq'),
  ]);
  assert.ok(fromNQuads.ok, fromNQuads.stderr);
  const fromJsonLd = await tool('/usr/bin/python3', [
    '-c',
    'import sys, rdflib; rdflib.NORMALIZE_LITERALS = False; g = rdflib.Graph(); g.parse(sys.argv[1], format="json-ld"); sys.stdout.write(g.serialize(format="nt"))',
    path.join(dir, 'c.jsonld'),
  ]);
  assert.ok(fromJsonLd.ok, fromJsonLd.stderr);

  for (const [what, text] of [
    ['rapper turtle', fromTurtle.stdout],
    ['rapper nquads', fromNQuads.stdout],
    ['rdflib json-ld', fromJsonLd.stdout],
  ] as const) {
    assert.equal(await canonicalNQuads(parseNQuads(text)), nq, what);
  }
});

test('the demo serves the sample images with the hashes its catalog signs', async () => {
  const nq = await (await fetch(`${server.url}/feeds/demo-ecdsa/catalog.nq`)).text();
  const urls = [
    ...nq.matchAll(/<[^>]+#disk> <http:\/\/www.w3.org\/ns\/dcat#downloadURL> <([^>]+)>/g),
  ].map((m) => m[1]!);
  assert.equal(urls.length, 3);
  for (const url of urls) {
    const hex = url.split('/').pop()!;
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    const { createHash } = await import('node:crypto');
    assert.equal(createHash('sha256').update(body).digest('hex'), hex);
    assert.ok(nq.includes(`"${hex}"^^<http://www.w3.org/2001/XMLSchema#hexBinary>`));
  }
});

/** `vmic demo` in a child process, keeping its stderr (the helper in cli.ts drops it). */
function startDemo(args: string[]): Promise<{ stderr: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [VMIC_BIN, 'demo', ...args], {
    env: { ...process.env, VMIC_MASTER_KEY: '', VMIC_DATA: '', VMIC_PUBLIC_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/vmic listening on /.test(err))
        resolve({
          stderr: err,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
    });
    child.on('exit', (code) => reject(new Error(`vmic demo exited with ${code}: ${err}`)));
  });
}

test('on a non-loopback host the passwordless sign-in is off, and says why; --insecure-demo-login turns it on', async () => {
  const data = path.join(dir, 'data-any-address');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = ['--data', data, '--host', '0.0.0.0', '--port', String(port)];

  const safe = await startDemo(args);
  try {
    assert.match(safe.stderr, /local development sign-in .* is OFF/);
    assert.match(safe.stderr, /--host 0\.0\.0\.0 is not a loopback address/);
    assert.match(safe.stderr, /--insecure-demo-login/);
    const page = await fetch(`${base}/login`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(!html.includes('data-testid="dev-login"'), 'the local sign-in form is offered');
    const post = await fetch(`${base}/login/dev`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x&role=admin',
      redirect: 'manual',
    });
    // No such route at all (with the sign-in on, a request without a CSRF token is a 403).
    assert.equal(post.status, 404);
    await post.arrayBuffer();
  } finally {
    await safe.stop();
  }

  const insecure = await startDemo([...args, '--insecure-demo-login']);
  try {
    assert.match(insecure.stderr, /WARNING: --insecure-demo-login/);
    const html = await (await fetch(`${base}/login`)).text();
    assert.ok(html.includes('data-testid="dev-login"'), 'the local sign-in form is missing');
    const post = await fetch(`${base}/login/dev`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x&role=admin',
      redirect: 'manual',
    });
    assert.equal(post.status, 403);
    await post.arrayBuffer();
  } finally {
    await insecure.stop();
  }

  // The default loopback address offers it without a word.
  const loopback = await startDemo(['--data', data, '--port', String(port)]);
  try {
    assert.doesNotMatch(loopback.stderr, /sign-in/);
    const html = await (await fetch(`${base}/login`)).text();
    assert.ok(html.includes('data-testid="dev-login"'));
  } finally {
    await loopback.stop();
  }
});
