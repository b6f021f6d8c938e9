// `claas verify` on a library make_vcsp_2018.py wrote in S3 mode, in Ceph RGW: each file's etag is its
// object's ETag (different for every file) and its generationNum the object's LastModified. vCenter syncs
// these, so verify warns (naming `claas publish --adopt`) and exits 0; --deep reads every object.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  makeS3Client,
  putReadOnlyPolicy,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { writeMakeVcspS3Library, writeScriptSource } from '../../helpers/make-vcsp.js';

const skip = cephSkip();
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup) await step();
});

test(
  'claas verify on a make_vcsp_2018.py S3-mode library: warnings with the fix, exit 0',
  { skip },
  async () => {
    const work = await mkdtemp(join(tmpdir(), 'claas-verify-mv-s3-'));
    cleanup.push(() => rm(work, { recursive: true, force: true }));
    const bucket = uniqueBucketName('claas-verify-mv');
    await createBucket(bucket);
    cleanup.push(() => deleteBucket(bucket));
    await putReadOnlyPolicy(bucket, 'subscriber');
    const src = join(work, 'source');
    await writeScriptSource(src);
    const client = makeS3Client('publisher');
    try {
      await writeMakeVcspS3Library(client, src, bucket, 'lib', 'legacy-s3');
    } finally {
      client.destroy();
    }

    const env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
    const s3 = [
      '--profile',
      'subscriber',
      '--endpoint',
      cephEnv()!.endpoints['us-east-1'],
      '--region',
      'us-east-1',
    ];
    for (const deep of [[], ['--deep']]) {
      const r = await runCli(['verify', `s3://${bucket}/lib`, ...deep, ...s3], { env });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.doesNotMatch(r.stdout, /ERROR/);
      // photon-mini (3 files) and scripts (2 files): one etag per object; the two ISOs are an item each.
      assert.match(r.stdout, /^OK library "legacy-s3" version 1: 4 items, 7 files/m);
      const etagLines = r.stdout.split('\n').filter((l) => /different etags/.test(l));
      assert.deepEqual(etagLines.map((l) => /item "([^"]+)"/.exec(l)?.[1]).sort(), [
        'photon-mini',
        'scripts',
      ]);
      for (const line of etagLines) {
        assert.match(line, /^warning /);
        assert.match(line, /noticed through each file's generationNum/);
        assert.match(line, /claas publish .*--adopt/);
      }
      assert.doesNotMatch(r.stdout, /no generationNum/);
    }
  },
);
