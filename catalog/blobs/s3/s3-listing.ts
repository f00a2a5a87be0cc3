import { SHA256_HEX } from '../digest.ts';
import type { StoredObject } from '../object-store.ts';
import { isNotFound, type S3Connection } from './s3-bucket.ts';
import { isDeadTemporary } from './s3-temporaries.ts';

/** Every `<prefix><hex>` object, a page (up to 1000 keys) at a time. */
export async function* listContent(s3: S3Connection, prefix: string): AsyncIterable<StoredObject> {
  for await (const o of listKeys(s3, prefix)) {
    const sha256 = o.name;
    if (SHA256_HEX.test(sha256)) yield { sha256, size: o.size, modified: o.modified ?? new Date() };
  }
}

export async function temporaryKeys(s3: S3Connection, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of listKeys(s3, prefix)) out.push(o.name);
  for (const u of await unfinishedUploads(s3, prefix)) out.push(u.name);
  return out;
}

/**
 * Removes the temporary keys, and aborts the unfinished multipart uploads (their parts
 * are stored but invisible), that crashed writers left (s3-temporaries.ts for the rule).
 * Returns their names.
 */
export async function sweepTemporaryKeys(
  s3: S3Connection,
  prefix: string,
  now: Date,
): Promise<string[]> {
  const { sdk, client, bucket } = s3;
  const removed: string[] = [];
  for await (const o of listKeys(s3, prefix)) {
    if (!isDeadTemporary(o.name, o.modified, now)) continue;
    await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: prefix + o.name }));
    removed.push(o.name);
  }
  for (const u of await unfinishedUploads(s3, prefix)) {
    if (!isDeadTemporary(u.name, u.initiated, now)) continue;
    // Another replica's sweep may have aborted it a moment ago (NoSuchUpload, a 404).
    await client
      .send(
        new sdk.AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: prefix + u.name,
          UploadId: u.uploadId,
        }),
      )
      .catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    removed.push(u.name);
  }
  return removed;
}

async function* listKeys(
  s3: S3Connection,
  prefix: string,
): AsyncIterable<{ name: string; size: number; modified: Date | undefined }> {
  const { sdk, client, bucket } = s3;
  let token: string | undefined;
  do {
    const page = await client.send(
      new sdk.ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key?.startsWith(prefix))
        yield { name: o.Key.slice(prefix.length), size: o.Size ?? 0, modified: o.LastModified };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

async function unfinishedUploads(
  s3: S3Connection,
  prefix: string,
): Promise<{ name: string; uploadId: string; initiated: Date | undefined }[]> {
  const { sdk, client, bucket } = s3;
  const out: { name: string; uploadId: string; initiated: Date | undefined }[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  do {
    const page = await client.send(
      new sdk.ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(idMarker ? { UploadIdMarker: idMarker } : {}),
      }),
    );
    for (const u of page.Uploads ?? [])
      if (u.Key?.startsWith(prefix) && u.UploadId)
        out.push({
          name: u.Key.slice(prefix.length),
          uploadId: u.UploadId,
          initiated: u.Initiated,
        });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    idMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return out;
}
