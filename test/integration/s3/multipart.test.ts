// Multipart uploads against Ceph RGW: a 40 MiB object in 5 MiB parts (small threshold so the test is fast)
// with matching bytes and x-amz-meta-sha256; an interrupted upload that resumes sending only the missing
// parts; a resume whose upload was aborted on the server starts over; gc helpers list and abort uploads.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortMultipartUploadCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { declarePayloadSha256 } from '../../../src/store/s3-client.js';
import { isClaasError } from '../../../src/errors.js';
import { MiB } from '../../../src/store/s3-part-size.js';
import type { S3StoreOptions } from '../../../src/store/s3.js';
import {
  cephSkip,
  createBucket,
  deleteBucket,
  makeS3Client,
  openTestStore,
  uniqueBucketName,
} from '../../helpers/ceph.js';

const skip = cephSkip();
const SIZE = 40 * MiB;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('S3 multipart uploads on Ceph RGW', { skip }, () => {
  const bucket = uniqueBucketName('claas-mpu');
  let dir = '';
  let file = '';
  let data: Buffer = Buffer.alloc(0);
  let digest = '';

  before(async () => {
    await createBucket(bucket);
    dir = await mkdtemp(join(tmpdir(), 'claas-s3-mpu-'));
    file = join(dir, 'disk.vmdk');
    data = randomBytes(SIZE);
    digest = sha(data);
    await writeFile(file, data);
  });
  after(async () => {
    await deleteBucket(bucket);
    await rm(dir, { recursive: true, force: true });
  });

  const options = (checkpointDir: string, extra: S3StoreOptions = {}): S3StoreOptions => ({
    checkpointDir,
    multipartThreshold: 8 * MiB,
    minPartSize: 5 * MiB,
    concurrency: { parts: 2 },
    ...extra,
  });

  test('a 40 MiB file goes up in 8 parts; bytes and x-amz-meta-sha256 match', async () => {
    const checkpoints = join(dir, 'cp-basic');
    const store = await openTestStore('publisher', bucket, 'lib', options(checkpoints));
    const raw = makeS3Client('publisher');
    try {
      let progress = 0;
      await store.put(
        'big/disk.vmdk',
        { kind: 'file', path: file },
        { sha256: digest, onProgress: (n) => (progress += n) },
      );
      assert.equal(progress, SIZE);
      const stats = store.lastPutStats('big/disk.vmdk');
      assert.deepEqual(
        {
          multipart: stats?.multipart,
          parts: stats?.parts,
          sent: stats?.partsSent,
          reused: stats?.partsReused,
        },
        { multipart: true, parts: 8, sent: 8, reused: 0 },
      );
      const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: 'lib/big/disk.vmdk' }));
      assert.equal(head.ContentLength, SIZE);
      assert.equal(head.Metadata?.sha256, digest);
      assert.match(head.ETag ?? '', /-8"$/);
      const back = await store.readBytes('big/disk.vmdk');
      assert.ok(back !== undefined && back.equals(data), 'object bytes differ from the file');
      assert.deepEqual(await readdir(checkpoints), [], 'checkpoint left after completion');
      assert.deepEqual(await store.listMultipartUploads(), []);
    } finally {
      raw.destroy();
      store.close();
    }
  });

  test('without a given SHA-256 the store computes it; a file range is uploaded as its own object', async () => {
    const store = await openTestStore('publisher', bucket, 'lib', options(join(dir, 'cp-range')));
    try {
      const offset = 3 * MiB + 7;
      const length = 17 * MiB + 3;
      await store.put('range.bin', { kind: 'file', path: file, offset, length });
      const info = await store.stat('range.bin');
      assert.equal(info?.size, length);
      assert.equal(info?.sha256, sha(data.subarray(offset, offset + length)));
      assert.equal(store.lastPutStats()?.parts, 4);
    } finally {
      store.close();
    }
  });

  test('an interrupted upload resumes: only the missing parts are sent', async () => {
    const checkpoints = join(dir, 'cp-resume');
    const first = await openTestStore('publisher', bucket, 'lib', options(checkpoints));
    const ctrl = new AbortController();
    let parts = 0;
    try {
      await assert.rejects(
        first.put(
          'resume/disk.vmdk',
          { kind: 'file', path: file },
          {
            sha256: digest,
            signal: ctrl.signal,
            onProgress: () => {
              if (++parts === 3) ctrl.abort(new Error('simulated kill'));
            },
          },
        ),
        /simulated kill/,
      );
      assert.equal(await first.head('resume/disk.vmdk'), undefined, 'a partial object became visible');
      const pending = await first.listMultipartUploads();
      assert.deepEqual(
        pending.map((u) => u.key),
        ['resume/disk.vmdk'],
      );
      assert.ok(pending[0]!.initiated instanceof Date);
      assert.equal((await readdir(checkpoints)).length, 1, 'no checkpoint was written');
    } finally {
      first.close();
    }

    // A new store (a new process, as after a kill) with the same checkpoint folder.
    const second = await openTestStore('publisher', bucket, 'lib', options(checkpoints));
    try {
      await second.put('resume/disk.vmdk', { kind: 'file', path: file }, { sha256: digest });
      const stats = second.lastPutStats('resume/disk.vmdk');
      assert.ok(stats !== undefined);
      assert.equal(stats.resumed, true);
      assert.equal(stats.parts, 8);
      assert.ok(stats.partsReused >= 3, `only ${stats.partsReused} parts reused`);
      assert.equal(stats.partsSent, stats.parts - stats.partsReused);
      const back = await second.readBytes('resume/disk.vmdk');
      assert.ok(back !== undefined && back.equals(data), 'resumed object differs from the file');
      assert.equal((await second.stat('resume/disk.vmdk'))?.sha256, digest);
      assert.deepEqual(await readdir(checkpoints), []);
      assert.deepEqual(await second.listMultipartUploads(), []);
    } finally {
      second.close();
    }
  });

  test('a checkpoint whose upload is gone on the server starts over', async () => {
    const checkpoints = join(dir, 'cp-gone');
    const store = await openTestStore('publisher', bucket, 'lib', options(checkpoints));
    const raw = makeS3Client('publisher');
    try {
      const ctrl = new AbortController();
      let parts = 0;
      await assert.rejects(
        store.put(
          'gone/disk.vmdk',
          { kind: 'file', path: file },
          { sha256: digest, signal: ctrl.signal, onProgress: () => ++parts === 2 && ctrl.abort() },
        ),
      );
      const [upload] = await store.listMultipartUploads();
      assert.ok(upload !== undefined);
      await raw.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: 'lib/gone/disk.vmdk',
          UploadId: upload.uploadId,
        }),
      );

      await store.put('gone/disk.vmdk', { kind: 'file', path: file }, { sha256: digest });
      const stats = store.lastPutStats('gone/disk.vmdk');
      assert.deepEqual(
        { resumed: stats?.resumed, reused: stats?.partsReused, sent: stats?.partsSent },
        {
          resumed: false,
          reused: 0,
          sent: 8,
        },
      );
      assert.equal((await store.stat('gone/disk.vmdk'))?.sha256, digest);
    } finally {
      raw.destroy();
      store.close();
    }
  });

  test('a multipart put with the wrong SHA-256 is refused and its upload aborted', async () => {
    const checkpoints = join(dir, 'cp-bad');
    const store = await openTestStore('publisher', bucket, 'lib', options(checkpoints));
    try {
      await assert.rejects(
        store.put('bad/disk.vmdk', { kind: 'file', path: file }, { sha256: 'f'.repeat(64) }),
        (e: unknown) => isClaasError(e, 'INTEGRITY'),
      );
      assert.equal(await store.head('bad/disk.vmdk'), undefined);
      assert.deepEqual(await store.listMultipartUploads(), []);
      assert.deepEqual(await readdir(checkpoints), []);
    } finally {
      store.close();
    }
  });

  test('a file hashed by the caller is not hashed again while its stat holds; a change mid-upload is refused', async () => {
    const store = await openTestStore('publisher', bucket, 'lib', options(join(dir, 'cp-stat')));
    const copy = join(dir, 'changing.vmdk');
    try {
      await writeFile(copy, data);
      const st = await stat(copy);
      const scanned = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
      // Unchanged: trusted, uploaded, the stored bytes are the file's.
      await store.put('trusted/disk.vmdk', { kind: 'file', path: copy, stat: scanned }, { sha256: digest });
      const back = await store.readBytes('trusted/disk.vmdk');
      assert.ok(back !== undefined && sha(back) === digest);

      // Rewritten in place (same size) after the first part: the upload is aborted, nothing is stored.
      let rewritten = false;
      await assert.rejects(
        store.put(
          'changed/disk.vmdk',
          { kind: 'file', path: copy, stat: scanned },
          {
            sha256: digest,
            onProgress: () => {
              if (rewritten) return;
              rewritten = true;
              const fh = openSync(copy, 'r+');
              writeSync(fh, Buffer.from('changed!'), 0, 8, SIZE - 8);
              closeSync(fh);
            },
          },
        ),
        (e: unknown) => isClaasError(e, 'INTEGRITY') && /changed while it was uploaded/.test(e.message),
      );
      assert.equal(await store.stat('changed/disk.vmdk'), undefined);
      assert.deepEqual(await store.listMultipartUploads(), []);

      // A stat that no longer matches when the upload starts: the file is hashed as it is read, and the
      // SHA-256 the caller gave no longer matches: refused as well.
      await assert.rejects(
        store.put('stale/disk.vmdk', { kind: 'file', path: copy, stat: scanned }, { sha256: digest }),
        (e: unknown) => isClaasError(e, 'INTEGRITY'),
      );
      assert.equal(await store.stat('stale/disk.vmdk'), undefined);
    } finally {
      store.close();
    }
  });

  test('uploads are signed with the SHA-256 of their bytes: RGW refuses bytes that do not match it', async () => {
    const raw = makeS3Client('publisher');
    try {
      const body = Buffer.from('the bytes claas read');
      declarePayloadSha256(body, sha(Buffer.from('other bytes')));
      await assert.rejects(
        raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'lib/mismatch.txt', Body: body })),
        (e: unknown) => /SHA256|Mismatch|BadDigest/i.test(`${(e as Error).name} ${(e as Error).message}`),
      );
      const good = Buffer.from('the bytes claas read');
      declarePayloadSha256(good, sha(good));
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'lib/match.txt', Body: good }));
    } finally {
      raw.destroy();
    }
  });

  test('gc helpers: abortUpload removes an unfinished upload and its checkpoint', async () => {
    const checkpoints = join(dir, 'cp-gc');
    const store = await openTestStore('publisher', bucket, 'lib', options(checkpoints));
    try {
      const ctrl = new AbortController();
      await assert.rejects(
        store.put(
          'gc/disk.vmdk',
          { kind: 'file', path: file },
          { sha256: digest, signal: ctrl.signal, onProgress: () => ctrl.abort() },
        ),
      );
      const uploads = await store.listMultipartUploads();
      assert.equal(uploads.length, 1);
      const cp = join(checkpoints, (await readdir(checkpoints))[0]!);
      assert.ok(existsSync(cp));
      await store.abortUpload(uploads[0]!.key, uploads[0]!.uploadId);
      await store.abortUpload(uploads[0]!.key, uploads[0]!.uploadId); // already gone: not an error
      assert.deepEqual(await store.listMultipartUploads(), []);
      assert.ok(!existsSync(cp), 'checkpoint kept after abortUpload');
    } finally {
      store.close();
    }
  });
});
