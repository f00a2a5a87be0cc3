import { VmicError } from '../../errors/index.ts';

/**
 * A transfer on the wire or on disk (format 2): magic, the signed manifest's length
 * (u32 BE), the signed manifest (CMS DER), then the sealed chunks (chunked-aead.ts). The
 * manifest comes first so that a receiver checks who sent what, to whom, before it reads
 * a single ciphertext byte.
 *
 * Format 1 (one AES-GCM message over the whole file, `VMICXFR1`) is refused with a message
 * naming it: vmic 0.1.0 was never released beyond its own tests, so no v1 bundle exists
 * that cannot be exported again, and a second decryption path would be untested weight.
 */
export const BUNDLE_MAGIC = Buffer.from('VMICXFR2', 'ascii');
const BUNDLE_MAGIC_V1 = Buffer.from('VMICXFR1', 'ascii');
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export function bundleHeader(signedManifest: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(signedManifest.length);
  return Buffer.concat([BUNDLE_MAGIC, len, signedManifest]);
}

/** Reads the header off a byte stream; returns the signed manifest and the rest of the stream. */
export async function readBundleHeader(
  source: AsyncIterable<Buffer | Uint8Array>,
): Promise<{ signedManifest: Buffer; rest: AsyncGenerator<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  let buf = Buffer.alloc(0);
  const need = async (n: number) => {
    while (buf.length < n) {
      const r = await it.next();
      if (r.done)
        throw new VmicError('MALFORMED', 'transfer ended inside its header', { rule: 'bundle' });
      buf = Buffer.concat([buf, Buffer.from(r.value)]);
    }
  };
  await need(12);
  if (buf.subarray(0, 8).equals(BUNDLE_MAGIC_V1))
    throw new VmicError(
      'MALFORMED',
      'this is a transfer bundle of format 1, which this vmic no longer reads: export it again at the sending site (vmic migrate IMAGE --to PEER --dir DIR) to get a format 2 bundle',
      { rule: 'bundle.version' },
    );
  if (!buf.subarray(0, 8).equals(BUNDLE_MAGIC))
    throw new VmicError('MALFORMED', 'not a vmic transfer', { rule: 'bundle' });
  const len = buf.readUInt32BE(8);
  if (len === 0 || len > MAX_MANIFEST_BYTES)
    throw new VmicError('TOO_LARGE', 'transfer manifest too large', { rule: 'bundle' });
  await need(12 + len);
  const signedManifest = Buffer.from(buf.subarray(12, 12 + len));
  const leftover = buf.subarray(12 + len);
  async function* rest(): AsyncGenerator<Buffer> {
    if (leftover.length) yield leftover;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      // A Buffer goes on as it is: copying every piece of a large image costs time and memory.
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    }
  }
  return { signedManifest, rest: rest() };
}
