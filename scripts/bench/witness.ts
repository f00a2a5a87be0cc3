import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openInstance, resolveConfig, type Instance } from '../../catalog/index.ts';
import { logSigner, witnessCosigner } from '../../catalog/log/log-key.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import type { LogPolicy } from '../../catalog/site/subscription-log.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { addTrustMaterial } from '../../catalog/site/trust-store.ts';
import { followCommandLog } from '../../catalog/witness/follow.ts';
import { derToPem, describeCertificate, type DemoHierarchy } from '../../pki/index.ts';
import { startServer } from '../../server/index.ts';
import {
  appendHashes,
  checkpointText,
  consistencyProof,
  cosignerKeyText,
  leafHash,
  signerFromSeed,
  signNote,
  treeHash,
  verifierKeyText,
  verifyCosignatures,
  type Hash,
  type HashReader,
} from '../../tlog/index.ts';
import { addPublishedEndorser, demoEndorserIdentity } from '../fixtures/published-endorser.ts';
import { freeLoopbackPort } from '../demo/showcase.ts';
import { median, since } from './log.ts';

const SIZES = [1_000, 10_000] as const;
const RUNS: Record<number, number> = { 1_000: 5, 10_000: 3 };
const SUBMISSIONS = 200;
const WARM = 20;

interface Served {
  inst: Instance;
  url: string;
  close(): Promise<void>;
}

/** Server-side error lines (a 500) of every served instance; none is expected. */
const serverErrors: string[] = [];

