// `claas replication plan|apply` against Ceph RGW: versioning enabled and read back on both ends, the mirror
// replica's bucket policy applied by its owner and read back, PutBucketReplication accepted and read back,
// the IAM role skipped with the reason, and a second apply that changes nothing.
//
// RGW accepts PutBucketReplication only when the zonegroup has a sync policy (otherwise 405
// MethodNotAllowed); the test adds the "sync everything" policy Ceph documents when it is missing (zone
// replication of every bucket continues under it).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedEnv, runCli } from '../../helpers/cli.js';
import { cephEnv, cephSkip, createBucket, deleteBucket, uniqueBucketName } from '../../helpers/ceph.js';
import { awsProfilesEnv } from '../../helpers/aws-profiles.js';
import {
  claas,
  claasYaml,
  json,
  radosgwAdmin,
  readPolicy,
  readReplication,
  readVersioning,
} from './fixture.js';

const skip = cephSkip();
let work = '';
let env: Record<string, string> = {};
let source = '';
let dr = '';
let client = '';
let config = '';

/** The zonegroup-wide sync policy (all buckets, both zones, symmetrical) RGW needs for bucket replication. */
async function ensureZonegroupSyncPolicy(): Promise<boolean> {
  if (cephEnv()?.cephConf === undefined) return false;
  const policy = JSON.parse(await radosgwAdmin(['sync', 'policy', 'get'])) as { groups?: unknown[] };
  if ((policy.groups ?? []).length > 0) return true;
  await radosgwAdmin(['sync', 'group', 'create', '--group-id=claas-all', '--status=allowed']);
  await radosgwAdmin([
    'sync',
    'group',
    'flow',
    'create',
    '--group-id=claas-all',
    '--flow-id=all-zones',
    '--flow-type=symmetrical',
    '--zones=us-east-1,us-west-2',
  ]);
  await radosgwAdmin([
    'sync',
    'group',
    'pipe',
    'create',
    '--group-id=claas-all',
    '--pipe-id=all-buckets',
    '--source-zones=*',
    '--source-bucket=*',
    '--dest-zones=*',
    '--dest-bucket=*',
  ]);
  await radosgwAdmin(['sync', 'group', 'modify', '--group-id=claas-all', '--status=enabled']);
  await radosgwAdmin(['period', 'update', '--commit']);
  return true;
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'claas-apply-'));
  env = { ...isolatedEnv(work), ...(await awsProfilesEnv(work)) };
  source = uniqueBucketName('apply-source');
  dr = uniqueBucketName('apply-dr');
  client = uniqueBucketName('apply-client-a');
  await createBucket(source);
  await createBucket(dr);
  await createBucket(client, { user: 'client-a' });
  config = join(work, 'claas.yaml');
  await writeFile(
    config,
    claasYaml('templates', source, [
      { name: 'dr', bucket: dr, mode: 'native', profile: 'publisher', storageClass: 'STANDARD_IA' },
      { name: 'client-a', bucket: client, mode: 'mirror', profile: 'client-a', account: '123456789012' },
    ]),
  );
});

after(async () => {
  if (skip) return;
  await deleteBucket(source);
  await deleteBucket(dr);
  await deleteBucket(client, { user: 'client-a' });
  if (work) await rm(work, { recursive: true, force: true });
});

interface Applied {
  ok: boolean;
  changed: number;
  changes: {
    kind: string;
    target: string;
    action: string;
    outcome?: string;
    confirmed?: boolean;
    reason?: string;
  }[];
  notes: string[];
  writerPrincipal?: string;
}

