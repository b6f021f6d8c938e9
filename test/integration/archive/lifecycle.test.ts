// Lifecycle rules through the CLI against Ceph RGW: applied, read back with GetBucketLifecycleConfiguration
// as written, a rule of another tool kept, a second apply writes nothing; the full default rule set shows
// what RGW 16 drops (NewerNoncurrentVersions, object size filters) as read-back mismatches.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import type { LifecycleRule } from '@aws-sdk/client-s3';

import { claas, claasJson, publishedLibrary, useArchiveContext, withS3, writeConfig } from './helpers.js';

const { skip, ctx: context } = useArchiveContext();

const FOREIGN: LifecycleRule = {
  ID: 'logs-expire',
  Status: 'Enabled',
  Filter: { Prefix: 'logs/' },
  Expiration: { Days: 90 },
};

async function bucketRules(bucket: string): Promise<LifecycleRule[]> {
  return withS3(
    async (client) =>
      (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [],
  );
}

test('lifecycle apply on RGW: read back as applied, idempotent, other rules kept', { skip }, async () => {
  const c = context();
  const { bucket, loc } = await publishedLibrary(c, 'lifecycle', 'notes');
  await withS3(async (client) => {
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: [FOREIGN] },
      }),
    );
  });
  const config = await writeConfig(c, 'tiered', loc);
  // What RGW 16 stores as written: no NewerNoncurrentVersions, no object size filter.
  const flags = [
    '--config',
    config,
    '--keep-noncurrent',
    '0',
    '--min-transition-size',
    '0',
    '--ia-after-days',
    '30',
  ];

  const plan = await claasJson<{
    changed: boolean;
    versioning: string;
    changes: { id: string; change: string }[];
  }>(c, ['lifecycle', 'plan', ...flags]);
  assert.equal(plan.changed, true);
  assert.equal(plan.versioning, 'Enabled');
  assert.deepEqual(
    plan.changes.map((x) => `${x.change}:${x.id}`),
    [
      'foreign:logs-expire',
      'add:claas/tiered/abort-incomplete-uploads',
      'add:claas/tiered/noncurrent-versions',
      'add:claas/tiered/archive-tier',
      'add:claas/tiered/infrequent-access',
    ],
  );

  const applied = await claasJson<{
    applied: boolean;
    readBack: { matches: boolean; differences: string[] };
  }>(c, ['lifecycle', 'apply', ...flags]);
  assert.equal(applied.applied, true);
  assert.deepEqual(applied.readBack.differences, []);

  const rules = await bucketRules(bucket);
  const byId = new Map(rules.map((r) => [r.ID, r]));
  assert.deepEqual(byId.get('logs-expire'), FOREIGN);
  assert.deepEqual(byId.get('claas/tiered/abort-incomplete-uploads')?.AbortIncompleteMultipartUpload, {
    DaysAfterInitiation: 7,
  });
  assert.deepEqual(byId.get('claas/tiered/noncurrent-versions')?.NoncurrentVersionExpiration, {
    NoncurrentDays: 30,
  });
  assert.deepEqual(byId.get('claas/tiered/noncurrent-versions')?.Expiration, {
    ExpiredObjectDeleteMarker: true,
  });
  assert.deepEqual(byId.get('claas/tiered/archive-tier')?.Filter, {
    Prefix: 'claas-control/libraries/lib/.claas-archive/',
  });
  assert.deepEqual(byId.get('claas/tiered/archive-tier')?.Transitions, [
    { Days: 1, StorageClass: 'GLACIER' },
  ]);
  assert.deepEqual(byId.get('claas/tiered/infrequent-access')?.Transitions, [
    { Days: 30, StorageClass: 'STANDARD_IA' },
  ]);

  const second = await claasJson<{ applied: boolean; readBack: { matches: boolean } }>(c, [
    'lifecycle',
    'apply',
    ...flags,
  ]);
  assert.equal(second.applied, false, 'nothing changed, nothing written');
  assert.equal(second.readBack.matches, true);

  // Dropping the infrequent-access option removes that rule (and only it).
  const fewer = await claasJson<{ changes: { id: string; change: string }[] }>(c, [
    'lifecycle',
    'apply',
    '--config',
    config,
    '--keep-noncurrent',
    '0',
    '--min-transition-size',
    '0',
  ]);
  assert.ok(fewer.changes.some((x) => x.change === 'remove' && x.id === 'claas/tiered/infrequent-access'));
  assert.deepEqual((await bucketRules(bucket)).map((r) => r.ID).sort(), [
    'claas/tiered/abort-incomplete-uploads',
    'claas/tiered/archive-tier',
    'claas/tiered/noncurrent-versions',
    'logs-expire',
  ]);

  // The defaults keep 3 noncurrent versions and skip small objects: RGW 16 drops both, and the read back says so.
  const full = await claas(c, ['lifecycle', 'apply', '--config', config, '--json']);
  assert.equal(full.code, 1, full.stdout + full.stderr);
  const diffs = (JSON.parse(full.stdout) as { readBack: { differences: string[] } }).readBack.differences;
  assert.equal(diffs.length, 2, diffs.join('\n'));
  assert.match(diffs.join('\n'), /noncurrent-versions: the bucket holds/);
  assert.match(diffs.join('\n'), /archive-tier: the bucket holds/);

  const tf = await claas(c, ['lifecycle', 'plan', '--config', config, '--format', 'terraform']);
  assert.equal(tf.code, 0, tf.stderr);
  assert.match(tf.stdout, /resource "aws_s3_bucket_lifecycle_configuration" "claas_tiered"/);
  assert.match(tf.stdout, /id\s+= "logs-expire"/);

  const local = await claas(c, ['lifecycle', 'plan', '--location', c.work]);
  assert.equal(local.code, 65);
  assert.match(local.stderr, /lifecycle rules are a feature of S3 buckets/);
});
