import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as S3 from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createBucket } from '../../test/helpers/backends.ts';
import { ENDORSER, type Cluster } from '../../test/integration/cluster.ts';

const MiB = 1024 ** 2;
/** What vmic's S3 store uses (catalog/blobs/s3/s3-object-store.ts), so only vmic differs. */
const PART_BYTES = 16 * MiB;
const PARTS_IN_FLIGHT = 4;

function since(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function writeImage(file: string, size: number): void {
  const fd = fs.openSync(file, 'w');
  const block = crypto.randomBytes(8 * MiB);
  for (let off = 0; off < size; off += block.length) {
    block.writeUInt32BE(off / block.length, 0);
    fs.writeSync(fd, block, 0, Math.min(block.length, size - off));
  }
  fs.closeSync(fd);
}

/** Reads a body to its end, counting bytes (the reader keeps nothing). */
async function drain(body: Readable): Promise<number> {
  let n = 0;
  for await (const chunk of body) n += (chunk as Buffer).length;
  return n;
}

/** POST /api/v1/endorsers/{e}/images, the file streamed from disk as the multipart body. */
function uploadThroughVmic(base: string, token: string, file: string): Promise<string> {
  const boundary = 'vmic-bench-transfer';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBench transfer\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="image.bin"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = fs.statSync(file).size;
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/api/v1/endorsers/${ENDORSER}/images`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + size + tail.length),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () =>
        res.statusCode === 201
          ? resolve((JSON.parse(text) as { sha256: string }).sha256)
          : reject(new Error(`upload: ${res.statusCode} ${text}`)),
      );
    });
    req.write(head);
    const src = fs.createReadStream(file, { highWaterMark: MiB });
    src.on('error', reject);
    src.on('end', () => req.end(tail));
    src.pipe(req, { end: false });
  });
}

function fetchThroughVmic(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
        drain(res).then(resolve, reject);
      })
      .on('error', reject);
  });
}

/**
 * Upload and fetch of one image (1 GiB, or VMIC_BENCH_BYTES) to and from RGW: through
 * vmic (HTTP to the replica, hashed while streaming, multipart upload under a temporary
 * key, copied to its content address once verified; fetched back through the replica) and
 * with the AWS SDK alone (lib-storage Upload with vmic's part size and parallelism,
 * GetObject), printed as ratios.
 */
export async function transferBench(c: Cluster, dir: string): Promise<void> {
  const size = Number(process.env.VMIC_BENCH_BYTES ?? 1024 ** 3);
  const file = path.join(dir, 'transfer.bin');
  writeImage(file, size);
  await drain(fs.createReadStream(file)); // the page cache, warm for both
  const bucket = await createBucket(`vmic-bench-sdk-${crypto.randomBytes(4).toString('hex')}`);
  const name = new URL(bucket.url.replace(/^s3:/, 'http:')).hostname;
  const client = new S3.S3Client({
    endpoint: process.env.VMIC_TEST_S3_ENDPOINT!,
    region: process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    let t = process.hrtime.bigint();
    await new Upload({
      client,
      params: { Bucket: name, Key: 'image.bin', Body: fs.createReadStream(file) },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
    }).done();
    const sdkUp = since(t);
    t = process.hrtime.bigint();
    const got = await client.send(new S3.GetObjectCommand({ Bucket: name, Key: 'image.bin' }));
    const sdkBytes = await drain(got.Body as Readable);
    const sdkDown = since(t);

    const base = c.replicas[0]!.url;
    t = process.hrtime.bigint();
    const hex = await uploadThroughVmic(base, c.endorserToken, file);
    const vmicUp = since(t);
    t = process.hrtime.bigint();
    const vmicBytes = await fetchThroughVmic(`${base}/blobs/sha256/${hex}`, c.adminToken);
    const vmicDown = since(t);
    if (sdkBytes !== size || vmicBytes !== size) throw new Error('a fetch came back short');

    const mibs = (s: number) => `${(size / MiB / s).toFixed(0).padStart(5)} MiB/s`;
    console.log(
      `(h) a ${(size / 1024 ** 3).toFixed(2)} GiB image to and from Ceph RGW (bluestore), loopback:`,
    );
    console.log(
      `    upload: vmic ${mibs(vmicUp)} (${vmicUp.toFixed(1)} s), AWS SDK alone ${mibs(sdkUp)} (${sdkUp.toFixed(1)} s); ratio ${(sdkUp / vmicUp).toFixed(2)}`,
    );
    console.log(
      `    fetch:  vmic ${mibs(vmicDown)} (${vmicDown.toFixed(1)} s), AWS SDK alone ${mibs(sdkDown)} (${sdkDown.toFixed(1)} s); ratio ${(sdkDown / vmicDown).toFixed(2)}`,
    );
  } finally {
    client.destroy();
    await bucket.drop();
    fs.rmSync(file, { force: true });
  }
}
