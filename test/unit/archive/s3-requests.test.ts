// Request-level checks of what claas sends to S3 for things Ceph RGW 16 cannot show: SSE-S3 (AES256) and
// archive storage classes on server-side copies, the CopyObject -> UploadPartCopy fallback, multipart
// copies of large objects, and lifecycle rules with NewerNoncurrentVersions and size filters (RGW drops
// them). A recording HTTP handler stands in for the server; the real SDK builds the requests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { serverSideCopy } from '../../../src/store/s3-copy.js';
import { writeLifecycleRules } from '../../../src/archive/lifecycle-s3.js';
import { desiredLifecycleRules } from '../../../src/archive/lifecycle.js';
import type { S3Location } from '../../../src/store/types.js';
import { suppressSdkNodeVersionWarning } from '../../../src/store/s3-client.js';

suppressSdkNodeVersionWarning();

interface Seen {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: string;
}

const MiB = 1024 * 1024;

function recorder(o: {
  size: number;
  sourceSse?: Record<string, string>;
  copyObject?: 'ok' | 'not-implemented';
}) {
  const seen: Seen[] = [];
  const respond = (statusCode: number, headers: Record<string, string>, body = '') => ({
    response: { statusCode, headers, body: Readable.from([Buffer.from(body)]) },
  });
  const handler = {
    async handle(req: {
      method: string;
      path: string;
      query?: Record<string, unknown>;
      headers: Record<string, string>;
      body?: unknown;
    }) {
      const body =
        typeof req.body === 'string'
          ? req.body
          : req.body instanceof Uint8Array
            ? Buffer.from(req.body).toString()
            : '';
      const query = req.query ?? {};
      seen.push({ method: req.method, path: req.path, query, headers: req.headers, body });
      if (req.method === 'HEAD') {
        return respond(200, { 'content-length': String(o.size), ...(o.sourceSse ?? {}) });
      }
      if (req.method === 'POST' && 'uploads' in query) {
        return respond(
          200,
          {},
          '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>U1</UploadId></InitiateMultipartUploadResult>',
        );
      }
      if (req.method === 'POST' && 'uploadId' in query) {
        return respond(
          200,
          {},
          '<CompleteMultipartUploadResult><ETag>"c"</ETag></CompleteMultipartUploadResult>',
        );
      }
      if (req.method === 'PUT' && 'partNumber' in query) {
        return respond(
          200,
          {},
          `<CopyPartResult><ETag>"p${String(query.partNumber)}"</ETag></CopyPartResult>`,
        );
      }
      if (req.method === 'PUT' && req.headers['x-amz-copy-source'] !== undefined) {
        if (o.copyObject === 'not-implemented') {
          return respond(501, {}, '<Error><Code>NotImplemented</Code><Message>not here</Message></Error>');
        }
        return respond(200, {}, '<CopyObjectResult><ETag>"e"</ETag></CopyObjectResult>');
      }
      return respond(200, {});
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://s3.test',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: handler as never,
  });
  const side = (bucket: string, prefix: string) => {
    const location: S3Location = { kind: 's3', bucket, prefix, endpoint: 'http://s3.test' };
    return {
      client,
      location,
      url: (k?: string) => `s3://${bucket}/${prefix}/${k ?? ''}`,
      endpointUrl: 'http://s3.test',
    };
  };
  return { seen, src: side('templates', 'lib'), dst: side('archive', 'lib/.claas-archive') };
}

const SHA = 'a'.repeat(64);

test('CopyObject carries SSE-S3, the archive storage class, tags and claas hash', async () => {
  const r = recorder({ size: 5 });
  await serverSideCopy(r.src, 'photon/abc/disk 1.vmdk', r.dst, 'v1-x/photon/abc/disk 1.vmdk', {
    sha256: SHA,
    size: 5,
    write: { sse: { mode: 'AES256' }, storageClass: 'GLACIER', tags: { project: 'claas' } },
  });
  const copy = r.seen.find((s) => s.method === 'PUT')!;
  assert.equal(copy.path, '/archive/lib/.claas-archive/v1-x/photon/abc/disk%201.vmdk');
  assert.equal(copy.headers['x-amz-copy-source'], 'templates/lib/photon/abc/disk%201.vmdk');
  assert.equal(copy.headers['x-amz-server-side-encryption'], 'AES256');
  assert.equal(copy.headers['x-amz-storage-class'], 'GLACIER');
  assert.equal(copy.headers['x-amz-metadata-directive'], 'REPLACE');
  assert.equal(copy.headers['x-amz-meta-sha256'], SHA);
  assert.equal(copy.headers['x-amz-tagging'], 'project=claas');
  assert.equal(copy.headers['x-amz-tagging-directive'], 'REPLACE');
  assert.equal(copy.headers['x-amz-server-side-encryption-aws-kms-key-id'], undefined);
});

