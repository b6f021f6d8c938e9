// claas's own retry around uploads, against a small fake S3 server: 503 SlowDown and dropped connections
// are retried (the part is sent again, whole), 403s are not. The SDK's retries are off (maxAttempts 1) so
// only claas's retry is at work.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isClaasError } from '../../../src/errors.js';
import { openS3Store } from '../../../src/store/s3.js';
import { MiB } from '../../../src/store/s3-part-size.js';

interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
}

type Fault = (req: Request, res: ServerResponse) => boolean;

function xmlError(res: ServerResponse, status: number, code: string): true {
  res.statusCode = status;
  res.setHeader('content-type', 'application/xml');
  res.end(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  return true;
}

/** A fake S3 speaking just enough of PutObject and multipart uploads; `fault` may answer first. */
async function withFakeS3(
  fault: Fault,
  fn: (endpoint: string, seen: Request[], parts: Map<number, Buffer>) => Promise<void>,
): Promise<void> {
  const seen: Request[] = [];
  const parts = new Map<number, Buffer>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const r: Request = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        body: Buffer.concat(chunks),
      };
      seen.push(r);
      if (fault(r, res)) return;
      const etag = `"${createHash('md5').update(r.body).digest('hex')}"`;
      res.setHeader('content-type', 'application/xml');
      if (r.method === 'POST' && r.query.has('uploads')) {
        res.end(
          '<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>',
        );
      } else if (r.method === 'PUT' && r.query.has('partNumber')) {
        parts.set(Number(r.query.get('partNumber')), r.body);
        res.setHeader('etag', etag);
        res.end();
      } else if (r.method === 'POST' && r.query.has('uploadId')) {
        res.end(
          '<CompleteMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key><ETag>"x-2"</ETag></CompleteMultipartUploadResult>',
        );
      } else if (r.method === 'PUT') {
        res.setHeader('etag', etag);
        res.end();
      } else {
        xmlError(res, 400, 'NotImplemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, parts);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function storeFor(endpoint: string, checkpointDir: string) {
  return openS3Store(
    { kind: 's3', bucket: 'bkt', prefix: 'lib', endpoint, region: 'us-east-1' },
    {
      credentials: { accessKeyId: 'TESTKEY', secretAccessKey: 'testsecret' },
      maxAttempts: 1,
      retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
      checkpointDir,
      multipartThreshold: 8 * MiB,
      minPartSize: 5 * MiB,
    },
  );
}

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'claas-s3-retry-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('503 SlowDown on PutObject is retried until it passes', async () => {
  let failures = 2;
  await withTmp((dir) =>
    withFakeS3(
      (r, res) => r.method === 'PUT' && failures-- > 0 && xmlError(res, 503, 'SlowDown'),
      async (endpoint, seen) => {
        const store = await storeFor(endpoint, dir);
        try {
          await store.put('lib.json', { kind: 'bytes', data: Buffer.from('{}') });
          assert.equal(seen.length, 3);
          assert.equal(store.lastPutStats()?.retries, 2);
        } finally {
          store.close();
        }
      },
    ),
  );
});

test('a part whose connection drops is sent again, whole', async () => {
  let dropped = false;
  const data = Buffer.alloc(12 * MiB, 7);
  data.write('the end', data.length - 7);
  await withTmp((dir) =>
    withFakeS3(
      (r, res) => {
        if (r.query.get('partNumber') === '2' && !dropped) {
          dropped = true;
          res.socket?.destroy();
          return true;
        }
        return false;
      },
      async (endpoint, seen, parts) => {
        const store = await storeFor(endpoint, dir);
        try {
          await store.put('disk.vmdk', { kind: 'bytes', data });
          assert.equal(seen.filter((r) => r.query.get('partNumber') === '2').length, 2);
          const sent = [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
          assert.equal(sent.length, 3);
          assert.deepEqual(Buffer.concat(sent), data);
          const stats = store.lastPutStats();
          assert.equal(stats?.retries, 1);
          assert.equal(stats?.partsSent, 3);
        } finally {
          store.close();
        }
      },
    ),
  );
});

test('403 AccessDenied and SignatureDoesNotMatch are not retried', async () => {
  for (const [code, expected] of [
    ['AccessDenied', 'FORBIDDEN'],
    ['SignatureDoesNotMatch', 'AUTH'],
  ] as const) {
    await withTmp((dir) =>
      withFakeS3(
        (_r, res) => xmlError(res, 403, code),
        async (endpoint, seen) => {
          const store = await storeFor(endpoint, dir);
          try {
            await assert.rejects(
              store.put('lib.json', { kind: 'bytes', data: Buffer.from('{}') }),
              (e: unknown) => isClaasError(e, expected),
            );
            assert.equal(seen.length, 1, `${code} was retried`);
          } finally {
            store.close();
          }
        },
      ),
    );
  }
});
