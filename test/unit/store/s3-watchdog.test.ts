// The S3 client's watchdog (src/store/s3-watchdog.ts) against local servers: a black hole (accepts, never
// answers) gets a stall notice naming the endpoint and the pending request, then a ClaasError, and the
// next request fails at once without a new connection; a slow store that keeps reading an upload is not
// given up on. Short waits are configured; nothing asserts how long anything took.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../src/store/s3-client.js';
import {
  DEFAULT_STALL_NOTICE_MS,
  DEFAULT_STORE_TIMEOUT_MS,
  configureStoreWatchdog,
  describeStall,
} from '../../../src/store/s3-watchdog.js';
import type { StallNotice } from '../../../src/store/s3-watchdog.js';
import { ClaasError } from '../../../src/errors.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };

afterEach(() =>
  configureStoreWatchdog({
    stallNoticeMs: DEFAULT_STALL_NOTICE_MS,
    timeoutMs: DEFAULT_STORE_TIMEOUT_MS,
    onStall: undefined,
  }),
);

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a store that never answers: a stall notice, then UNREACHABLE, then fail fast', async () => {
  let connections = 0;
  const hole = createServer((socket) => {
    connections += 1;
    socket.pause();
  });
  const endpoint = await listen(hole);
  const notices: StallNotice[] = [];
  configureStoreWatchdog({ stallNoticeMs: 200, timeoutMs: 1000, onStall: (n) => notices.push(n) });
  const client = createS3Client({ endpoint, credentials, maxAttempts: 3 });
  try {
    await assert.rejects(
      client.send(new HeadObjectCommand({ Bucket: 'lib', Key: 'photon/item.json' })),
      (e: unknown) =>
        e instanceof ClaasError &&
        e.code === 'UNREACHABLE' &&
        e.message.includes(`The S3 store at ${endpoint} stopped answering`) &&
        e.message.includes('HeadObject s3://lib/photon/item.json') &&
        /--store-timeout/.test(e.hint ?? ''),
    );
    assert.ok(notices.length > 0, 'a stall notice came first');
    assert.equal(notices[0]?.endpoint, endpoint);
    assert.deepEqual(
      notices[0]?.pending.map((p) => `${p.operation} ${p.target}`),
      ['HeadObject s3://lib/photon/item.json'],
    );
    assert.match(
      describeStall(notices[0]!),
      /^waiting for the S3 store at http:\/\/127\.0\.0\.1:\d+: no answer for/,
    );

    // Given up: the next request fails at once with the same error, without a new connection.
    const before = connections;
    await assert.rejects(
      client.send(new PutObjectCommand({ Bucket: 'lib', Key: 'lib.json', Body: '{}' })),
      (e: unknown) => e instanceof ClaasError && e.message.includes('HeadObject s3://lib/photon/item.json'),
    );
    assert.equal(connections, before);
  } finally {
    client.destroy();
    hole.close();
  }
});

test('a slow store that keeps reading an upload is not given up on', async () => {
  const server = createHttpServer((req, res) => {
    req.on('data', () => {
      req.pause();
      setTimeout(() => req.resume(), 10);
    });
    req.on('end', () => {
      res.writeHead(200, { etag: '"slow"' });
      res.end();
    });
  });
  const endpoint = await listen(server);
  configureStoreWatchdog({ stallNoticeMs: 500, timeoutMs: 2000 });
  const client = createS3Client({ endpoint, credentials, maxAttempts: 1 });
  try {
    const r = await client.send(
      new PutObjectCommand({ Bucket: 'lib', Key: 'disk.vmdk', Body: Buffer.alloc(40 << 20) }),
    );
    assert.equal(r.ETag, '"slow"');
  } finally {
    client.destroy();
    server.close();
  }
});
