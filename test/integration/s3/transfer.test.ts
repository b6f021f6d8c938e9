// The copy engine (store/transfer.ts) against Ceph RGW: server-side within a bucket and across buckets,
// UploadPartCopy in parts (limits lowered), streamed between the two zones' endpoints and from a local folder,
// resume skipping a present object, the conditional source refusing an object replaced after planning
// (server-side: the source's HEAD, as RGW 16 ignores x-amz-copy-source-if-match; streamed: the destination's
// SHA-256 check),
// and failures injected by a proxy (a 500 on one UploadPartCopy, a connection reset in the middle of a
// streamed read) sent again whole.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { isClaasError } from '../../../src/errors.js';
import { FsStore } from '../../../src/store/fs.js';
import { openS3Store } from '../../../src/store/s3.js';
import { copyObject } from '../../../src/store/transfer.js';
import type { CopyResult, TransferEvent } from '../../../src/store/transfer.js';
import type { CopySourceCondition, ObjectStore } from '../../../src/store/types.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';
import {
  cephSkip,
  createBucket,
  credentialsOf,
  deleteBucket,
  endpointOf,
  openTestStore,
  uniqueBucketName,
  waitFor,
} from '../../helpers/ceph.js';

const skip = cephSkip();
const MiB = 1024 * 1024;
const FAST = { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Puts random bytes and returns them with the condition a planner would record (listing ETag, SHA-256). */
async function planned(
  store: ObjectStore,
  key: string,
  size: number,
): Promise<{ data: Buffer; source: CopySourceCondition }> {
  const data = randomBytes(size);
  await store.put(key, { kind: 'bytes', data }, { sha256: sha(data) });
  let etag: string | undefined;
  for await (const o of store.list(key)) if (o.key === key) etag = o.etag;
  assert.ok(etag !== undefined);
  return { data, source: { size, etag, sha256: sha(data) } };
}

describe('the copy engine on Ceph RGW', { skip }, () => {
  const bucket = uniqueBucketName('claas-transfer');
  const other = uniqueBucketName('claas-transfer-b');
  const west = uniqueBucketName('claas-transfer-w');
  let work = '';
  const open: ObjectStore[] = [];
  const store = async (b: string, prefix: string, o: Parameters<typeof openTestStore>[3] = {}) => {
    const s = await openTestStore('publisher', b, prefix, o);
    open.push(s);
    return s;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'claas-transfer-'));
    await createBucket(bucket);
    await createBucket(other);
    // Created on the master zone; reached through the us-west-2 endpoint once multisite has synced it.
    await createBucket(west);
    const probe = await openTestStore('publisher', west, '', { zone: 'us-west-2' });
    try {
      await waitFor(async () => (await probe.probe()).exists, 120_000, { what: `${west} at us-west-2` });
    } finally {
      probe.close();
    }
  });
  after(async () => {
    for (const s of open) s.close();
    for (const b of [bucket, other, west]) await deleteBucket(b);
    await rm(work, { recursive: true, force: true });
  });

  test('server-side within a bucket and across buckets, with the planned SHA-256 on the copy', async () => {
    const lib = await store(bucket, 'lib');
    const archive = await store(other, 'archive');
    const { data, source } = await planned(lib, 'item/abc/disk 1.vmdk', 2 * MiB + 5);
    const within = await copyObject(lib, 'item/abc/disk 1.vmdk', lib, 'staged/disk 1.vmdk', { source });
    assert.equal(within.method, 'server-side');
    const across = await copyObject(lib, 'item/abc/disk 1.vmdk', archive, 'v1/item/abc/disk 1.vmdk', {
      source,
      contentType: 'application/octet-stream',
    });
    assert.equal(across.method, 'server-side');
    for (const [s, key] of [
      [lib, 'staged/disk 1.vmdk'],
      [archive, 'v1/item/abc/disk 1.vmdk'],
    ] as const) {
      assert.ok((await s.readBytes(key))?.equals(data), key);
      assert.equal((await s.features.stat?.(key))?.sha256, source.sha256);
    }
  });

  test('UploadPartCopy in parts above the lowered limit; progress as parts complete; no upload left', async () => {
    const lib = await store(bucket, 'parts');
    const archive = await store(other, 'parts');
    const { data, source } = await planned(lib, 'big.iso', 12 * MiB + 17);
    const events: TransferEvent[] = [];
    const r = await copyObject(lib, 'big.iso', archive, 'big.iso', {
      source,
      contentType: 'application/octet-stream',
      maxSingleCopy: MiB,
      partSize: 5 * MiB,
      onEvent: (e) => events.push(e),
    });
    assert.equal(r.method, 'server-side');
    assert.ok((await archive.readBytes('big.iso'))?.equals(data));
    assert.equal((await archive.features.stat?.('big.iso'))?.sha256, source.sha256);
    assert.match((await archive.features.stat?.('big.iso'))?.etag ?? '', /-3"?$/, 'three parts');
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e.bytes] : []));
    assert.deepEqual(
      progress.sort((a, b) => a - b),
      [2 * MiB + 17, 5 * MiB, 5 * MiB],
    );
    assert.deepEqual(await archive.features.multipart?.list(), []);
  });

  test('streamed between the zones’ endpoints and from a local folder; resume skips what is there', async () => {
    const east = await store(bucket, 'zones');
    const westStore = await store(west, 'zones', { zone: 'us-west-2' });
    const { data, source } = await planned(east, 'a/disk.vmdk', 20 * MiB + 3);
    assert.equal(westStore.features.copy?.canCopyFrom(east), false, 'different endpoints');
    const r = await copyObject(east, 'a/disk.vmdk', westStore, 'a/disk.vmdk', { source });
    assert.equal(r.method, 'stream');
    assert.ok((await westStore.readBytes('a/disk.vmdk'))?.equals(data));
    assert.equal((await westStore.features.stat?.('a/disk.vmdk'))?.sha256, source.sha256);

    const again = await copyObject(east, 'a/disk.vmdk', westStore, 'a/disk.vmdk', {
      source,
      skipPresent: true,
    });
    assert.equal(again.method, 'present');

    const folder = new FsStore(join(work, 'folder'));
    const local = Buffer.from('a local file');
    await folder.put('notes.txt', { kind: 'bytes', data: local });
    const up = await copyObject(folder, 'notes.txt', east, 'b/notes.txt', {
      source: { size: local.length, sha256: sha(local) },
    });
    assert.equal(up.method, 'stream');
    assert.equal((await east.readBytes('b/notes.txt'))?.toString(), 'a local file');
    const down = await copyObject(east, 'b/notes.txt', folder, 'back.txt', {
      source: { size: local.length, sha256: sha(local) },
    });
    assert.equal(down.method, 'stream');
    assert.equal((await folder.readBytes('back.txt'))?.toString(), 'a local file');
  });

  test('an object replaced after planning is refused, server-side (also in parts) and streamed', async () => {
    const lib = await store(bucket, 'changed');
    const archive = await store(other, 'changed');
    const westStore = await store(west, 'changed', { zone: 'us-west-2' });
    const small = await planned(lib, 'doc.bin', 1000);
    const large = await planned(lib, 'big.bin', 11 * MiB);
    // Same sizes, other bytes: the planned ETags and SHA-256s no longer hold.
    await lib.put('doc.bin', { kind: 'bytes', data: randomBytes(1000) });
    await lib.put('big.bin', { kind: 'bytes', data: randomBytes(11 * MiB) });
    const refused = (e: unknown) =>
      isClaasError(e, 'CONFLICT') && /changed since the copy was planned/.test(e.message);
    const pinned = { contentType: 'application/octet-stream' };
    await assert.rejects(
      copyObject(lib, 'doc.bin', archive, 'doc.bin', { source: small.source, ...pinned }),
      refused,
    );
    await assert.rejects(
      copyObject(lib, 'big.bin', archive, 'big.bin', {
        source: large.source,
        ...pinned,
        maxSingleCopy: MiB,
        partSize: 5 * MiB,
      }),
      refused,
    );
    await assert.rejects(copyObject(lib, 'doc.bin', archive, 'doc.bin', { source: small.source }), refused);
    await assert.rejects(
      copyObject(lib, 'big.bin', westStore, 'big.bin', { source: large.source }),
      (e: unknown) => isClaasError(e, 'INTEGRITY'),
    );
    for (const [s, key] of [
      [archive, 'doc.bin'],
      [archive, 'big.bin'],
      [westStore, 'big.bin'],
    ] as const) {
      assert.equal(await s.head(key), undefined, `nothing at ${s.display}/${key}`);
    }
    assert.deepEqual(await archive.features.multipart?.list(), []);
  });

  test('a failed UploadPartCopy and a broken streamed read are sent again whole', async () => {
    let partFaults = 0;
    const proxy = await startFaultProxy({
      target: endpointOf('us-east-1'),
      schedule: (_n, req) => {
        const url = req.url ?? '';
        if (req.method === 'PUT' && url.includes('partNumber=2') && req.headers['x-amz-copy-source']) {
          partFaults += 1;
          return partFaults === 1 ? 'internal-error' : undefined;
        }
        if (req.method === 'GET' && url.split('?')[0]!.endsWith('/stream.bin')) return 'reset-response';
        return undefined;
      },
      maxFaults: 2,
    });
    const viaProxy = (b: string, prefix: string) =>
      openS3Store(
        { kind: 's3', bucket: b, prefix, endpoint: proxy.url, region: 'us-east-1' },
        { credentials: credentialsOf('publisher'), maxAttempts: 1, retry: FAST },
      );
    const lib = await viaProxy(bucket, 'faults');
    const archive = await viaProxy(other, 'faults');
    const westStore = await store(west, 'faults', { zone: 'us-west-2' });
    try {
      const big = await planned(lib, 'parts.bin', 12 * MiB);
      const retried: TransferEvent[] = [];
      const r: CopyResult = await copyObject(lib, 'parts.bin', archive, 'parts.bin', {
        source: big.source,
        contentType: 'application/octet-stream',
        maxSingleCopy: MiB,
        partSize: 5 * MiB,
        onEvent: (e) => (e.type === 'retry' ? retried.push(e) : undefined),
      });
      assert.equal(r.method, 'server-side');
      assert.equal(r.retries, 1);
      assert.equal(proxy.counts['internal-error'], 1);
      assert.equal(partFaults, 2, 'part 2 was sent twice');
      assert.ok((await archive.readBytes('parts.bin'))?.equals(big.data));

      const streamed = await planned(lib, 'stream.bin', 3 * MiB);
      const s = await copyObject(lib, 'stream.bin', westStore, 'stream.bin', {
        source: streamed.source,
        retry: FAST,
      });
      assert.equal(s.method, 'stream');
      assert.equal(proxy.counts['reset-response'], 1, JSON.stringify(proxy.counts));
      assert.equal(s.retries, 1);
      assert.ok((await westStore.readBytes('stream.bin'))?.equals(streamed.data));
    } finally {
      lib.close();
      archive.close();
      await proxy.close();
    }
  });
});
