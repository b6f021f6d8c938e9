// Lifecycle rules: the shapes claas asks for (as the S3 API documents them), the merge by rule ID that
// keeps other rules, removes claas's stale ones and writes nothing when nothing changed, the comparison
// that tolerates how servers echo rules back, and the Terraform rendering.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  desiredLifecycleRules,
  lifecycleIdPrefix,
  lifecycleTerraform,
  mergeLifecycle,
  normalizeRule,
  readBackDifferences,
  sameRule,
} from '../../../src/archive/lifecycle.js';
import type { LifecycleRule, LifecycleSettings } from '../../../src/archive/lifecycle.js';

const base: LifecycleSettings = {
  library: 'templates',
  prefix: 'lib',
  abortMultipartDays: 7,
  noncurrentDays: 30,
  keepNoncurrent: 3,
  archive: { prefix: 'lib/.claas-archive', storageClass: 'GLACIER', days: 1, minSize: 131072 },
};

test('the rules claas wants, in the S3 API shape', () => {
  const rules = desiredLifecycleRules({
    ...base,
    infrequentAccess: { storageClass: 'STANDARD_IA', days: 30 },
  });
  assert.deepEqual(rules, [
    {
      ID: 'claas/templates/abort-incomplete-uploads',
      Status: 'Enabled',
      Filter: { Prefix: 'lib/' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
    {
      ID: 'claas/templates/noncurrent-versions',
      Status: 'Enabled',
      Filter: { Prefix: 'lib/' },
      NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 3 },
      Expiration: { ExpiredObjectDeleteMarker: true },
    },
    {
      ID: 'claas/templates/archive-tier',
      Status: 'Enabled',
      Filter: { And: { Prefix: 'lib/.claas-archive/', ObjectSizeGreaterThan: 131072 } },
      Transitions: [{ Days: 1, StorageClass: 'GLACIER' }],
    },
    {
      ID: 'claas/templates/infrequent-access',
      Status: 'Enabled',
      Filter: { Prefix: 'lib/' },
      Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }],
    },
  ]);
  // A library at the bucket root filters on "" (every key).
  assert.deepEqual(desiredLifecycleRules({ library: 'l', prefix: '', abortMultipartDays: 1 })[0]?.Filter, {
    Prefix: '',
  });
});

test('bad settings are refused with the flag named', () => {
  assert.throws(
    () => desiredLifecycleRules({ ...base, infrequentAccess: { storageClass: 'STANDARD_IA', days: 10 } }),
    /--ia-after-days takes a whole number of days of at least 30/,
  );
  assert.throws(
    () => desiredLifecycleRules({ ...base, archive: { prefix: 'x', storageClass: 'STANDARD', days: 1 } }),
    /--archive-class takes GLACIER, DEEP_ARCHIVE, GLACIER_IR/,
  );
  assert.throws(
    () => desiredLifecycleRules({ ...base, keepNoncurrent: 101 }),
    /--keep-noncurrent takes 1 to 100/,
  );
  assert.throws(() => desiredLifecycleRules({ ...base, abortMultipartDays: 0 }), /--abort-multipart-days/);
});

test('merge: other rules kept in place, claas rules replaced by ID, stale claas rules removed, new appended', () => {
  const desired = desiredLifecycleRules(base);
  const foreign: LifecycleRule = {
    ID: 'logs-expire',
    Status: 'Enabled',
    Filter: { Prefix: 'logs/' },
    Expiration: { Days: 90 },
  };
  const otherLibrary: LifecycleRule = {
    ID: 'claas/other/abort-incomplete-uploads',
    Status: 'Enabled',
    Filter: { Prefix: 'other/' },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
  };
  const oldAbort: LifecycleRule = {
    ...desired[0]!,
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
  };
  const stale: LifecycleRule = {
    ID: 'claas/templates/infrequent-access',
    Status: 'Enabled',
    Filter: { Prefix: 'lib/' },
    Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }],
  };
  const m = mergeLifecycle([foreign, oldAbort, otherLibrary, stale], desired, lifecycleIdPrefix('templates'));
  assert.equal(m.changed, true);
  assert.deepEqual(
    m.rules.map((r) => r.ID),
    [
      'logs-expire',
      'claas/templates/abort-incomplete-uploads',
      'claas/other/abort-incomplete-uploads',
      'claas/templates/noncurrent-versions',
      'claas/templates/archive-tier',
    ],
  );
  assert.deepEqual(
    m.changes.map((c) => `${c.change}:${c.id}`),
    [
      'foreign:logs-expire',
      'update:claas/templates/abort-incomplete-uploads',
      'foreign:claas/other/abort-incomplete-uploads',
      'remove:claas/templates/infrequent-access',
      'add:claas/templates/noncurrent-versions',
      'add:claas/templates/archive-tier',
    ],
  );
  assert.deepEqual(m.rules[0], foreign, 'untouched');

  // Applying the result again changes nothing (idempotent).
  const again = mergeLifecycle(m.rules, desired, lifecycleIdPrefix('templates'));
  assert.equal(again.changed, false);
  assert.deepEqual(again.rules, m.rules);
});