test(
  'replication apply on RGW: versioning, bucket policy and replication applied and read back; idempotent',
  { skip },
  async (t) => {
    const syncPolicy = await ensureZonegroupSyncPolicy();

    // Shown first; without --yes (and no terminal) nothing is applied.
    const dry = await claas(['replication', 'apply', '--config', config], env);
    assert.equal(dry.code, 1, dry.stderr);
    assert.match(dry.stdout, /~ versioning/);
    assert.match(dry.stderr, /run again with --yes/);
    assert.equal(await readVersioning(source, 'publisher'), undefined);

    const first = await claas(['replication', 'apply', '--config', config, '--yes', '--json'], env);
    const r1 = json<Applied>(first);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const byKind = (kind: string) => r1.changes.filter((c) => c.kind === kind);
    assert.deepEqual(
      byKind('versioning').map((c) => c.outcome),
      ['applied', 'applied'],
    );
    assert.equal(await readVersioning(source, 'publisher'), 'Enabled');
    assert.equal(await readVersioning(dr, 'publisher'), 'Enabled');

    // RGW: roles need user caps and its replication does not assume one: skipped, with the reason.
    const role = byKind('role')[0];
    assert.equal(role?.outcome, 'skipped');
    assert.match(role?.reason ?? '', /roles=\*/);

    // client-a's bucket: the policy its owner applies so that the publisher (claas mirror) may write.
    assert.equal(r1.writerPrincipal, 'arn:aws:iam:::user/publisher');
    assert.deepEqual(
      byKind('bucket-policy').map((c) => `${c.outcome}:${c.confirmed}`),
      ['applied:true'],
    );
    const policy = await readPolicy(client, 'client-a');
    assert.deepEqual(policy?.Statement.map((s) => s.Sid).sort(), [
      'ClaasTemplatesClientABucketLocationAndUploads',
      'ClaasTemplatesClientAListLibraryKeys',
      'ClaasTemplatesClientAReadWriteLibraryObjects',
      'ClaasTemplatesClientARgwMultiObjectDelete',
    ]);

    const replication = byKind('replication')[0];
    if (!syncPolicy && replication?.outcome === 'skipped') {
      t.diagnostic(
        `PutBucketReplication skipped (no ceph.conf to add the zonegroup sync policy): ${replication.reason}`,
      );
    } else {
      assert.deepEqual(
        [replication?.outcome, replication?.confirmed],
        ['applied', true],
        JSON.stringify(replication),
      );
      const back = await readReplication(source, 'publisher');
      const rule = back?.Rules?.find((r) => r.ID === 'claas/templates/dr');
      assert.ok(rule !== undefined, JSON.stringify(back));
      assert.equal(rule.Filter?.Prefix, 'lib/');
      assert.equal(rule.Destination?.Bucket, `arn:aws:s3:::${dr}`);
      assert.equal(rule.Destination?.StorageClass, 'STANDARD_IA');
      // dr is in the provider's own account: the control prefix replicates to it too (issue 16).
      const control = back?.Rules?.find((r) => r.ID === 'claas/templates/dr/control');
      assert.equal(control?.Filter?.Prefix, 'claas-control/', JSON.stringify(back));
      assert.ok(
        r1.notes.some((n) => n.includes('claas mirror --config claas.yaml --replica dr')),
        r1.notes.join('\n'),
      );
    }
    assert.ok(r1.notes.some((n) => /eventually consistent/.test(n)));

    const second = await claas(['replication', 'apply', '--config', config, '--yes', '--json'], env);
    const r2 = json<Applied>(second);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(r2.changed, 0, JSON.stringify(r2.changes));
    assert.ok(
      r2.changes.every((c) => c.action === 'none' || c.action === 'skip'),
      JSON.stringify(r2.changes),
    );
    const text = await claas(['replication', 'apply', '--config', config, '--yes'], env);
    assert.match(text.stdout, /no changes/);
  },
);

test('replication plan renders JSON, AWS CLI commands and Terraform', { skip }, async () => {
  const asJson = await runCli(['replication', 'plan', '--config', config], { env });
  assert.equal(asJson.code, 0, asJson.stderr);
  const plan = JSON.parse(asJson.stdout) as { replication: { configuration: { Rules: { ID: string }[] } } };
  assert.deepEqual(
    plan.replication.configuration.Rules.map((r) => r.ID),
    ['claas/templates/dr', 'claas/templates/dr/control'],
  );
  const cli = await runCli(['replication', 'plan', '--config', config, '--format', 'cli'], { env });
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /aws s3api put-bucket-replication/);
  const tf = await runCli(['replication', 'plan', '--config', config, '--format', 'terraform'], { env });
  assert.equal(tf.code, 0, tf.stderr);
  assert.match(tf.stdout, /resource "aws_s3_bucket_replication_configuration"/);
  const bad = await runCli(['replication', 'plan', '--config', config, '--format', 'yaml'], { env });
  assert.equal(bad.code, 65);
});
