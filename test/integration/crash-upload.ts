import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Replica } from './replicas.ts';
import { filesUnder, type ScaleOutBackend } from './scale-out-backend.ts';

const MiB = 1024 * 1024;
/** The image the upload claims to send: 64 MiB, of which SENT_MIB arrive before the kill. */
const TOTAL_MIB = 64;
const SENT_MIB = 24;

/** The bytes of the whole image (block i is one random MiB stamped with i) and their hash. */
function image(): { block: (i: number) => Buffer; sha256: string } {
  const seed = crypto.randomBytes(MiB);
  const block = (i: number) => {
    const b = Buffer.from(seed);
    b.writeUInt32BE(i, 0);
    return b;
  };
  const h = crypto.createHash('sha256');
  for (let i = 0; i < TOTAL_MIB; i++) h.update(block(i));
  return { block, sha256: h.digest('hex') };
}

/** Non-empty files under a directory, as "path size" (to see an upload land on disk). */
function snapshot(dir: string): Set<string> {
  return new Set(
    filesUnder(dir).flatMap((f) => {
      const size = fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0;
      return size > 0 ? [`${f} ${size}`] : [];
    }),
  );
}

/**
 * Starts a multipart upload of a 64 MiB image straight to `victim`, sends 24 MiB of it,
 * waits until the replica has visibly begun to store it (a multipart upload or a new key
 * in the bucket, or a growing file in its data directory), then kills it with SIGKILL.
 * Returns the SHA-256 of the whole image, which must never become visible anywhere, and
 * the store's keys from before the upload.
 */
export async function killMidUpload(
  victim: Replica,
  token: string,
  endorser: string,
  backend: ScaleOutBackend,
  dataDir: string,
): Promise<{ sha256: string; keysBefore: Set<string> }> {
  const { block, sha256 } = image();
  const keysBefore = new Set(await backend.blobKeys());
  const uploadsBefore = await backend.openUploads();
  const filesBefore = snapshot(dataDir);
  const boundary = 'vmic-scale-crash';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nCrash\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="identifier"\r\n\r\ncrash\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="crash.img"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const req = http.request({
    host: '127.0.0.1',
    port: victim.port,
    path: `/api/v1/endorsers/${endorser}/images`,
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + TOTAL_MIB * MiB + tail.length),
    },
  });
  let failed: Error | undefined;
  let answered: number | undefined;
  req.on('error', (e) => (failed = e)); // expected once the replica dies
  req.on('response', (res) => {
    answered = res.statusCode;
    res.resume();
  });
  req.write(head);
  // Each MiB waits for the socket to take it: by the last one the replica has read most.
  for (let i = 0; i < SENT_MIB; i++) {
    if (failed || answered !== undefined)
      throw new Error(
        `the upload ended early (${answered ?? failed?.message}): ${victim.output()}`,
      );
    if (!req.write(block(i))) await new Promise((resolve) => req.once('drain', resolve));
  }
  const started = async () =>
    (await backend.openUploads()) > uploadsBefore ||
    (await backend.blobKeys()).some((k) => !keysBefore.has(k)) ||
    [...snapshot(dataDir)].some((f) => !filesBefore.has(f));
  for (let i = 0; !(await started()); i++) {
    if (i === 600)
      throw new Error(
        `after ${SENT_MIB} MiB sent, ${victim.name} shows no upload in progress (no multipart ` +
          `upload or new key in the bucket, no new file in ${dataDir}): ${victim.output()}`,
      );
    await sleep(50);
  }
  await victim.kill();
  req.destroy();
  return { sha256, keysBefore };
}