/** A SQLite instance in a fresh directory under `work`, served on loopback at its public URL. */
async function serve(work: string, prefix: string): Promise<Served> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(work, prefix));
  const inst = await openInstance(resolveConfig({ dataDir, publicUrl: url, env: {} }), {
    env: {},
  });
  try {
    const server = await startServer(
      inst,
      { host: '127.0.0.1', port },
      { log: (l) => serverErrors.push(l) },
    );
    const close = async () => {
      try {
        await server.close();
      } finally {
        await inst.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    };
    return { inst, url, close };
  } catch (e) {
    await inst.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** An endorser `bench` that published a catalog of `rows` images, served. */
async function servedEndorser(h: DemoHierarchy, work: string, rows: number): Promise<Served> {
  const s = await serve(work, `witness-endorser-${rows}-`);
  try {
    await addPublishedEndorser(s.inst, {
      name: 'bench',
      identity: await demoEndorserIdentity(h),
      images: { rows },
      actor: 'bench',
    });
    return s;
  } catch (e) {
    await s.close();
    throw e;
  }
}

/**
 * One import, timed: a fresh site (the demo CAs and CRLs trusted) with a fresh subscription
 * to `endorser`, so the catalog applies; only runImport is timed. Seconds.
 */
async function timedImport(
  h: DemoHierarchy,
  work: string,
  endorser: Served,
  log: LogPolicy,
  witnesses: string[] = [],
): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(work, 'witness-site-'));
  const site = await openInstance(
    resolveConfig({ dataDir, publicUrl: 'https://site.example', env: {} }),
    { env: {} },
  );
  try {
    const trust =
      [h.root.certificate, h.intermediate.certificate]
        .map((c) => derToPem(c, 'CERTIFICATE'))
        .join('') + [h.crl, h.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('');
    await addTrustMaterial(site, trust, 'bench');
    await subscribe(site, {
      url: `${endorser.url}/feeds/bench/`,
      name: 'bench',
      expectSubject: describeCertificate(h.endorser.certificate).subject,
      actor: 'bench',
      log,
      ...(witnesses.length ? { witnesses } : {}),
    });
    const t = process.hrtime.bigint();
    const [outcome] = await runImport(site, { actor: 'bench' });
    const s = since(t);
    if (outcome?.status !== 'applied')
      throw new Error(`import (log ${log}) failed: ${outcome?.code} ${outcome?.message}`);
    if (witnesses.length && outcome.log?.cosigners?.length !== witnesses.length)
      throw new Error(`import applied without the witness's cosignature`);
    return s;
  } finally {
    await site.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A log of the bench's own, in memory (the stored-subtree layout a database holds). */
class MemoryTree {
  private readonly hashes = new Map<string, Hash>();
  size = 0;
  readonly read: HashReader = (level, index) => {
    const h = this.hashes.get(`${level}/${index}`);
    return h ? Promise.resolve(h) : Promise.reject(new Error(`no hash at ${level}/${index}`));
  };
  async append(data: Uint8Array): Promise<void> {
    for (const s of await appendHashes(this.size, leafHash(data), this.read))
      this.hashes.set(`${s.level}/${s.index}`, s.hash);
    this.size++;
  }
}

/**
 * Witness throughput: a served instance follows a log of the bench's own; WARM untimed,
 * then SUBMISSIONS sequential add-checkpoint requests, each growing the log by one leaf
 * (`old N-1`, the consistency proof, the checkpoint of N). Requests are built before timing.
 */
async function witnessThroughput(work: string): Promise<{ perS: number; ms: number }> {
  const origin = 'bench.example/witnessed';
  const signer = signerFromSeed(origin, crypto.randomBytes(32));
  const w = await serve(work, 'witness-throughput-');
  try {
    await followCommandLog(w.inst, { key: verifierKeyText(signer), actor: 'bench' });
    const cosigner = await witnessCosigner(w.inst);
    const tree = new MemoryTree();
    const bodies: string[] = [];
    let note = '';
    for (let n = 1; n <= WARM + SUBMISSIONS; n++) {
      await tree.append(Buffer.from(`leaf-${n}`));
      const root = await treeHash(n, tree.read);
      note = signNote(checkpointText({ origin, size: n, root, extensions: [] }), [signer]);
      const proof = n > 1 ? await consistencyProof(n - 1, n, tree.read) : [];
      const lines = proof.map((p) => `${Buffer.from(p).toString('base64')}\n`).join('');
      bodies.push(`old ${n - 1}\n${lines}\n${note}`);
    }
    const add = `${w.url}/witness/add-checkpoint`;
    const submit = async (k: number): Promise<string> => {
      const r = await fetch(add, { method: 'POST', body: bodies[k]! });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`add-checkpoint ${k + 1}: HTTP ${r.status} ${text}`);
      return text;
    };
    for (let k = 0; k < WARM; k++) await submit(k);
    const t = process.hrtime.bigint();
    let last = '';
    for (let k = WARM; k < WARM + SUBMISSIONS; k++) last = await submit(k);
    const s = since(t);
    // An unsigned answer is no figure: the last one checked.
    if (verifyCosignatures(note + last, [cosigner], new Date()).length !== 1)
      throw new Error('the witness answered without its cosignature');
    return { perS: SUBMISSIONS / s, ms: (s * 1e3) / SUBMISSIONS };
  } finally {
    await w.close();
  }
}

/** Stock `openssl pkeyutl -sign -rawin` on an Ed25519 key, spawned SUBMISSIONS times: ms each. */
function opensslSignMs(work: string): number {
  const key = path.join(work, 'witness-ed25519.pem');
  const msg = path.join(work, 'witness-checkpoint.txt');
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  fs.writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(
    msg,
    'bench.example/witnessed\n200\n' + crypto.randomBytes(32).toString('base64'),
  );
  const args = ['pkeyutl', '-sign', '-rawin', '-inkey', key, '-in', msg];
  try {
    const sig = execFileSync('openssl', args); // warm the binary and its libraries
    if (sig.length !== 64) throw new Error(`openssl made a ${sig.length}-byte Ed25519 signature`);
    const t = process.hrtime.bigint();
    for (let i = 0; i < SUBMISSIONS; i++) execFileSync('openssl', args, { stdio: 'pipe' });
    return (since(t) * 1e3) / SUBMISSIONS;
  } finally {
    fs.rmSync(key, { force: true });
    fs.rmSync(msg, { force: true });
  }
}

/**
 * (k) Witnesses: a site's import from a served endorser with its log unchecked (`off`)
 * and checked (`require`) at 1,000 and 10,000 images; the added time of asking one
 * witness (a served vmic following the endorser's log) for its cosignature; and a
 * witness's add-checkpoint throughput against one `openssl pkeyutl -sign` of Ed25519.
 */
export async function witnessBench(h: DemoHierarchy, work: string): Promise<void> {
  const endorsers: Served[] = [];
  let witness: Served | undefined;
  try {
    for (const n of SIZES) endorsers.push(await servedEndorser(h, work, n));
    const [small, w] = [endorsers[0]!, (witness = await serve(work, 'witness-'))];
    const logKey = verifierKeyText(await logSigner(small.inst));
    await followCommandLog(w.inst, { key: logKey, url: `${small.url}/log/`, actor: 'bench' });
    const named = `${cosignerKeyText(await witnessCosigner(w.inst))},${w.url}/witness/`;

    const rows: { n: number; off: number[]; req: number[]; wit: number[] }[] = [];
    for (const [i, n] of SIZES.entries()) {
      const e = endorsers[i]!;
      const row = { n, off: [] as number[], req: [] as number[], wit: [] as number[] };
      // Untimed first (JIT, page cache; the witness's first view, so each timed ask is alike).
      await timedImport(h, work, e, 'require', n === SIZES[0] ? [named] : []);
      // Interleaved, order swapped each run: a slow stretch or a GC weighs on both alike.
      for (let r = 0; r < RUNS[n]!; r++) {
        for (const log of r % 2 ? (['require', 'off'] as const) : (['off', 'require'] as const))
          (log === 'off' ? row.off : row.req).push(await timedImport(h, work, e, log));
        if (n === SIZES[0]) row.wit.push(await timedImport(h, work, e, 'require', [named]));
      }
      rows.push(row);
    }
    const tp = await witnessThroughput(work);
    const openssl = opensslSignMs(work);

    const ms = (s: number) => `${(s * 1e3).toFixed(0)} ms`;
    const runs = (xs: number[]) => xs.map((s) => (s * 1e3).toFixed(0)).join(', ');
    console.log(
      '(k) witnesses: import from a served endorser (loopback HTTP), log off vs require (proof, checkpoint, key on first use):',
    );
    for (const r of rows) {
      const [off, req] = [median(r.off), median(r.req)];
      console.log(
        `    ${r.n.toLocaleString('en').padStart(6)} images, median of ${r.off.length}: log off ${ms(off)}, require ${ms(req)}; ratio require/off ${(req / off).toFixed(3)}, added ${((req - off) * 1e3).toFixed(1)} ms (runs off ${runs(r.off)}; require ${runs(r.req)})`,
      );
    }
    const [req, wit, first] = [median(rows[0]!.req), median(rows[0]!.wit), rows[0]!];
    console.log(
      `    + one witness asked at import (${first.n.toLocaleString('en')} images, median of ${first.wit.length}): ${ms(wit)} vs require alone ${ms(req)}; added ${((wit - req) * 1e3).toFixed(1)} ms (runs ${runs(first.wit)})`,
    );
    console.log(
      `    witness add-checkpoint, ${SUBMISSIONS} sequential (log +1 leaf each, after ${WARM} untimed): ${tp.perS.toFixed(0)} req/s, ${tp.ms.toFixed(2)} ms per round-trip`,
    );
    console.log(
      `    openssl pkeyutl -sign -rawin (Ed25519), spawned ${SUBMISSIONS} times: ${openssl.toFixed(2)} ms each (process start + key load + sign); witness round-trip / openssl signature = ${(tp.ms / openssl).toFixed(2)}`,
    );
    if (serverErrors.length)
      console.log(`    server error lines: ${serverErrors.length}: ${serverErrors[0]}`);
  } finally {
    await witness?.close();
    for (const e of endorsers) await e.close();
  }
}
