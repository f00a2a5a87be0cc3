import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlobUrl } from '../../../catalog/blobs/s3/s3-location.ts';

test('blob URLs: bucket, endpoint, region, prefix, presigned redirects', () => {
  const loc = parseBlobUrl(
    's3://vmic-images?endpoint=https://rgw.example:7480&region=default&prefix=site-a&redirect=presigned&presign-seconds=60',
  );
  assert.deepEqual(loc, {
    bucket: 'vmic-images',
    endpoint: 'https://rgw.example:7480',
    region: 'default',
    prefix: 'site-a/',
    reads: 'presigned',
    presignSeconds: 60,
  });
  const plain = parseBlobUrl('s3://vmic-images?region=eu-west-1');
  assert.equal(plain.reads, 'proxy');
  assert.equal(plain.prefix, '');
  assert.equal(plain.endpoint, undefined);
});

test('blob URLs that would misplace or leak bytes are refused', () => {
  for (const bad of [
    'https://vmic-images',
    's3://UPPER?region=x',
    's3://vmic-images/some/path',
    's3://vmic-images?prefix=../other',
    's3://vmic-images?redirect=always',
    's3://vmic-images?presign-seconds=0',
    's3://vmic-images?endpoint=ftp://x',
    's3://vmic-images?secret=abc',
  ])
    assert.throws(() => parseBlobUrl(bad), { code: 'CONFIG' }, bad);
});
