// What an S3 store's BucketAdmin (store.features.bucket) and its open options send, for what Ceph RGW 16
// cannot show: every lifecycle element it drops, Content-MD5 on PutBucketLifecycleConfiguration, the
// bucket-owner-full-control ACL of writes into another owner's bucket; and errors that keep the S3 code and
// status `replication apply` explains refusals with. A local HTTP server stands in for S3; the real store
// and SDK build the requests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readVersioning, writeLifecycleRules } from '../../../src/archive/lifecycle-s3.js';
import { desiredLifecycleRules } from '../../../src/archive/lifecycle.js';
import { isClaasError } from '../../../src/errors.js';
import { openS3Store } from '../../../src/store/s3.js';
import type { S3StoreOptions } from '../../../src/store/s3.js';
import { underlyingCode, underlyingStatus } from '../../../src/store/s3-errors.js';
import type { BucketAdmin, ObjectStore } from '../../../src/store/types.js';
import { withFakeS3 } from '../../helpers/fake-s3.js';
import type { SeenRequest } from '../../helpers/fake-s3.js';

const credentials = { accessKeyId: 'TESTKEY', secretAccessKey: 'testsecret' };

async function withStore(
  endpoint: string,
  fn: (store: ObjectStore, bucket: BucketAdmin) => Promise<void>,
): Promise<void> {
  const store = await openS3Store(
    { kind: 's3', bucket: 'templates', prefix: 'lib', endpoint, region: 'us-east-1' },
    { credentials, maxAttempts: 1 },
  );
  try {
    assert.ok(store.features.bucket !== undefined, 'an S3 store administers its bucket');
    await fn(store, store.features.bucket);
  } finally {
    store.close();
  }
}

test('lifecycle rules go out with Content-MD5 and every element RGW 16 drops', async () => {
  await withFakeS3(async (endpoint, seen) => {
    await withStore(endpoint, async (store) => {
      const rules = desiredLifecycleRules({
        library: 't',
        prefix: 'lib',
        noncurrentDays: 30,
        keepNoncurrent: 3,
        archive: { prefix: 'lib/.claas-archive', storageClass: 'GLACIER', days: 1, minSize: 131072 },
      });
      await writeLifecycleRules(store, rules);
    });
    const put = seen.find((s) => s.method === 'PUT' && s.url.includes('lifecycle'));
    assert.ok(put !== undefined, JSON.stringify(seen.map((s) => `${s.method} ${s.url}`)));
    const body = put.body.toString();
    assert.match(put.url, /^\/templates\/?\?lifecycle/);
    assert.equal(put.headers['content-md5'], createHash('md5').update(put.body).digest('base64'));
    assert.match(body, /<NewerNoncurrentVersions>3<\/NewerNoncurrentVersions>/);
    assert.match(
      body,
      /<And><Prefix>lib\/\.claas-archive\/<\/Prefix><ObjectSizeGreaterThan>131072<\/ObjectSizeGreaterThan><\/And>/,
    );
    assert.match(body, /<Transition><Days>1<\/Days><StorageClass>GLACIER<\/StorageClass><\/Transition>/);
    assert.match(body, /<ExpiredObjectDeleteMarker>true<\/ExpiredObjectDeleteMarker>/);
  });
});

test('no lifecycle rule left: the configuration is deleted, not written empty', async () => {
  await withFakeS3(
    async (endpoint, seen) => {
      await withStore(endpoint, (store) => writeLifecycleRules(store, []));
      assert.deepEqual(
        seen.map((s) => s.method),
        ['DELETE'],
      );
      assert.match(seen[0]!.url, /^\/templates\/?\?lifecycle/);
    },
    () => ({ status: 204 }),
  );
});

test('versioning and replication are read as the bucket reports them; an empty RGW answer is none', async () => {
  const answers: Record<string, string> = {
    versioning:
      '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Suspended</Status></VersioningConfiguration>',
    replication:
      '<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Role></Role></ReplicationConfiguration>',
  };
  await withFakeS3(
    async (endpoint) => {
      await withStore(endpoint, async (store, bucket) => {
        assert.equal(await readVersioning(store), 'Suspended');
        assert.equal(await bucket.getReplication(), undefined);
      });
    },
    (r) => ({ body: answers[Object.keys(answers).find((k) => r.url.includes(k)) ?? ''] ?? '' }),
  );
});

test('a refused bucket call is a ClaasError that keeps the S3 code and status', async () => {
  const denied =
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>';
  await withFakeS3(
    async (endpoint) => {
      await withStore(endpoint, async (_store, bucket) => {
        await assert.rejects(bucket.getPolicy(), (e: unknown) => {
          assert.ok(isClaasError(e, 'FORBIDDEN'), String(e));
          assert.match(e.message, /s3:\/\/templates\b/);
          assert.equal(underlyingCode(e), 'AccessDenied');
          assert.equal(underlyingStatus(e), 403);
          return true;
        });
      });
    },
    () => ({ status: 403, body: denied }),
  );
});

test('bucketOwnerFullControl: object writes carry x-amz-acl bucket-owner-full-control, others none', async () => {
  await withFakeS3(async (endpoint, seen) => {
    const put = async (opts: S3StoreOptions): Promise<SeenRequest> => {
      const store = await openS3Store(
        { kind: 's3', bucket: 'replica', prefix: 'lib', endpoint, region: 'us-east-1' },
        { credentials, maxAttempts: 1, ...opts },
      );
      try {
        await store.put('a.txt', { kind: 'bytes', data: Buffer.from('hello') });
      } finally {
        store.close();
      }
      return seen.at(-1)!;
    };
    const granted = await put({ bucketOwnerFullControl: true });
    assert.equal(granted.method, 'PUT');
    assert.match(granted.url, /^\/replica\/lib\/a\.txt(\?|$)/);
    assert.equal(granted.headers['x-amz-acl'], 'bucket-owner-full-control');
    const plain = await put({});
    assert.equal(plain.method, 'PUT');
    assert.match(plain.url, /^\/replica\/lib\/a\.txt(\?|$)/);
    assert.equal(plain.headers['x-amz-acl'], undefined);
  });
});
