// The native replication plan: the PutBucketReplication configuration has exactly the API's shape (field
// names as in the S3 API reference), rules are scoped to the library prefix, cross-account and SSE-KMS
// replicas get what AWS requires, and a Ceph multisite zone replica gets no rule at all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultRoleName,
  planNativeReplication,
  ruleId,
  withSourceAccount,
} from '../../../src/replicate/plan-native.js';
import type { ClaasError } from '../../../src/errors.js';
import { SOURCE_ACCOUNT_PLACEHOLDER } from '../../../src/replicate/plan-types.js';
import type { ReplicationPlan } from '../../../src/replicate/plan-types.js';
import { checkDocument } from '../access/iam-checks.js';
import {
  AWS_EXAMPLE,
  AWS_ROOT_EXAMPLE,
  AWS_ROOT_SAME_ACCOUNT_EXAMPLE,
  config,
  ISSUE_4_EXAMPLE,
  ISSUE_5_GATEWAY,
} from '../config/examples.js';

/**
 * The ReplicationConfiguration shape of the S3 API reference (PutBucketReplication), limited to the members
 * claas may write: every key an object has must appear here, with the type of its value.
 */
type Shape = 'string' | 'number' | { [key: string]: Shape } | { list: Shape };
const STATUS: Shape = 'string';
const TIME_VALUE: Shape = { Minutes: 'number' };
const REPLICATION_CONFIGURATION: Shape = {
  Role: 'string',
  Rules: {
    list: {
      ID: 'string',
      Priority: 'number',
      Status: STATUS,
      Filter: { Prefix: 'string' },
      DeleteMarkerReplication: { Status: STATUS },
      SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: STATUS } },
      Destination: {
        Bucket: 'string',
        Account: 'string',
        StorageClass: 'string',
        AccessControlTranslation: { Owner: 'string' },
        EncryptionConfiguration: { ReplicaKmsKeyID: 'string' },
        ReplicationTime: { Status: STATUS, Time: TIME_VALUE },
        Metrics: { Status: STATUS, EventThreshold: TIME_VALUE },
      },
    },
  },
};