test('SSE-KMS with a key id; without settings the source encryption is kept', async () => {
  const kms = recorder({ size: 5 });
  await serverSideCopy(kms.src, 'a', kms.dst, 'b', {
    sha256: SHA,
    size: 5,
    write: { sse: { mode: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k1' } },
  });
  const c1 = kms.seen.find((s) => s.method === 'PUT')!;
  assert.equal(c1.headers['x-amz-server-side-encryption'], 'aws:kms');
  assert.equal(
    c1.headers['x-amz-server-side-encryption-aws-kms-key-id'],
    'arn:aws:kms:us-east-1:111122223333:key/k1',
  );

  const keep = recorder({
    size: 5,
    sourceSse: {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'testkey-1',
    },
  });
  await serverSideCopy(keep.src, 'a', keep.dst, 'b', { sha256: SHA, size: 5 });
  const c2 = keep.seen.find((s) => s.method === 'PUT')!;
  assert.equal(c2.headers['x-amz-server-side-encryption'], 'aws:kms');
  assert.equal(c2.headers['x-amz-server-side-encryption-aws-kms-key-id'], 'testkey-1');
});

test('NotImplemented CopyObject (RGW 16 with SSE-KMS sources) falls back to UploadPartCopy', async () => {
  const r = recorder({ size: 5, copyObject: 'not-implemented' });
  await serverSideCopy(r.src, 'a', r.dst, 'b', {
    sha256: SHA,
    size: 5,
    write: { sse: { mode: 'aws:kms', kmsKeyId: 'testkey-1' } },
  });
  const create = r.seen.find((s) => s.method === 'POST' && 'uploads' in s.query)!;
  assert.equal(create.headers['x-amz-server-side-encryption'], 'aws:kms');
  assert.equal(create.headers['x-amz-meta-sha256'], SHA);
  const parts = r.seen.filter((s) => 'partNumber' in s.query);
  assert.deepEqual(
    parts.map((p) => p.headers['x-amz-copy-source-range']),
    ['bytes=0-4'],
  );
  const complete = r.seen.find((s) => s.method === 'POST' && 'uploadId' in s.query)!;
  assert.match(complete.body, /<PartNumber>1<\/PartNumber>/);
});

test('objects over the threshold are copied in parts with ranges', async () => {
  const size = 12 * MiB + 3;
  const r = recorder({ size });
  await serverSideCopy(r.src, 'a', r.dst, 'b', {
    sha256: SHA,
    size,
    multipartThreshold: 8 * MiB,
    minPartSize: 5 * MiB,
    write: { storageClass: 'DEEP_ARCHIVE' },
  });
  assert.equal(
    r.seen.find((s) => s.method === 'POST' && 'uploads' in s.query)?.headers['x-amz-storage-class'],
    'DEEP_ARCHIVE',
  );
  const ranges = r.seen
    .filter((s) => 'partNumber' in s.query)
    .map((p) => p.headers['x-amz-copy-source-range'])
    .sort();
  assert.deepEqual(ranges, ['bytes=0-5242879', `bytes=10485760-${size - 1}`, 'bytes=5242880-10485759']);
});

test('a source of the wrong size is refused before anything is copied', async () => {
  const r = recorder({ size: 4 });
  await assert.rejects(
    serverSideCopy(r.src, 'a', r.dst, 'b', { sha256: SHA, size: 5 }),
    /has 4 bytes, expected 5/,
  );
  assert.equal(r.seen.filter((s) => s.method !== 'HEAD').length, 0);
});

test('PutBucketLifecycleConfiguration: Content-MD5 and every element RGW 16 drops', async () => {
  const r = recorder({ size: 0 });
  const rules = desiredLifecycleRules({
    library: 't',
    prefix: 'lib',
    noncurrentDays: 30,
    keepNoncurrent: 3,
    archive: { prefix: 'lib/.claas-archive', storageClass: 'GLACIER', days: 1, minSize: 131072 },
  });
  await writeLifecycleRules(
    { client: r.src.client, location: r.src.location, endpointUrl: 'http://s3.test' },
    rules,
  );
  const put = r.seen.find((s) => s.method === 'PUT' && 'lifecycle' in s.query)!;
  assert.ok(put.headers['content-md5'] !== undefined);
  assert.match(put.body, /<NewerNoncurrentVersions>3<\/NewerNoncurrentVersions>/);
  assert.match(
    put.body,
    /<And><Prefix>lib\/\.claas-archive\/<\/Prefix><ObjectSizeGreaterThan>131072<\/ObjectSizeGreaterThan><\/And>/,
  );
  assert.match(put.body, /<Transition><Days>1<\/Days><StorageClass>GLACIER<\/StorageClass><\/Transition>/);
  assert.match(put.body, /<ExpiredObjectDeleteMarker>true<\/ExpiredObjectDeleteMarker>/);
});
