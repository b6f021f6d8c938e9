// Request-level checks of the S3 server-side copy (store/s3-server-copy.ts) for what Ceph RGW 16 cannot show:
// SSE-S3 (AES256) and archive storage classes, the CopyObject -> UploadPartCopy fallback, multipart copies
// of large objects, the conditional source (the HEAD's checks, x-amz-copy-source-if-match, the ETag read again before a copy in parts completes), the metadata
// directive, and a failed part sent again whole. A recording HTTP handler stands in for the server; the real
// SDK builds the requests. (The same against Ceph RGW: test/integration/s3/transfer.test.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { isClaasError } from '../../../src/errors.js';
import { serverSideCopy } from '../../../src/store/s3-server-copy.js';
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
  /** Extra HEAD response headers (ETag, x-amz-meta-sha256). */
  sourceHead?: Record<string, string>;
  copyObject?: 'ok' | 'not-implemented' | 'precondition-failed';
  /** Answer these UploadPartCopy part numbers once with 500 InternalError. */
  failPartOnce?: number[];
  /** The source's ETag at each HEAD in turn (the last one repeats). */
  headEtags?: string[];
}) {
  const failed = new Set<number>();
  let heads = 0;
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
        const etag = o.headEtags?.[Math.min(heads++, o.headEtags.length - 1)];
        return respond(200, {
          'content-length': String(o.size),
          ...(etag === undefined ? {} : { etag: `"${etag}"` }),
          ...(o.sourceSse ?? {}),
          ...(o.sourceHead ?? {}),
        });
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
        const n = Number(query.partNumber);
        if (o.failPartOnce?.includes(n) === true && !failed.has(n)) {
          failed.add(n);
          return respond(500, {}, '<Error><Code>InternalError</Code><Message>try again</Message></Error>');
        }
        return respond(
          200,
          {},
          `<CopyPartResult><ETag>"p${String(query.partNumber)}"</ETag></CopyPartResult>`,
        );
      }
      if (req.method === 'PUT' && req.headers['x-amz-copy-source'] !== undefined) {
        if (o.copyObject === 'precondition-failed') {
          return respond(412, {}, '<Error><Code>PreconditionFailed</Code><Message>no</Message></Error>');
        }
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
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    };
  };
  return { seen, src: side('templates', 'lib'), dst: side('archive', 'lib/.claas-archive') };
}

const SHA = 'a'.repeat(64);
const put = (r: { seen: Seen[] }) => r.seen.find((s) => s.method === 'PUT')!;

test('CopyObject carries SSE-S3, the archive storage class, tags and claas hash', async () => {
  const r = recorder({ size: 5 });
  await serverSideCopy(r.src, 'photon/abc/disk 1.vmdk', r.dst, 'v1-x/photon/abc/disk 1.vmdk', {
    source: { sha256: SHA, size: 5 },
    write: { sse: { mode: 'AES256' }, storageClass: 'GLACIER', tags: { project: 'claas' } },
  });
  const copy = put(r);
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
    source: { sha256: SHA, size: 5 },
    write: { sse: { mode: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k1' } },
  });
  const c1 = put(kms);
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
  await serverSideCopy(keep.src, 'a', keep.dst, 'b', {
    source: { sha256: SHA, size: 5 },
    keepSourceEncryption: true,
  });
  const c2 = put(keep);
  assert.equal(c2.headers['x-amz-server-side-encryption'], 'aws:kms');
  assert.equal(c2.headers['x-amz-server-side-encryption-aws-kms-key-id'], 'testkey-1');

  // A replica in another account: the bucket's default, not the origin's key.
  const replica = recorder({ size: 5, sourceSse: { 'x-amz-server-side-encryption': 'aws:kms' } });
  await serverSideCopy(replica.src, 'a', replica.dst, 'b', { source: { sha256: SHA, size: 5 } });
  assert.equal(put(replica).headers['x-amz-server-side-encryption'], undefined);
});

test("documents ('metadata') get the encryption only; the store's own settings apply when none are given", async () => {
  const r = recorder({ size: 5 });
  const dst = {
    ...r.dst,
    write: { sse: { mode: 'AES256' as const }, storageClass: 'GLACIER', tags: { a: 'b' } },
  };
  await serverSideCopy(r.src, 'items-1.json', dst, 'items-1.json', {
    source: { sha256: SHA, size: 5 },
    role: 'metadata',
  });
  const copy = put(r);
  assert.equal(copy.headers['x-amz-server-side-encryption'], 'AES256');
  assert.equal(copy.headers['x-amz-storage-class'], undefined);
  assert.equal(copy.headers['x-amz-tagging'], undefined);
});

test('every request is pinned with if-match; the ETag is read again before parts are put together', async () => {
  const r = recorder({ size: 12 * MiB, headEtags: ['abc-2'] });
  await serverSideCopy(r.src, 'a', r.dst, 'b', {
    source: { sha256: SHA, size: 12 * MiB, etag: 'abc-2' },
    contentType: 'application/octet-stream',
    maxSingleCopy: 8 * MiB,
    partSize: 5 * MiB,
  });
  assert.equal(r.seen.filter((s) => s.method === 'HEAD').length, 2);
  const parts = r.seen.filter((s) => 'partNumber' in s.query);
  assert.equal(parts.length, 3);
  for (const p of parts) assert.equal(p.headers['x-amz-copy-source-if-match'], '"abc-2"');
  const last = r.seen.at(-1)!;
  assert.ok(last.method === 'POST' && 'uploadId' in last.query, 'Complete after the second HEAD');
});

