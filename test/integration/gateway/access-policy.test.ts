// `claas access policy --role subscriber` on Ceph RGW: the bucket policy it prints for the subscriber user,
// applied by the bucket's owner, lets that user list and read the library prefix and nothing else: no
// write, no delete, nothing outside the prefix. The gateway reads with exactly that credential.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { writeSampleSource } from '../../../src/demo/samples.js';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import {
  cephEnv,
  cephSkip,
  createBucket,
  deleteBucket,
  makeS3Client,
  uniqueBucketName,
} from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import { addTenant, publishToCeph, s3Flags, startCliGateway, writeConfig } from './cli-gateway.js';
import { basic, http } from '../../helpers/http.js';

const skip = cephSkip();
let work = '';
let env: Record<string, string> = {};
let bucket = '';

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-gw-policy-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  bucket = uniqueBucketName('claas-gw-pol');
  await createBucket(bucket);
});

after(async () => {
  if (bucket) await deleteBucket(bucket);
  if (work) await rm(work, { recursive: true, force: true });
});

async function denied(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return status === 403 || (e as { name?: string }).name === 'AccessDenied';
  }
}

test(
  'the subscriber policy from `claas access policy` reads the library prefix and cannot write',
  { skip },
  async () => {
    const e = cephEnv()!;
    const src = join(work, 'src');
    await writeSampleSource(src);
    const location = `s3://${bucket}/libs/templates`;
    await publishToCeph(env, src, location);
    const owner = makeS3Client('publisher');
    await owner.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'private/other.txt', Body: 'not the library' }),
    );
    const config = join(work, 'claas.yaml');
    await writeConfig(config, {
      library: 'templates',
      origin: {
        location,
        endpoint: e.endpoints['us-east-1'],
        region: 'us-east-1',
        profile: 'publisher',
      },
      prefer: ['origin'],
      gatewayProfile: 'subscriber',
      tenants: './tenants.json',
    });

    const text = await runCli(['access', 'policy', '--role', 'subscriber', '--config', config], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /IAM policy/);
    const out = await runCli(
      ['access', 'policy', '--role', 'subscriber', '--config', config, '--rgw-user', 'subscriber', '--json'],
      { env },
    );
    assert.equal(out.code, 0, out.stderr);
    const doc = JSON.parse(out.stdout) as {
      policies: { kind: string; document: { Statement: { Action: string[] }[] } }[];
    };
    const bucketPolicy = doc.policies.find((p) => p.kind === 'bucket');
    assert.ok(bucketPolicy !== undefined, out.stdout);
    const actions = bucketPolicy.document.Statement.flatMap((s) => s.Action);
    assert.ok(
      actions.every((a) => a === 's3:GetObject' || a === 's3:ListBucket' || a === 's3:GetBucketLocation'),
      actions.join(','),
    );
    await owner.send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(bucketPolicy.document) }),
    );
    owner.destroy();

    const sub = makeS3Client('subscriber');
    try {
      const listed = await sub.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'libs/templates/' }));
      assert.ok((listed.KeyCount ?? 0) > 5);
      const lib = await sub.send(new GetObjectCommand({ Bucket: bucket, Key: 'libs/templates/lib.json' }));
      assert.match(await lib.Body!.transformToString(), /"vcspVersion"/);
      assert.ok(
        await denied(
          sub.send(new PutObjectCommand({ Bucket: bucket, Key: 'libs/templates/evil.txt', Body: 'x' })),
        ),
        'write denied',
      );
      assert.ok(
        await denied(
          sub.send(new PutObjectCommand({ Bucket: bucket, Key: 'libs/templates/lib.json', Body: '{}' })),
        ),
        'overwrite denied',
      );
      assert.ok(
        await denied(sub.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'libs/templates/lib.json' }))),
        'delete denied',
      );
      assert.ok(
        await denied(sub.send(new GetObjectCommand({ Bucket: bucket, Key: 'private/other.txt' }))),
        'outside the prefix denied',
      );
      assert.ok(
        await denied(sub.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'private/' }))),
        'listing outside the prefix denied',
      );
      const still = await sub.send(new HeadObjectCommand({ Bucket: bucket, Key: 'libs/templates/lib.json' }));
      assert.ok((still.ContentLength ?? 0) > 100, 'lib.json is intact');
    } finally {
      sub.destroy();
    }

    // The CLI as that credential: verify reads, publish is refused.
    const verify = await runCli(['verify', location, ...s3Flags('subscriber')], { env });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    await writeFile(join(src, 'new.txt'), 'x');
    const write = await runCli(['publish', src, '--to', location, ...s3Flags('subscriber')], { env });
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /can read but not write/);

    // The gateway serves the library with that credential.
    const password = await addTenant(env, 'acme', ['templates'], [config]);
    const gw = await startCliGateway(['--config', config, '--listen', '127.0.0.1:0'], env);
    try {
      const r = await http(gw.base, '/templates/lib.json', {
        headers: { Authorization: basic(password) },
      });
      assert.equal(r.status, 200);
    } finally {
      await gw.stop();
    }
  },
);
