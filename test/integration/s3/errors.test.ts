// What users see when S3 says no, against Ceph RGW: a wrong secret is AUTH, a read-only subscriber (bucket
// policy) can read but its put is FORBIDDEN, a missing bucket is NOT_FOUND with the --create-bucket hint,
// a closed port is UNREACHABLE naming the endpoint. No message carries a key or secret.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClaasError, isClaasError } from '../../../src/errors.js';
import { openS3Store } from '../../../src/store/s3.js';
import {
  cephSkip,
  createBucket,
  credentialsOf,
  deleteBucket,
  openTestStore,
  putReadOnlyPolicy,
  s3Location,
  uniqueBucketName,
  waitFor,
} from '../../helpers/ceph.js';

const skip = cephSkip();

function noSecrets(e: unknown): void {
  assert.ok(e instanceof ClaasError);
  const text = JSON.stringify([e.message, e.hint, e.input, String(e.cause), e.toJSON()]);
  for (const user of ['publisher', 'subscriber', 'client-a'] as const) {
    const { accessKeyId, secretAccessKey } = credentialsOf(user);
    assert.ok(!text.includes(accessKeyId), `error shows ${user}'s access key`);
    assert.ok(!text.includes(secretAccessKey), `error shows ${user}'s secret`);
  }
}

describe('S3 errors on Ceph RGW', { skip }, () => {
  const bucket = uniqueBucketName('claas-errors');
  before(async () => {
    await createBucket(bucket);
    await putReadOnlyPolicy(bucket, 'subscriber');
    const store = await openTestStore('publisher', bucket, 'lib');
    try {
      await store.put('lib.json', { kind: 'bytes', data: Buffer.from('{}') });
    } finally {
      store.close();
    }
  });
  after(async () => deleteBucket(bucket));

  test('a wrong secret is AUTH naming the location', async () => {
    const { accessKeyId } = credentialsOf('publisher');
    const store = await openS3Store(s3Location(bucket, 'lib'), {
      credentials: { accessKeyId, secretAccessKey: 'not-the-secret-0000000000000000000000000' },
    });
    try {
      for (const attempt of [
        () => store.put('x', { kind: 'bytes', data: Buffer.from('x') }),
        () => store.readBytes('lib.json'),
        () => store.head('lib.json'),
        () => store.probe(),
      ]) {
        await assert.rejects(attempt(), (e: unknown) => {
          assert.ok(isClaasError(e, 'AUTH'), `expected AUTH, got ${String(e)}`);
          assert.match(e.message, new RegExp(`credentials for s3://${bucket}/lib.* were rejected`));
          assert.match(e.hint ?? '', /AWS_PROFILE|profile/);
          noSecrets(e);
          return true;
        });
      }
    } finally {
      store.close();
    }
  });

  test('an unknown access key is AUTH too', async () => {
    const store = await openS3Store(s3Location(bucket, 'lib'), {
      credentials: {
        accessKeyId: 'CLAASNOSUCHKEY000001',
        secretAccessKey: 'whatever-secret-000000000000000000000000',
      },
    });
    try {
      await assert.rejects(store.readBytes('lib.json'), (e: unknown) => isClaasError(e, 'AUTH'));
    } finally {
      store.close();
    }
  });

  test('the read-only subscriber can read, but its put is FORBIDDEN: "can read but not write"', async () => {
    const store = await openTestStore('subscriber', bucket, 'lib');
    try {
      // The policy is bucket configuration: give it a moment to apply.
      await waitFor(async () => (await store.readBytes('lib.json'))?.toString() === '{}', 30_000, {
        what: 'the subscriber to read through the bucket policy',
      });
      assert.deepEqual(await store.probe(), { exists: true, empty: false });
      await assert.rejects(
        store.put('evil.json', { kind: 'bytes', data: Buffer.from('{}') }),
        (e: unknown) => {
          assert.ok(isClaasError(e, 'FORBIDDEN'), `expected FORBIDDEN, got ${String(e)}`);
          assert.match(e.message, new RegExp(`can read but not write s3://${bucket}/lib`));
          noSecrets(e);
          return true;
        },
      );
      await assert.rejects(store.delete(['lib.json']), (e: unknown) => isClaasError(e, 'FORBIDDEN'));
    } finally {
      store.close();
    }
    const publisher = await openTestStore('publisher', bucket, 'lib');
    try {
      assert.equal(await publisher.head('evil.json'), undefined);
      assert.ok((await publisher.head('lib.json')) !== undefined, 'the subscriber deleted an object');
    } finally {
      publisher.close();
    }
  });

  test('the subscriber cannot create buckets of its own', async () => {
    const store = await openTestStore('subscriber', uniqueBucketName('claas-sub-own'), 'lib');
    try {
      await assert.rejects(store.features.bucket!.ensureBucket(), (e: unknown) => {
        assert.ok(isClaasError(e, 'FORBIDDEN'), `expected FORBIDDEN, got ${String(e)}`);
        assert.match(e.message, /may not create the bucket/);
        return true;
      });
    } finally {
      store.close();
    }
  });

  test('another account without a policy cannot read: FORBIDDEN "cannot read"', async () => {
    const store = await openTestStore('client-a', bucket, 'lib');
    try {
      await assert.rejects(store.readBytes('lib.json'), (e: unknown) => {
        assert.ok(isClaasError(e, 'FORBIDDEN'), `expected FORBIDDEN, got ${String(e)}`);
        assert.match(e.message, /cannot read/);
        return true;
      });
    } finally {
      store.close();
    }
  });

  test('a missing bucket is NOT_FOUND with the --create-bucket hint', async () => {
    const store = await openTestStore('publisher', uniqueBucketName('claas-missing'), 'lib');
    try {
      assert.deepEqual(await store.probe(), { exists: false, empty: true });
      for (const attempt of [
        () => store.put('lib.json', { kind: 'bytes', data: Buffer.from('{}') }),
        () => store.read('lib.json'),
      ]) {
        await assert.rejects(attempt(), (e: unknown) => {
          assert.ok(isClaasError(e, 'NOT_FOUND'), `expected NOT_FOUND, got ${String(e)}`);
          assert.match(e.message, /bucket .* does not exist/);
          assert.match(e.hint ?? '', /--create-bucket/);
          return true;
        });
      }
    } finally {
      store.close();
    }
  });

  test('a closed port is UNREACHABLE naming the endpoint', async () => {
    const endpoint = 'http://127.0.0.1:9';
    const store = await openS3Store(
      { kind: 's3', bucket, prefix: 'lib', endpoint, region: 'us-east-1' },
      { credentials: credentialsOf('publisher'), maxAttempts: 2 },
    );
    const started = Date.now();
    try {
      await assert.rejects(store.readBytes('lib.json'), (e: unknown) => {
        assert.ok(isClaasError(e, 'UNREACHABLE'), `expected UNREACHABLE, got ${String(e)}`);
        assert.match(e.message, /http:\/\/127\.0\.0\.1:9/);
        noSecrets(e);
        return true;
      });
      await assert.rejects(store.put('x', { kind: 'bytes', data: Buffer.from('x') }), (e: unknown) =>
        isClaasError(e, 'UNREACHABLE'),
      );
      assert.ok(Date.now() - started < 60_000);
    } finally {
      store.close();
    }
  });
});
