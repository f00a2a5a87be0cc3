import type { S3Connection } from './s3-bucket.ts';

/** CopyObject's limit (S3 and RGW): larger objects are copied part by part. */
const COPY_OBJECT_MAX = 5 * 1024 ** 3;
const COPY_PART_BYTES = 512 * 1024 ** 2;

/**
 * Copies one key to another inside the bucket, server-side (no byte passes through us).
 * Visible at the target only when complete: CopyObject and CompleteMultipartUpload each
 * make the whole object appear at once, so a crash mid-copy leaves no partial target.
 */
export async function copyKey(s3: S3Connection, from: string, to: string, size: number) {
  const { sdk, client, bucket } = s3;
  const source = `${bucket}/${from}`;
  if (size <= COPY_OBJECT_MAX) {
    await client.send(new sdk.CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: source }));
    return;
  }
  const { UploadId } = await client.send(
    new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: to }),
  );
  try {
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let at = 0, n = 1; at < size; at += COPY_PART_BYTES, n++) {
      const end = Math.min(at + COPY_PART_BYTES, size) - 1;
      const r = await client.send(
        new sdk.UploadPartCopyCommand({
          Bucket: bucket,
          Key: to,
          UploadId,
          PartNumber: n,
          CopySource: source,
          CopySourceRange: `bytes=${at}-${end}`,
        }),
      );
      parts.push({ ETag: r.CopyPartResult?.ETag ?? '', PartNumber: n });
    }
    await client.send(
      new sdk.CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: to,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (e) {
    await client
      .send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId }))
      .catch(() => undefined);
    throw e;
  }
}
