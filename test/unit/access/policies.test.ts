// IAM documents against the shapes AWS documents: every action a real S3/KMS/STS action name (the ones
// s3-facts.md and the S3 replication guide name), ARNs well formed and scoped to the library prefix, the
// s3:prefix condition on listing, and a subscriber policy with nothing that writes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arnPartition,
  destinationBucketPolicy,
  kmsKeyArn,
  mirrorWriterBucketPolicy,
  publisherPolicy,
  replicationRolePolicy,
  replicationTrustPolicy,
  rgwUserArn,
  subscriberBucketPolicy,
  subscriberPolicy,
} from '../../../src/access/policies.js';
import type { PolicyDocument, PolicyStatement } from '../../../src/access/policies.js';
import { actionsOf, checkDocument, list, ROLE_ARN } from './iam-checks.js';
import { accessPolicies } from '../../../src/replicate/access-for-config.js';
import type { S3Location } from '../../../src/store/types.js';
import { AWS_EXAMPLE, config, ISSUE_4_EXAMPLE, ISSUE_5_GATEWAY } from '../config/examples.js';

/** S3 actions that only read (what a subscriber may have). */
const READ_ONLY_S3 = new Set(['s3:ListBucket', 's3:GetBucketLocation', 's3:GetObject']);

const lib: S3Location = { kind: 's3', bucket: 'templates-east', prefix: 'lib/sub', region: 'us-east-1' };
const root: S3Location = { kind: 's3', bucket: 'isos', prefix: '' };

function byId(doc: PolicyDocument, sid: string): PolicyStatement {
  const s = doc.Statement.find((x) => x.Sid === sid);
  assert.ok(s !== undefined, `no statement ${sid}`);
  return s;
}