test('comparison tolerates key order, the legacy top-level Prefix and dates as Date objects', () => {
  const a: LifecycleRule = {
    ID: 'x',
    Status: 'Enabled',
    Filter: { Prefix: 'p/' },
    Expiration: { Date: new Date('2030-01-01T00:00:00Z') },
  };
  const b = {
    Expiration: { Date: '2030-01-01T00:00:00.000Z' },
    Prefix: 'p/',
    Status: 'Enabled',
    ID: 'x',
  } as unknown as LifecycleRule;
  assert.ok(sameRule(a, b));
  assert.deepEqual(normalizeRule(b), normalizeRule(a));
  assert.ok(!sameRule(a, { ...a, Status: 'Disabled' }));
});

test('read back: a server that drops fields (NewerNoncurrentVersions, size filters) is caught', () => {
  const rules = desiredLifecycleRules(base);
  const echoed = rules.map((r) => ({ ...r }));
  assert.deepEqual(readBackDifferences(rules, echoed), []);
  // What Ceph RGW 16 gives back.
  const rgw = rules.map((r) => {
    const c: LifecycleRule = JSON.parse(JSON.stringify(r)) as LifecycleRule;
    if (c.NoncurrentVersionExpiration) delete c.NoncurrentVersionExpiration.NewerNoncurrentVersions;
    if (c.Filter?.And) c.Filter = { Prefix: c.Filter.And.Prefix ?? '' };
    return c;
  });
  const diffs = readBackDifferences(rules, rgw);
  assert.equal(diffs.length, 2);
  assert.match(diffs[0] ?? '', /^claas\/templates\/noncurrent-versions: the bucket holds/);
  assert.match(diffs[1] ?? '', /^claas\/templates\/archive-tier: /);
  assert.deepEqual(readBackDifferences(rules, rules.slice(1)), [
    'claas/templates/abort-incomplete-uploads: missing after apply',
  ]);
});

test('Terraform: one aws_s3_bucket_lifecycle_configuration with every rule of the bucket', () => {
  const rules = [
    ...desiredLifecycleRules(base),
    {
      ID: 'logs-expire',
      Status: 'Enabled',
      Filter: { Prefix: 'logs/' },
      Expiration: { Days: 90 },
    } as LifecycleRule,
  ];
  const tf = lifecycleTerraform(
    {
      bucket: 'templates-east',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:7480',
      profile: 'publisher',
    },
    'templates',
    rules,
  );
  assert.match(tf, /resource "aws_s3_bucket_lifecycle_configuration" "claas_templates" \{/);
  assert.match(tf, /provider = aws\.claas_templates/);
  assert.match(tf, /s3_use_path_style\s+= true/);
  assert.match(tf, /abort_incomplete_multipart_upload \{\n\s+days_after_initiation = 7\n/);
  assert.match(
    tf,
    /noncurrent_version_expiration \{\n\s+noncurrent_days\s+= 30\n\s+newer_noncurrent_versions = 3\n/,
  );
  assert.match(tf, /expired_object_delete_marker = true/);
  assert.match(
    tf,
    /filter \{\n\s+and \{\n\s+prefix\s+= "lib\/.claas-archive\/"\n\s+object_size_greater_than = 131072/,
  );
  assert.match(tf, /transition \{\n\s+days\s+= 1\n\s+storage_class = "GLACIER"/);
  assert.match(tf, /id\s+= "logs-expire"/);
  assert.match(tf, /days = 90/);
  // Balanced braces: the document parses as HCL blocks.
  assert.equal((tf.match(/\{/g) ?? []).length, (tf.match(/\}/g) ?? []).length);
});
