// A store that stops answering in the middle of a publish: Ceph RGW behind a proxy that, after the first
// few uploads, takes every PUT and never answers. `claas publish` prints a stall notice naming the
// endpoint and the pending uploads, gives up with a clear error (no hang), and the next publish straight
// to RGW completes the library. Waits are set small with CLAAS_STORE_STALL_NOTICE and --store-timeout.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { cephEnv, cephSkip, createBucket, deleteBucket, uniqueBucketName } from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { startFaultProxy } from '../../helpers/fault-proxy.js';

const skip = cephSkip();
let work = '';
let env: Record<string, string> = {};
let bucket = '';

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-stall-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)), CLAAS_STORE_STALL_NOTICE: '1s' };
  bucket = uniqueBucketName('claas-stall');
  await createBucket(bucket);
});

after(async () => {
  if (bucket) await deleteBucket(bucket);
  if (work) await rm(work, { recursive: true, force: true });
});

const s3Args = (endpoint: string) => [
  '--profile',
  'publisher',
  '--endpoint',
  endpoint,
  '--region',
  'us-east-1',
];

test(
  'a store that stops answering mid-publish: stall notice, clear error, the next run completes',
  { skip },
  async () => {
    const src = join(work, 'src');
    await writeSampleSource(src);
    await mkdir(join(src, 'disk'), { recursive: true });
    const fh = await open(join(src, 'disk', 'disk1.vmdk'), 'w');
    for (let i = 0; i < 24; i++) await fh.write(randomBytes(1 << 20));
    await fh.close();
    const east = cephEnv()!.endpoints['us-east-1'];
    const proxy = await startFaultProxy({
      target: east,
      schedule: (n, req) => (req.method === 'PUT' && n > 3 ? 'hang' : undefined),
    });
    const loc = `s3://${bucket}/lib`;
    const flags = ['--multipart-threshold', '8MiB', '--part-size', '8MiB'];
    try {
      const r = await runCli(
        ['publish', src, '--to', loc, ...flags, ...s3Args(proxy.url), '--store-timeout', '5s'],
        {
          env,
          timeoutMs: 300_000,
        },
      );
      assert.equal(r.signal, null, `claas hung and was killed:\n${r.stderr}`);
      assert.equal(r.code, 69, r.stderr);
      assert.ok(proxy.counts.hang > 0, JSON.stringify(proxy.counts));
      const notice = r.stderr.split('\n').find((l) => l.includes('waiting for the S3 store'));
      assert.ok(notice, r.stderr);
      assert.ok(notice.includes(proxy.url), notice);
      assert.match(notice, /\d+ requests? pending: (PutObject|UploadPart|CreateMultipartUpload) s3:\/\//);
      assert.match(r.stderr, /error: The S3 store at .* stopped answering/);
    } finally {
      await proxy.close();
    }

    // The store answers again: the same publish, straight to RGW, finishes the library.
    const again = await runCli(['publish', src, '--to', loc, '--json', ...flags, ...s3Args(east)], { env });
    assert.equal(again.code, 0, again.stderr);
    const v = await runCli(['verify', loc, '--deep', ...s3Args(east)], { env });
    assert.equal(v.code, 0, v.stdout);
  },
);
