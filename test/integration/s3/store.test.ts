// The S3 store against a real S3 server (Ceph RGW): put/list/head/read-range/readBytes/delete round trip,
// stored SHA-256 metadata, key order and pagination, probe, write settings (tags, SSE-KMS), hash checks,
// bucket creation and the same data seen from the other zone after replication.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectTaggingCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { isClaasError } from '../../../src/errors.js';
import { mapLimited } from '../../../src/util/pool.js';
import {
  cephSkip,
  createBucket,
  deleteBucket,
  makeS3Client,
  openTestStore,
  uniqueBucketName,
  waitFor,
} from '../../helpers/ceph.js';

const skip = cephSkip();

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function keys(iter: AsyncIterable<{ key: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of iter) out.push(o.key);
  return out;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('S3 store on Ceph RGW', { skip }, () => {
  const bucket = uniqueBucketName('claas-store');
  before(async () => createBucket(bucket));
  after(async () => deleteBucket(bucket));

  test('put, list, head, read (ranges), readBytes and delete round trip under a prefix', async () => {
    const store = await openTestStore('publisher', bucket, 'lib/one');
    try {
      assert.equal(store.kind, 's3');
      assert.equal(store.display, `s3://${bucket}/lib/one`);
      assert.deepEqual(await store.probe(), { exists: true, empty: true });
      const data = Buffer.from('0123456789abcdefghij');
      await store.put('item-1/disk.vmdk', { kind: 'bytes', data }, { sha256: sha(data) });
      await store.put(
        'lib.json',
        { kind: 'bytes', data: Buffer.from('{"a":1}') },
        { contentType: 'application/json' },
      );
      await store.put('items.json', { kind: 'bytes', data: Buffer.from('[]') });
      assert.deepEqual(await store.probe(), { exists: true, empty: false });

      assert.deepEqual(await keys(store.list('')), ['item-1/disk.vmdk', 'items.json', 'lib.json']);
      assert.deepEqual(await keys(store.list('item-1/')), ['item-1/disk.vmdk']);
      assert.deepEqual(await keys(store.list('nothing/')), []);

      const head = await store.head('item-1/disk.vmdk');
      assert.equal(head?.size, 20);
      assert.ok(head.mtime instanceof Date && Math.abs(head.mtime.getTime() - Date.now()) < 600_000);
      assert.equal(await store.head('item-1/missing'), undefined);
      const info = await store.stat('item-1/disk.vmdk');
      assert.equal(info?.sha256, sha(data));
      assert.equal((await store.stat('lib.json'))?.contentType, 'application/json');

      assert.equal((await collect(await store.read('item-1/disk.vmdk'))).toString(), data.toString());
      assert.equal(
        (await collect(await store.read('item-1/disk.vmdk', { start: 5, end: 9 }))).toString(),
        '56789',
      );
      assert.equal((await collect(await store.read('item-1/disk.vmdk', { start: 15 }))).toString(), 'fghij');
      assert.deepEqual(await store.readBytes('lib.json'), Buffer.from('{"a":1}'));
      assert.equal(await store.readBytes('nope.json'), undefined);
      await assert.rejects(store.read('nope.json'), (e: unknown) => isClaasError(e, 'NOT_FOUND'));

      // The object sits at <prefix>/<key> in the bucket.
      const raw = makeS3Client('publisher');
      try {
        const out = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: 'lib/one/lib.json' }));
        assert.equal(out.ContentLength, 7);
      } finally {
        raw.destroy();
      }

      await store.delete(['item-1/disk.vmdk', 'lib.json', 'never-existed']);
      assert.deepEqual(await keys(store.list('')), ['items.json']);
      await store.delete([]);
    } finally {
      store.close();
    }
  });

  test('a put whose bytes do not match the expected SHA-256 leaves nothing behind', async () => {
    const store = await openTestStore('publisher', bucket, 'lib/hash');
    try {
      await assert.rejects(
        store.put('x.bin', { kind: 'bytes', data: Buffer.from('abc') }, { sha256: '0'.repeat(64) }),
        (e: unknown) => isClaasError(e, 'INTEGRITY'),
      );
      assert.equal(await store.head('x.bin'), undefined);
    } finally {
      store.close();
    }
  });

  test('list pages through more than 1,000 keys in key order; delete batches them', async () => {
    const store = await openTestStore('publisher', bucket, 'lib/many');
    try {
      const names = Array.from({ length: 1010 }, (_, i) => `f/${String(i).padStart(4, '0')}`);
      await mapLimited(names, 32, (k) => store.put(k, { kind: 'bytes', data: Buffer.from(k) }));
      const listed = await keys(store.list('f/'));
      assert.equal(listed.length, 1010);
      assert.deepEqual(listed, names);
      await store.delete(names);
      assert.deepEqual(await keys(store.list('')), []);
    } finally {
      store.close();
    }
  });

  test('write settings: tags and SSE-KMS (RGW testing backend) are applied', async () => {
    const store = await openTestStore('publisher', bucket, 'lib/settings', {
      write: {
        tags: { project: 'claas', 'cost center': 'a&b' },
        sse: { mode: 'aws:kms', kmsKeyId: 'testkey-1' },
      },
    });
    const raw = makeS3Client('publisher');
    try {
      const data = Buffer.from('encrypted bytes');
      await store.put('enc.bin', { kind: 'bytes', data });
      assert.deepEqual(await store.readBytes('enc.bin'), data);
      const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: 'lib/settings/enc.bin' }));
      assert.equal(head.ServerSideEncryption, 'aws:kms');
      const tags = await raw.send(
        new GetObjectTaggingCommand({ Bucket: bucket, Key: 'lib/settings/enc.bin' }),
      );
      assert.deepEqual(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value])), {
        project: 'claas',
        'cost center': 'a&b',
      });
    } finally {
      raw.destroy();
      store.close();
    }
  });

  test('createBucket creates a missing bucket, and the other zone sees replicated objects', async () => {
    const fresh = uniqueBucketName('claas-create');
    const unopened = await openTestStore('publisher', fresh, 'lib');
    try {
      assert.deepEqual(await unopened.probe(), { exists: false, empty: true });
    } finally {
      unopened.close();
    }
    const store = await openTestStore('publisher', fresh, 'lib', { createBucket: true });
    const west = await openTestStore('publisher', fresh, 'lib', { zone: 'us-west-2' });
    try {
      assert.deepEqual(await store.probe(), { exists: true, empty: true });
      const data = Buffer.from('replicate me');
      await store.put('lib.json', { kind: 'bytes', data });
      await waitFor(async () => (await west.stat('lib.json'))?.sha256 === sha(data), 90_000, {
        what: 'lib.json on us-west-2',
      });
      assert.deepEqual(await west.readBytes('lib.json'), data);
    } finally {
      store.close();
      west.close();
      await deleteBucket(fresh);
    }
  });
});