test('publisher: list with the prefix condition, read/write/delete and multipart under the prefix only', () => {
  const doc = publisherPolicy(lib);
  checkDocument(doc, 'identity');
  assert.deepEqual(byId(doc, 'ListLibraryKeys'), {
    Sid: 'ListLibraryKeys',
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: 'arn:aws:s3:::templates-east',
    Condition: { StringLike: { 's3:prefix': ['lib/sub/*', 'lib/sub'] } },
  });
  assert.deepEqual(byId(doc, 'BucketLocationAndUploads').Action, [
    's3:GetBucketLocation',
    's3:ListBucketMultipartUploads',
  ]);
  const objects = byId(doc, 'ReadWriteLibraryObjects');
  assert.equal(objects.Resource, 'arn:aws:s3:::templates-east/lib/sub/*');
  assert.deepEqual(objects.Action, [
    's3:GetObject',
    's3:PutObject',
    's3:DeleteObject',
    's3:AbortMultipartUpload',
    's3:ListMultipartUploadParts',
  ]);
  assert.ok(!JSON.stringify(doc).includes('kms:'));
  const kms = publisherPolicy(lib, { kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/abc' });
  checkDocument(kms, 'identity');
  assert.deepEqual(byId(kms, 'UseLibraryKmsKey').Action, ['kms:GenerateDataKey', 'kms:Decrypt']);
});

test("publisher with the library's private area: list, read, write and delete there too, nowhere else", () => {
  const doc = publisherPolicy(lib, {}, 'claas-control/libraries/lib/sub/');
  checkDocument(doc, 'identity');
  assert.deepEqual(byId(doc, 'ListLibraryKeys').Condition, {
    StringLike: {
      's3:prefix': [
        'lib/sub/*',
        'lib/sub',
        'claas-control/libraries/lib/sub/*',
        'claas-control/libraries/lib/sub',
      ],
    },
  });
  const area = byId(doc, 'ReadWriteLibraryPrivateArea');
  assert.equal(area.Resource, 'arn:aws:s3:::templates-east/claas-control/libraries/lib/sub/*');
  assert.deepEqual(area.Action, byId(doc, 'ReadWriteLibraryObjects').Action);
  const resources = doc.Statement.flatMap((x) => [x.Resource].flat());
  for (const r of resources) {
    assert.ok(
      r === 'arn:aws:s3:::templates-east' ||
        r === 'arn:aws:s3:::templates-east/lib/sub/*' ||
        r === 'arn:aws:s3:::templates-east/claas-control/libraries/lib/sub/*',
      `nothing beyond the prefix and the area: ${r}`,
    );
  }
  assert.ok(!JSON.stringify(doc).includes('claas-control/*'), 'not the whole control prefix (tenants)');
});

test('subscriber: nothing that writes, scoped to the prefix', () => {
  for (const loc of [lib, root]) {
    for (const doc of [
      subscriberPolicy(loc),
      subscriberPolicy(loc, { kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/k' }),
    ]) {
      checkDocument(doc, 'identity');
      const actions = actionsOf(doc);
      for (const a of actions.filter((x) => x.startsWith('s3:')))
        assert.ok(READ_ONLY_S3.has(a), `${a} in a subscriber policy`);
      for (const a of actions)
        assert.doesNotMatch(a, /Put|Delete|Replicate|Abort|Create|Restore|Encrypt|GenerateDataKey|\*/);
    }
  }
  assert.deepEqual(actionsOf(subscriberPolicy(lib)).sort(), [
    's3:GetBucketLocation',
    's3:GetObject',
    's3:ListBucket',
  ]);
});

test('a bucket-root library: resources are bucket/* and listing is not limited by prefix', () => {
  for (const doc of [publisherPolicy(root), subscriberPolicy(root)]) {
    const resources = doc.Statement.flatMap((s) => list(s.Resource));
    assert.ok(resources.includes('arn:aws:s3:::isos/*'));
    assert.ok(resources.every((r) => r === 'arn:aws:s3:::isos' || r === 'arn:aws:s3:::isos/*'));
    assert.equal(byId(doc, 'ListLibraryKeys').Condition, undefined);
  }
});

test('subscriber bucket policy: the same read access granted to a principal (an RGW user or an IAM ARN)', () => {
  assert.equal(rgwUserArn('gateway-reader'), 'arn:aws:iam:::user/gateway-reader');
  assert.equal(rgwUserArn('reader', 'tenant1'), 'arn:aws:iam::tenant1:user/reader');
  const doc = subscriberBucketPolicy(lib, rgwUserArn('gateway-reader'));
  checkDocument(doc, 'resource');
  for (const s of doc.Statement) assert.deepEqual(s.Principal, { AWS: 'arn:aws:iam:::user/gateway-reader' });
  assert.deepEqual(actionsOf(doc).sort(), ['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket']);
  assert.deepEqual(
    doc.Statement.map((s) => Object.keys(s)),
    doc.Statement.map((s) => [
      'Sid',
      'Effect',
      'Principal',
      'Action',
      'Resource',
      ...(s.Condition ? ['Condition'] : []),
    ]),
  );
});

test('mirror writer bucket policy: the publisher access to one prefix, granted to another user', () => {
  const principal = rgwUserArn('publisher');
  const doc = mirrorWriterBucketPolicy({ ...lib, region: undefined }, principal);
  checkDocument(doc, 'resource');
  assert.deepEqual(
    doc.Statement.map((s) => s.Sid),
    ['ListLibraryKeys', 'BucketLocationAndUploads', 'ReadWriteLibraryObjects'],
  );
  assert.deepEqual(actionsOf(doc), actionsOf(publisherPolicy(lib)));
  // A KMS statement of an identity policy has no place in a bucket policy.
  const withKms = mirrorWriterBucketPolicy(lib, principal);
  assert.ok(!actionsOf(withKms).some((a) => a.startsWith('kms:')));
});

test('replication role: trust for s3.amazonaws.com, permissions per the S3 replication guide', () => {
  const trust = replicationTrustPolicy();
  checkDocument(trust, 'trust');
  assert.deepEqual(trust.Statement[0], {
    Sid: 'S3AssumesReplicationRole',
    Effect: 'Allow',
    Principal: { Service: 's3.amazonaws.com' },
    Action: 'sts:AssumeRole',
  });
  const dest: S3Location = { kind: 's3', bucket: 'dest-west', prefix: 'lib/sub', region: 'us-west-2' };
  const doc = replicationRolePolicy({
    source: lib,
    destinations: [{ location: dest, ownerOverride: false }],
    defaultRegion: 'us-east-1',
  });
  checkDocument(doc, 'identity');
  assert.deepEqual(
    doc.Statement.map((s) => [s.Sid, s.Action, s.Resource]),
    [
      [
        'SourceBucketConfiguration',
        ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        'arn:aws:s3:::templates-east',
      ],
      [
        'ReadSourceLibraryVersions',
        ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
        'arn:aws:s3:::templates-east/lib/sub/*',
      ],
      [
        'ReplicateIntoDestinations',
        ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        ['arn:aws:s3:::dest-west/lib/sub/*'],
      ],
    ],
  );
});

test('replication role with owner override and SSE-KMS: kms:Decrypt at the source, kms:Encrypt for replicas', () => {
  const a: S3Location = { kind: 's3', bucket: 'dest-a', prefix: 'lib', region: 'us-west-2' };
  const b: S3Location = { kind: 's3', bucket: 'dest-b', prefix: 'lib' };
  const doc = replicationRolePolicy({
    source: { ...lib, prefix: 'lib' },
    destinations: [
      {
        location: a,
        ownerOverride: true,
        replicaKms: { kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/a' },
      },
      {
        location: b,
        ownerOverride: false,
        replicaKms: { kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/b' },
      },
    ],
    sourceKms: { kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/src' },
    defaultRegion: 'us-east-1',
  });
  checkDocument(doc, 'identity');
  assert.deepEqual(byId(doc, 'OwnerOverrideToDestination').Resource, ['arn:aws:s3:::dest-a/lib/*']);
  assert.deepEqual(byId(doc, 'DecryptSourceObjects'), {
    Sid: 'DecryptSourceObjects',
    Effect: 'Allow',
    Action: ['kms:Decrypt'],
    Resource: 'arn:aws:kms:us-east-1:111122223333:key/src',
    Condition: {
      StringLike: {
        'kms:ViaService': 's3.us-east-1.amazonaws.com',
        'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::templates-east/lib/*',
      },
    },
  });
  assert.deepEqual(byId(doc, 'EncryptReplicas'), {
    Sid: 'EncryptReplicas',
    Effect: 'Allow',
    Action: ['kms:Encrypt'],
    Resource: ['arn:aws:kms:us-west-2:123456789012:key/a', 'arn:aws:kms:us-east-1:111122223333:key/b'],
    Condition: {
      StringLike: {
        'kms:ViaService': ['s3.us-west-2.amazonaws.com', 's3.us-east-1.amazonaws.com'],
        'kms:EncryptionContext:aws:s3:arn': ['arn:aws:s3:::dest-a/lib/*', 'arn:aws:s3:::dest-b/lib/*'],
      },
    },
  });
});

test('destination bucket policy: the source role may replicate into the prefix and check versioning', () => {
  const role = 'arn:aws:iam::111122223333:role/claas-replication-templates-east';
  assert.match(role, ROLE_ARN);
  const doc = destinationBucketPolicy({ kind: 's3', bucket: 'client-a-templates', prefix: 'lib' }, role);
  checkDocument(doc, 'resource');
  assert.deepEqual(
    doc.Statement.map((s) => [s.Principal, s.Action, s.Resource]),
    [
      [
        { AWS: role },
        [
          's3:ReplicateObject',
          's3:ReplicateDelete',
          's3:ReplicateTags',
          's3:ObjectOwnerOverrideToBucketOwner',
        ],
        'arn:aws:s3:::client-a-templates/lib/*',
      ],
      [
        { AWS: role },
        ['s3:List*', 's3:GetBucketVersioning', 's3:PutBucketVersioning'],
        'arn:aws:s3:::client-a-templates',
      ],
    ],
  );
});

test('ARN helpers: partitions and KMS key ARNs', () => {
  assert.equal(arnPartition('cn-north-1'), 'aws-cn');
  assert.equal(arnPartition('us-gov-west-1'), 'aws-us-gov');
  assert.equal(arnPartition(undefined), 'aws');
  assert.equal(
    publisherPolicy({ ...lib, region: 'cn-north-1' }).Statement[0]?.Resource,
    'arn:aws-cn:s3:::templates-east',
  );
  assert.equal(
    kmsKeyArn('arn:aws:kms:us-east-1:111122223333:key/k'),
    'arn:aws:kms:us-east-1:111122223333:key/k',
  );
  assert.equal(kmsKeyArn('arn:aws:kms:us-east-1:111122223333:alias/x'), undefined);
  assert.equal(kmsKeyArn('k-1', 'eu-west-1', '111122223333'), 'arn:aws:kms:eu-west-1:111122223333:key/k-1');
  assert.equal(kmsKeyArn('k-1', 'eu-west-1'), undefined);
  assert.equal(kmsKeyArn('alias/x', 'eu-west-1', '111122223333'), undefined);
});

test('accessPolicies: per role, for the stores of a configuration', () => {
  const c = config(`${ISSUE_4_EXAMPLE}${ISSUE_5_GATEWAY}`);
  const publisher = accessPolicies(c, 'publisher');
  assert.deepEqual(
    publisher.map((p) => [p.store, p.kind]),
    [
      ['origin', 'identity'],
      ['client-a', 'identity'],
    ],
  );
  assert.equal(publisher[1]?.document.Statement[2]?.Resource, 'arn:aws:s3:::client-a-templates/lib/*');
  // The origin's publisher also writes the library's private area (issue 16); a mirror replica has none.
  const originObjects = publisher[0]!.document.Statement.find((x) => x.Sid === 'ReadWriteLibraryPrivateArea');
  assert.match(String(originObjects?.Resource), /\/claas-control\/libraries\/lib\/\*$/);
  assert.ok(!publisher[1]!.document.Statement.some((x) => x.Sid === 'ReadWriteLibraryPrivateArea'));
  for (const p of accessPolicies(c, 'subscriber')) {
    assert.ok(!JSON.stringify(p.document).includes('claas-control'), 'subscribers never reach it');
  }
  // For a bucket of another owner (client-a's RGW user), the same access as a bucket policy.
  const granted = accessPolicies(c, 'publisher', { principalArn: rgwUserArn('publisher') });
  assert.deepEqual(
    granted.map((p) => [p.store, p.kind]),
    [
      ['origin', 'identity'],
      ['origin', 'bucket'],
      ['client-a', 'identity'],
      ['client-a', 'bucket'],
    ],
  );
  assert.match(granted[3]!.description, /bucket client-a-templates granting arn:aws:iam:::user\/publisher/);
  checkDocument(granted[3]!.document, 'resource');
  // The gateway prefers west, then origin: the subscriber reads those two.
  const subscriber = accessPolicies(c, 'subscriber', { principalArn: rgwUserArn('reader') });
  assert.deepEqual(
    subscriber.map((p) => [p.store, p.kind]),
    [
      ['west', 'identity'],
      ['west', 'bucket'],
      ['origin', 'identity'],
      ['origin', 'bucket'],
    ],
  );
  for (const p of subscriber) {
    checkDocument(p.document, p.kind === 'bucket' ? 'resource' : 'identity');
    for (const a of actionsOf(p.document)) assert.ok(READ_ONLY_S3.has(a), a);
  }
  // Ceph multisite and a mirror: no replication role is needed.
  assert.deepEqual(accessPolicies(c, 'replication'), []);

  const aws = config(AWS_EXAMPLE);
  const replication = accessPolicies(aws, 'replication');
  assert.deepEqual(
    replication.map((p) => [p.store, p.kind]),
    [
      ['replication', 'trust'],
      ['replication', 'identity'],
      ['client-a', 'bucket'],
    ],
  );
  checkDocument(replication[0]!.document, 'trust');
  checkDocument(replication[1]!.document, 'identity');
  checkDocument(replication[2]!.document, 'resource');
  // Subscriber access to KMS-encrypted stores decrypts with the store's key.
  const sub = accessPolicies(aws, 'subscriber');
  assert.deepEqual(
    sub.map((p) => [p.store, actionsOf(p.document).filter((a) => a.startsWith('kms:'))]),
    [
      ['origin', ['kms:Decrypt']],
      ['west', ['kms:Decrypt']],
      ['client-a', ['kms:Decrypt']],
      ['archive', []],
    ],
  );
});

/** A gateway with tenants in the store and a dashboard, preferring west, the mirror client-a, then the origin. */
const TENANTS_IN_STORE_GATEWAY = `gateway:
  listen: 127.0.0.1:8443
  prefer: [west, client-a, origin]
  credentials: { profile: subscriber }
  tenants: store
  admin: { passwordFile: ./admin.pw }
`;

/** The statements of a document by Sid. */
function bySid(doc: PolicyDocument): Record<string, PolicyStatement> {
  return Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
}

test('subscriber of a gateway with tenants in the store: its part of the control prefix, nothing else', () => {
  const c = config(`${ISSUE_4_EXAMPLE}${TENANTS_IN_STORE_GATEWAY}`);
  const docs = accessPolicies(c, 'subscriber', { principalArn: rgwUserArn('reader') });
  assert.deepEqual(
    docs.map((p) => [p.store, p.kind]),
    [
      ['west', 'identity'],
      ['west', 'bucket'],
      ['client-a', 'identity'],
      ['client-a', 'bucket'],
      ['origin', 'identity'],
      ['origin', 'bucket'],
    ],
  );
  for (const p of docs) checkDocument(p.document, p.kind === 'bucket' ? 'resource' : 'identity');
  const [west, , mirror, , origin] = docs.map((p) => bySid(p.document));
  // West (a native replica in the provider's account): read the tenants and the other gateways' activity.
  assert.deepEqual(west!.ListGatewayControl?.Condition, {
    StringLike: { 's3:prefix': ['claas-control/tenants.json', 'claas-control/activity/*'] },
  });
  assert.deepEqual(west!.ReadGatewayControl?.Resource, [
    'arn:aws:s3:::templates-east/claas-control/tenants.json',
    'arn:aws:s3:::templates-east/claas-control/activity/*',
  ]);
  assert.equal(west!.WriteGatewayActivity, undefined, 'activity is written at the origin only');
  // A mirror (a client's replica) carries no control data: plain read access.
  assert.deepEqual(Object.keys(mirror!), ['ListLibraryKeys', 'BucketLocation', 'ReadLibraryObjects']);
  // The origin: also write its own activity, and read the audit entries of this library's private area.
  assert.deepEqual(origin!.ListGatewayControl?.Condition, {
    StringLike: {
      's3:prefix': [
        'claas-control/tenants.json',
        'claas-control/activity/*',
        'claas-control/libraries/lib/.claas/audit/*',
      ],
    },
  });
  assert.deepEqual(origin!.ReadGatewayControl?.Resource, [
    'arn:aws:s3:::templates-east/claas-control/tenants.json',
    'arn:aws:s3:::templates-east/claas-control/activity/*',
    'arn:aws:s3:::templates-east/claas-control/libraries/lib/.claas/audit/*',
  ]);
  assert.deepEqual(origin!.WriteGatewayActivity, {
    Sid: 'WriteGatewayActivity',
    Effect: 'Allow',
    Action: ['s3:PutObject'],
    Resource: 'arn:aws:s3:::templates-east/claas-control/activity/*',
  });
  // Nothing else under the control prefix: no write of the tenants or locks, no other library's area.
  for (const p of docs) {
    for (const s of p.document.Statement) {
      for (const a of list(s.Action)) assert.ok(READ_ONLY_S3.has(a) || a === 's3:PutObject', a);
      if (list(s.Action).includes('s3:PutObject')) {
        assert.deepEqual(list(s.Resource), ['arn:aws:s3:::templates-east/claas-control/activity/*']);
      }
      for (const r of list(s.Resource)) {
        assert.ok(!r.endsWith('/claas-control/*') && !r.includes('.claas/lock'), r);
        if (r.includes('/libraries/'))
          assert.match(r, /\/claas-control\/libraries\/lib\/\.claas\/audit\/\*$/);
      }
    }
  }
  assert.match(
    docs[4]!.description,
    /control prefix \(read tenants and activity, write its activity, read the audit log\)/,
  );
});

test('subscriber: the origin out of gateway.prefer still gets the activity write and the audit read', () => {
  const yaml = TENANTS_IN_STORE_GATEWAY.replace('[west, client-a, origin]', '[west]');
  const docs = accessPolicies(config(`${ISSUE_4_EXAMPLE}${yaml}`), 'subscriber');
  assert.deepEqual(
    docs.map((p) => p.store),
    ['west', 'origin'],
  );
  const origin = docs[1]!.document;
  checkDocument(origin, 'identity');
  assert.deepEqual(
    origin.Statement.map((s) => [s.Sid, list(s.Action)]),
    [
      ['ListGatewayControl', ['s3:ListBucket']],
      ['ReadGatewayControl', ['s3:GetObject']],
      ['WriteGatewayActivity', ['s3:PutObject']],
    ],
  );
  assert.deepEqual(origin.Statement[0]?.Condition, {
    StringLike: { 's3:prefix': ['claas-control/activity/*', 'claas-control/libraries/lib/.claas/audit/*'] },
  });
  assert.ok(
    !JSON.stringify(origin).includes('tenants.json'),
    'the tenants are read where the view reads them',
  );
  // A dashboard without tenants in the store: the audit read only; no gateway section: nothing.
  const local = TENANTS_IN_STORE_GATEWAY.replace('tenants: store', 'tenants: ./tenants.json').replace(
    '[west, client-a, origin]',
    '[origin]',
  );
  const audit = bySid(accessPolicies(config(`${ISSUE_4_EXAMPLE}${local}`), 'subscriber')[0]!.document);
  assert.deepEqual(audit.ReadGatewayControl?.Resource, [
    'arn:aws:s3:::templates-east/claas-control/libraries/lib/.claas/audit/*',
  ]);
  assert.equal(audit.WriteGatewayActivity, undefined);
  for (const p of accessPolicies(config(ISSUE_4_EXAMPLE), 'subscriber')) {
    assert.ok(!JSON.stringify(p.document).includes('claas-control'), p.store);
  }
});

test('publisher with tenants in the store: tenants.json and its lock entries, for the origin only', () => {
  const c = config(`${ISSUE_4_EXAMPLE}${TENANTS_IN_STORE_GATEWAY}`);
  const docs = accessPolicies(c, 'publisher', { principalArn: rgwUserArn('publisher') });
  for (const p of docs) checkDocument(p.document, p.kind === 'bucket' ? 'resource' : 'identity');
  const origin = bySid(docs[0]!.document);
  assert.deepEqual(origin.ListTenantsAndLocks?.Condition, {
    StringLike: { 's3:prefix': ['claas-control/tenants.json', 'claas-control/.claas/lock/*'] },
  });
  assert.deepEqual(
    [origin.ReadWriteTenants?.Action, origin.ReadWriteTenants?.Resource],
    [['s3:GetObject', 's3:PutObject'], 'arn:aws:s3:::templates-east/claas-control/tenants.json'],
  );
  assert.deepEqual(
    [origin.ReadWriteTenantLocks?.Action, origin.ReadWriteTenantLocks?.Resource],
    [
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      'arn:aws:s3:::templates-east/claas-control/.claas/lock/*',
    ],
  );
  assert.ok(!JSON.stringify(docs[0]!.document).includes('activity'), 'not the gateways’ activity');
  assert.ok(bySid(docs[1]!.document).ReadWriteTenants !== undefined, 'the bucket policy says the same');
  // The mirror writer (a client's bucket) never gets control access; nor the publisher of local tenants.
  for (const p of docs.filter((d) => d.store === 'client-a')) {
    assert.ok(!JSON.stringify(p.document).includes('claas-control'), p.kind);
  }
  const local = accessPolicies(config(`${ISSUE_4_EXAMPLE}${ISSUE_5_GATEWAY}`), 'publisher')[0]!.document;
  assert.equal(bySid(local).ReadWriteTenants, undefined);
  // Another control prefix moves every statement with it.
  const moved = config(`${ISSUE_4_EXAMPLE}${TENANTS_IN_STORE_GATEWAY}  controlPrefix: provider/ctl\n`);
  assert.equal(
    bySid(accessPolicies(moved, 'publisher')[0]!.document).ReadWriteTenants?.Resource,
    'arn:aws:s3:::templates-east/provider/ctl/tenants.json',
  );
  assert.deepEqual(
    bySid(accessPolicies(moved, 'subscriber')[2]!.document).WriteGatewayActivity?.Resource,
    'arn:aws:s3:::templates-east/provider/ctl/activity/*',
  );
});