function checkShape(value: unknown, shape: Shape, path: string): void {
  if (shape === 'string' || shape === 'number') {
    assert.equal(typeof value, shape, path);
    return;
  }
  if ('list' in shape && Object.keys(shape).length === 1) {
    assert.ok(Array.isArray(value), `${path} is a list`);
    value.forEach((v, i) => checkShape(v, shape.list as Shape, `${path}[${i}]`));
    return;
  }
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${path} is an object`);
  for (const [k, v] of Object.entries(value)) {
    const sub = (shape as Record<string, Shape>)[k];
    assert.ok(sub !== undefined, `${path}.${k} is not a member of the API shape`);
    checkShape(v, sub, `${path}.${k}`);
  }
}

function checkPlan(plan: ReplicationPlan): void {
  const configuration = plan.replication?.configuration;
  assert.ok(configuration !== undefined);
  checkShape(configuration, REPLICATION_CONFIGURATION, 'ReplicationConfiguration');
  const priorities = configuration.Rules.map((r) => r.Priority);
  assert.equal(new Set(priorities).size, priorities.length, 'priorities are distinct');
  const ids = configuration.Rules.map((r) => r.ID);
  assert.equal(new Set(ids).size, ids.length, 'rule ids are distinct');
  for (const r of configuration.Rules) {
    assert.ok(r.ID.length <= 255);
    assert.equal(r.Status, 'Enabled');
    assert.deepEqual(r.DeleteMarkerReplication, { Status: 'Enabled' });
    assert.match(r.Destination.Bucket, /^arn:aws:s3:::[a-z0-9.-]+$/);
    // AWS: Account goes with AccessControlTranslation; SSE-KMS selection needs a replica key.
    assert.equal(r.Destination.Account !== undefined, r.Destination.AccessControlTranslation !== undefined);
    if (r.SourceSelectionCriteria !== undefined)
      assert.ok(r.Destination.EncryptionConfiguration !== undefined);
    // Replication Time Control goes with metrics, 15 minutes each.
    assert.equal(r.Destination.ReplicationTime !== undefined, r.Destination.Metrics !== undefined);
    if (r.Destination.ReplicationTime) {
      assert.deepEqual(r.Destination.ReplicationTime, { Status: 'Enabled', Time: { Minutes: 15 } });
      assert.deepEqual(r.Destination.Metrics, { Status: 'Enabled', EventThreshold: { Minutes: 15 } });
    }
  }
  assert.equal(configuration.Role, plan.role?.arn);
  checkDocument(plan.role!.trustPolicy, 'trust');
  checkDocument(plan.role!.policy, 'identity');
  for (const p of plan.destinationPolicies) checkDocument(p.policy, 'resource');
}

test('the replication issue example: the Ceph zone replica needs no rule, the mirror is not native', () => {
  const plan = planNativeReplication(config(`${ISSUE_4_EXAMPLE}${ISSUE_5_GATEWAY}`));
  assert.equal(plan.replication, undefined);
  assert.equal(plan.role, undefined);
  assert.deepEqual(plan.versioning, []);
  assert.deepEqual(plan.destinationPolicies, []);
  assert.deepEqual(plan.mirrorReplicas, ['client-a']);
  assert.equal(plan.zoneReplicas.length, 1);
  assert.deepEqual(
    { ...plan.zoneReplicas[0], reason: undefined },
    {
      replica: 'west',
      bucket: 'templates-east',
      endpoint: 'http://127.0.0.1:7481',
      region: 'us-west-2',
      reason: undefined,
    },
  );
  assert.match(plan.zoneReplicas[0]!.reason, /Ceph RGW multisite/);
  assert.ok(plan.notes.some((n) => /Replica "west" .*zone-wide \(Ceph RGW multisite\)/.test(n)));
  assert.ok(plan.notes.some((n) => n.includes('claas mirror --config claas.yaml --replica client-a')));
});

test('AWS: cross-region with SSE-KMS and RTC, cross-account with owner override and a storage class', () => {
  const plan = planNativeReplication(config(AWS_EXAMPLE));
  checkPlan(plan);
  const roleArn = 'arn:aws:iam::111122223333:role/claas-replication-templates-us-east-1';
  // The same-account replica's control-prefix rule is checked in private-data-plan.test.ts.
  const { configuration: c, ...target } = plan.replication!;
  const libraryRules = {
    ...target,
    configuration: { ...c, Rules: c.Rules.filter((r) => !r.ID.endsWith('/control')) },
  };
  assert.deepEqual(libraryRules, {
    target: {
      bucket: 'templates-us-east-1',
      region: 'us-east-1',
      profile: 'publisher',
      account: '111122223333',
    },
    configuration: {
      Role: roleArn,
      Rules: [
        {
          ID: 'claas/templates/west',
          Priority: 1,
          Status: 'Enabled',
          Filter: { Prefix: 'lib/' },
          DeleteMarkerReplication: { Status: 'Enabled' },
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
          Destination: {
            Bucket: 'arn:aws:s3:::templates-us-west-2',
            EncryptionConfiguration: {
              ReplicaKmsKeyID: 'arn:aws:kms:us-west-2:111122223333:key/5678abcd-12ab-34cd-56ef-1234567890ab',
            },
            ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
            Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
          },
        },
        {
          ID: 'claas/templates/client-a',
          Priority: 2,
          Status: 'Enabled',
          Filter: { Prefix: 'lib/' },
          DeleteMarkerReplication: { Status: 'Enabled' },
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
          Destination: {
            Bucket: 'arn:aws:s3:::client-a-templates',
            Account: '123456789012',
            StorageClass: 'ONEZONE_IA',
            AccessControlTranslation: { Owner: 'Destination' },
            EncryptionConfiguration: {
              ReplicaKmsKeyID: 'arn:aws:kms:eu-west-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab',
            },
          },
        },
      ],
    },
  });
  assert.equal(plan.role?.name, 'claas-replication-templates-us-east-1');
  assert.equal(plan.role?.policyName, 'claas-templates-replication');
  assert.equal(plan.role?.profile, 'publisher');
  assert.equal(plan.role?.endpoint, undefined);
  const sids = plan.role!.policy.Statement.map((s) => s.Sid).filter((sid) => !sid.endsWith('Control'));
  assert.deepEqual(sids, [
    'SourceBucketConfiguration',
    'ReadSourceLibraryVersions',
    'ReplicateIntoDestinations',
    'OwnerOverrideToDestination',
    'DecryptSourceObjects',
    'EncryptReplicas',
  ]);
  assert.deepEqual(
    plan.versioning.map((v) => [v.store, v.bucket, v.region, v.profile, v.destinationAccount]),
    [
      ['origin', 'templates-us-east-1', 'us-east-1', 'publisher', false],
      ['west', 'templates-us-west-2', 'us-west-2', 'publisher', false],
      ['client-a', 'client-a-templates', 'eu-west-1', 'client-a', true],
    ],
  );
  // Only the cross-account destination gets a bucket policy, naming the role.
  assert.deepEqual(
    plan.destinationPolicies.map((p) => [p.replica, p.bucket, p.account, p.profile]),
    [['client-a', 'client-a-templates', '123456789012', 'client-a']],
  );
  assert.deepEqual(plan.destinationPolicies[0]?.policy.Statement[0]?.Principal, { AWS: roleArn });
  assert.deepEqual(plan.mirrorReplicas, ['archive']);
  for (const fact of [
    /only objects written after the rule exists.*claas mirror --config claas\.yaml --replica west/,
    /eventually consistent/,
    /DeleteMarkerReplication is Enabled so that files claas gc deletes/,
    /does not chain/,
    /GLACIER or DEEP_ARCHIVE/,
    /replaces the whole replication configuration of templates-us-east-1/,
    /Replica "client-a" is in account 123456789012/,
    /SSE-KMS/,
    /Replication Time Control/,
  ]) {
    assert.ok(
      plan.notes.some((n) => fact.test(n)),
      `a note matching ${fact}`,
    );
  }
  // The plan is plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
});

test('a bucket-root library without origin.account: Filter {} and the account placeholder', () => {
  const plan = planNativeReplication(config(AWS_ROOT_SAME_ACCOUNT_EXAMPLE));
  checkPlan(plan);
  const rule = plan.replication!.configuration.Rules[0]!;
  assert.deepEqual(rule.Filter, {});
  assert.equal(rule.SourceSelectionCriteria, undefined);
  assert.deepEqual(rule.Destination, { Bucket: 'arn:aws:s3:::isos-eu', StorageClass: 'STANDARD_IA' });
  assert.equal(
    plan.role?.arn,
    `arn:aws:iam::${SOURCE_ACCOUNT_PLACEHOLDER}:role/claas-replication-isos-origin`,
  );
  assert.ok(plan.notes.some((n) => n.includes('origin.account is not set')));
  assert.deepEqual(
    plan.role!.policy.Statement.flatMap((s) => [s.Resource].flat()),
    // Same account: no owner-override statement for the destination.
    ['arn:aws:s3:::isos-origin', 'arn:aws:s3:::isos-origin/*', 'arn:aws:s3:::isos-eu/*'],
  );
  assert.ok(!JSON.stringify(plan).includes('kms:'));
  // Filled in later (apply asks STS): every ARN gets the account, the note goes.
  const filled = withSourceAccount(plan, '444455556666');
  assert.equal(filled.role?.arn, 'arn:aws:iam::444455556666:role/claas-replication-isos-origin');
  assert.equal(filled.replication?.configuration.Role, filled.role?.arn);
  assert.equal(filled.destinationPolicies.length, 0, 'a same-account destination needs no bucket policy');
  assert.ok(!JSON.stringify(filled).includes(SOURCE_ACCOUNT_PLACEHOLDER));
  assert.throws(() => withSourceAccount(plan, '12'), TypeError);
});

test("a bucket-root library with another account's native replica is refused: nothing could be kept out", () => {
  assert.throws(
    () => planNativeReplication(config(AWS_ROOT_EXAMPLE)),
    (e: ClaasError) =>
      e.code === 'BAD_INPUT' &&
      /root of bucket isos-origin/.test(e.message) &&
      /prefix/.test(e.hint ?? '') &&
      /mode: mirror/.test(e.hint ?? ''),
  );
});

test('an S3-compatible store: IAM goes to its endpoint, and the plan says where native replication works', () => {
  const plan = planNativeReplication(
    config(`library: t
origin: { location: s3://src/lib, endpoint: "http://rgw.example:7480", region: default, credentials: { profile: p } }
replicas:
  - { name: other, location: s3://dst/lib, endpoint: "http://rgw.example:7480", mode: native }
replication: { roleName: rgw-replication }
`),
  );
  checkPlan(plan);
  assert.equal(plan.role?.endpoint, 'http://rgw.example:7480');
  assert.equal(plan.role?.name, 'rgw-replication');
  assert.ok(plan.notes.some((n) => n.includes('Replica "other" is on an S3-compatible store')));
});

test('names: rule ids per library and replica, role names within IAM limits', () => {
  assert.equal(ruleId('templates', 'west'), 'claas/templates/west');
  assert.equal(defaultRoleName('templates-east'), 'claas-replication-templates-east');
  const long = defaultRoleName('b'.repeat(63));
  assert.ok(long.length <= 64, long);
  assert.match(long, /^claas-replication-b+-[0-9a-f]{8}$/);
  assert.notEqual(defaultRoleName(`${'b'.repeat(62)}c`), long);
});

test('a configuration without native replicas plans nothing', () => {
  const plan = planNativeReplication(config('library: t\norigin: { location: s3://src/lib }\n'));
  assert.equal(plan.replication, undefined);
  assert.deepEqual(plan.notes, [
    'No replica has mode: native, so there is nothing to configure for native replication.',
  ]);
});
