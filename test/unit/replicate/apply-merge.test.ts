// replication apply merges instead of replacing: bucket policy statements by Sid, replication rules by id, and
// it compares what a store reports back tolerantly (Ceph RGW drops Role, Account, DeleteMarkerReplication).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mergePolicy,
  mergeReplication,
  namespacedPolicy,
  principalFromCallerArn,
  replicationMatches,
  sameJson,
  sidPrefix,
  withRgwBulkDelete,
} from '../../../src/replicate/apply-merge.js';
import { mirrorWriterBucketPolicy } from '../../../src/access/policies.js';
import type { PolicyDocument } from '../../../src/access/policies.js';
import type { ReplicationRule } from '../../../src/replicate/plan-types.js';

const loc = { kind: 's3' as const, bucket: 'client-a-templates', prefix: 'lib' };

test('Sids are namespaced per library and replica, alphanumeric as AWS requires', () => {
  const prefix = sidPrefix('templates', 'client-a');
  assert.equal(prefix, 'ClaasTemplatesClientA');
  const doc = namespacedPolicy(mirrorWriterBucketPolicy(loc, 'arn:aws:iam:::user/publisher'), prefix);
  for (const s of doc.Statement) assert.match(s.Sid, /^ClaasTemplatesClientA[A-Za-z0-9]+$/);
});

test('policy merge keeps foreign statements, replaces ours, drops our stale ones; idempotent', () => {
  const prefix = sidPrefix('templates', 'client-a');
  const ours = namespacedPolicy(mirrorWriterBucketPolicy(loc, 'arn:aws:iam:::user/publisher'), prefix);
  const existing: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AdminRead',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::1:root' },
        Action: 's3:GetObject',
      },
      { Sid: `${prefix}Obsolete`, Effect: 'Allow', Principal: { AWS: 'x' }, Action: 's3:PutObject' },
      { ...ours.Statement[0]!, Action: ['s3:ListBucket', 's3:ListBucketVersions'] },
    ],
  };
  const merged = mergePolicy(existing, ours, prefix);
  assert.deepEqual(
    merged.Statement.map((s) => s.Sid),
    ['AdminRead', ...ours.Statement.map((s) => s.Sid)],
  );
  assert.ok(sameJson(mergePolicy(merged, ours, prefix), merged), 'merging again changes nothing');
  assert.ok(sameJson(mergePolicy(undefined, ours, prefix), ours));
});

test('policy comparison ignores key order and one-element lists (how stores echo policies back)', () => {
  const a = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'x', Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'r' }],
  };
  const b = {
    Statement: [{ Resource: ['r'], Action: 's3:GetObject', Effect: 'Allow', Sid: 'x' }],
    Version: '2012-10-17',
  };
  assert.ok(sameJson(a, b));
  assert.ok(!sameJson(a, { ...b, Statement: [{ ...b.Statement[0]!, Action: 's3:PutObject' }] }));
});

const rule = (replica: string): ReplicationRule => ({
  ID: `claas/templates/${replica}`,
  Priority: 1,
  Status: 'Enabled',
  Filter: { Prefix: 'lib/' },
  DeleteMarkerReplication: { Status: 'Enabled' },
  Destination: {
    Bucket: `arn:aws:s3:::${replica}`,
    Account: '123456789012',
    StorageClass: 'ONEZONE_IA',
    AccessControlTranslation: { Owner: 'Destination' },
  },
});

test('replication merge keeps other rules and numbers ours after them', () => {
  const planned = { Role: 'arn:aws:iam::1:role/claas', Rules: [rule('dr'), rule('eu')] };
  const existing = {
    Role: 'arn:aws:iam::1:role/claas',
    Rules: [
      { ID: 'backup', Priority: 7, Status: 'Enabled' as const, Destination: { Bucket: 'arn:aws:s3:::bk' } },
      { ...rule('old'), Priority: 1 },
    ],
  };
  const { config, roleKept } = mergeReplication(existing, planned, 'templates');
  assert.equal(roleKept, undefined);
  assert.deepEqual(
    (config.Rules as ReplicationRule[]).map((r) => `${r.ID}@${r.Priority}`),
    ['backup@7', 'claas/templates/dr@8', 'claas/templates/eu@9'],
  );
  const other = mergeReplication({ ...existing, Role: 'arn:aws:iam::1:role/theirs' }, planned, 'templates');
  assert.equal(other.roleKept, 'arn:aws:iam::1:role/theirs');
  assert.equal(other.config.Role, 'arn:aws:iam::1:role/theirs');
});

test('read-back comparison tolerates fields the store does not report, not different values', () => {
  const planned = { Role: 'arn:aws:iam:::role/claas', Rules: [rule('dr')] };
  // What Ceph RGW 16 returns for it: no Role, Account or DeleteMarkerReplication.
  const rgw = {
    Role: '',
    Rules: [
      {
        Status: 'Enabled' as const,
        Destination: {
          Bucket: 'arn:aws:s3:::dr',
          StorageClass: 'ONEZONE_IA' as const,
          AccessControlTranslation: { Owner: 'Destination' as const },
        },
        ID: 'claas/templates/dr',
        Priority: 1,
        Filter: { Prefix: 'lib/' },
      },
    ],
  };
  assert.ok(replicationMatches(rgw, planned, 'templates'));
  const moved = { ...rgw, Rules: [{ ...rgw.Rules[0]!, Filter: { Prefix: 'other/' } }] };
  assert.ok(!replicationMatches(moved, planned, 'templates'));
  assert.ok(!replicationMatches({ ...rgw, Role: 'arn:aws:iam:::role/x' }, planned, 'templates'));
  assert.ok(!replicationMatches(undefined, planned, 'templates'));
  assert.ok(!replicationMatches({ Role: '', Rules: [] }, planned, 'templates'));
});

test('caller ARNs become policy principals; RGW gets the bucket-level delete grant', () => {
  assert.equal(
    principalFromCallerArn('arn:aws:sts::123456789012:assumed-role/Publisher/session-1'),
    'arn:aws:iam::123456789012:role/Publisher',
  );
  assert.equal(
    principalFromCallerArn('arn:aws:iam::123456789012:user/ci'),
    'arn:aws:iam::123456789012:user/ci',
  );
  const doc = mirrorWriterBucketPolicy(loc, 'p');
  assert.equal(withRgwBulkDelete(doc, loc, 'p', undefined), doc, 'AWS: unchanged');
  const rgw = withRgwBulkDelete(doc, loc, 'p', 'http://127.0.0.1:7480');
  assert.deepEqual(rgw.Statement.at(-1), {
    Sid: 'RgwMultiObjectDelete',
    Effect: 'Allow',
    Principal: { AWS: 'p' },
    Action: ['s3:DeleteObject'],
    Resource: 'arn:aws:s3:::client-a-templates',
  });
});
