import { pipeline } from 'node:stream';
import type { Transform } from 'node:stream';
import { VmicError } from '../../errors/index.ts';
import { DigestingStream } from '../blobs/digest.ts';
import type { Instance } from '../instance.ts';
import { ImageCache } from '../site/image-cache.ts';
import type { DesiredImage } from './desired-images.ts';
import type { GlanceClient } from './glance-client.ts';

/** For tests only: a stage between vmic's hashing and the wire (bytes altered on the way). */
export interface UploadHooks {
  onTheWay?: () => Transform;
}

/**
 * Creates the Glance image for `d` and uploads the site cache's bytes into it, then checks
 * what Glance holds against what was read (threat: bytes altered between the verified
 * cache and Glance's store, by the network, a proxy or the store, and then booted):
 *
 * 1. the bytes are hashed as they are read: their SHA-256 and size must be the signed
 *    ones, so a cache file changed since it was verified is caught here (HASH_MISMATCH);
 * 2. Glance's `os_hash_value` must equal vmic's SHA-512 of them (or SHA-256 if Glance is
 *    set to hash with it): GLANCE_HASH_MISMATCH, or GLANCE_HASH_UNCHECKED for any other
 *    algorithm;
 * 3. only then is `vmic_sha512` written: the mark of a checked upload that later runs
 *    look for. An image without it is an upload that did not finish and is replaced.
 *
 * On any failure the half-made Glance image is deleted. Returns its id.
 */
export async function uploadImage(
  inst: Instance,
  client: GlanceClient,
  d: DesiredImage,
  hooks: UploadHooks = {},
): Promise<string> {
  const created = await client.create({
    name: d.name,
    disk_format: d.diskFormat,
    container_format: d.containerFormat,
    visibility: d.visibility,
    ...d.properties,
  });
  try {
    const source = await ImageCache.of(inst).open(d.sha256);
    const digest = new DigestingStream(d.size, undefined, {
      sha512: true,
      tooLarge: `the cached bytes of ${d.sha256} are longer than the signed ${d.size}`,
    });
    const noop = () => undefined;
    const hook = hooks.onTheWay?.();
    const body = hook ? pipeline(source, digest, hook, noop) : pipeline(source, digest, noop);
    await client.upload(created.id, body, d.size);
    const read = digest.digest();
    if (read.sha256 !== d.sha256 || read.size !== d.size)
      throw new VmicError(
        'HASH_MISMATCH',
        `the site cache's bytes for ${d.sha256} changed since they were verified (read ${read.size} bytes with SHA-256 ${read.sha256})`,
      );
    const stored = await client.get(created.id);
    if (!stored)
      throw new VmicError('GLANCE_FAILED', `Glance image ${created.id} vanished after its upload`);
    if (stored.status !== 'active' || stored.size !== d.size)
      throw new VmicError(
        'GLANCE_FAILED',
        `Glance image ${created.id} is ${stored.status} with ${stored.size ?? 'no'} bytes after the upload of ${d.size}`,
      );
    const expected =
      stored.osHashAlgo === 'sha512'
        ? read.sha512
        : stored.osHashAlgo === 'sha256'
          ? read.sha256
          : undefined;
    if (expected === undefined)
      throw new VmicError(
        'GLANCE_HASH_UNCHECKED',
        `Glance hashed image ${created.id} with ${JSON.stringify(stored.osHashAlgo)}, which vmic cannot compare (set hashing_algorithm = sha512)`,
      );
    if (stored.osHashValue !== expected)
      throw new VmicError(
        'GLANCE_HASH_MISMATCH',
        `Glance's ${stored.osHashAlgo} of image ${created.id} is ${stored.osHashValue ?? 'missing'}, the verified bytes' is ${expected}`,
      );
    await client.patch(created.id, [{ op: 'add', path: '/vmic_sha512', value: read.sha512! }]);
    return created.id;
  } catch (e) {
    // The image must not stay: it holds bytes nobody vouches for (or none).
    await client.remove(created.id).catch(() => undefined);
    throw e instanceof VmicError ? Object.assign(e, { glanceId: created.id }) : e;
  }
}