test('a source replaced while its parts were copied is refused: the upload is aborted, never completed', async () => {
  const r = recorder({ size: 12 * MiB, headEtags: ['abc-2', 'new-2'] });
  await assert.rejects(
    serverSideCopy(r.src, 'a', r.dst, 'b', {
      source: { sha256: SHA, size: 12 * MiB, etag: 'abc-2' },
      maxSingleCopy: 8 * MiB,
      partSize: 5 * MiB,
    }),
    (e: unknown) => isClaasError(e, 'CONFLICT'),
  );
  assert.equal(r.seen.filter((s) => s.method === 'POST' && 'uploadId' in s.query).length, 0);
  assert.equal(r.seen.filter((s) => s.method === 'DELETE' && 'uploadId' in s.query).length, 1);
});

test('without a SHA-256 the metadata is copied from the source (no REPLACE)', async () => {
  const r = recorder({ size: 5, headEtags: ['e1'] });
  await serverSideCopy(r.src, 'a/item.json', r.dst, 'a/item.json', {
    source: { size: 5, etag: 'e1' },
    contentType: 'application/json',
  });
  const copy = put(r);
  assert.equal(copy.headers['x-amz-metadata-directive'], undefined);
  assert.equal(copy.headers['x-amz-meta-sha256'], undefined);
  assert.equal(copy.headers['x-amz-copy-source-if-match'], '"e1"');
});

test('a source replaced since planning is refused: 412 from the server, or the HEAD says so', async () => {
  const gone = recorder({ size: 5, copyObject: 'precondition-failed', headEtags: ['old'] });
  await assert.rejects(
    serverSideCopy(gone.src, 'a', gone.dst, 'b', {
      source: { size: 5, etag: 'old', sha256: SHA },
      contentType: 'application/octet-stream',
    }),
    (e: unknown) => isClaasError(e, 'CONFLICT') && /changed since the copy was planned/.test(e.message),
  );

  const otherEtag = recorder({ size: 5, headEtags: ['new'] });
  await assert.rejects(
    serverSideCopy(otherEtag.src, 'a', otherEtag.dst, 'b', { source: { size: 5, etag: 'old', sha256: SHA } }),
    (e: unknown) => isClaasError(e, 'CONFLICT'),
  );
  assert.equal(otherEtag.seen.filter((s) => s.method !== 'HEAD').length, 0);

  const otherHash = recorder({ size: 5, sourceHead: { 'x-amz-meta-sha256': 'b'.repeat(64) } });
  await assert.rejects(
    serverSideCopy(otherHash.src, 'a', otherHash.dst, 'b', { source: { size: 5, sha256: SHA } }),
    (e: unknown) => isClaasError(e, 'INTEGRITY') && /holds SHA-256 b{64}, expected a{64}/.test(e.message),
  );
  assert.equal(otherHash.seen.filter((s) => s.method !== 'HEAD').length, 0);
});

test('NotImplemented CopyObject (RGW 16 with SSE-KMS sources) falls back to UploadPartCopy', async () => {
  const r = recorder({ size: 5, copyObject: 'not-implemented' });
  await serverSideCopy(r.src, 'a', r.dst, 'b', {
    source: { sha256: SHA, size: 5 },
    write: { sse: { mode: 'aws:kms', kmsKeyId: 'testkey-1' } },
  });
  assert.equal(
    r.seen.filter((s) => s.method === 'PUT' && !('partNumber' in s.query)).length,
    1,
    'NotImplemented is not sent again',
  );
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

test('objects over the threshold are copied in parts with ranges; progress as parts complete', async () => {
  const size = 12 * MiB + 3;
  const r = recorder({ size });
  const progress: number[] = [];
  await serverSideCopy(r.src, 'a', r.dst, 'b', {
    source: { sha256: SHA, size },
    maxSingleCopy: 8 * MiB,
    partSize: 5 * MiB,
    write: { storageClass: 'DEEP_ARCHIVE' },
    onProgress: (n) => progress.push(n),
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
  assert.deepEqual(
    progress.sort((a, b) => a - b),
    [2 * MiB + 3, 5 * MiB, 5 * MiB],
  );
});

test('a part that fails with 500 is sent again whole; the copy completes', async () => {
  const size = 12 * MiB;
  const r = recorder({ size, failPartOnce: [2] });
  const retries: number[] = [];
  await serverSideCopy(r.src, 'a', r.dst, 'b', {
    source: { sha256: SHA, size },
    maxSingleCopy: 8 * MiB,
    partSize: 5 * MiB,
    onRetry: (_e, attempt) => retries.push(attempt),
  });
  const part2 = r.seen.filter((s) => s.query.partNumber === '2');
  assert.equal(part2.length, 2);
  assert.equal(part2[0]!.headers['x-amz-copy-source-range'], part2[1]!.headers['x-amz-copy-source-range']);
  assert.deepEqual(retries, [1]);
  const complete = r.seen.find((s) => s.method === 'POST' && 'uploadId' in s.query)!;
  assert.match(complete.body, /<ETag>&quot;p2&quot;<\/ETag><PartNumber>2<\/PartNumber>/);
});

test('a source of the wrong size is refused before anything is copied', async () => {
  const r = recorder({ size: 4 });
  await assert.rejects(
    serverSideCopy(r.src, 'a', r.dst, 'b', { source: { sha256: SHA, size: 5 } }),
    /has 4 bytes, expected 5/,
  );
  assert.equal(r.seen.filter((s) => s.method !== 'HEAD').length, 0);
});
