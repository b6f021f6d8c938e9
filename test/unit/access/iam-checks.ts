// Checks of IAM policy documents shared by the access and replicate tests: document shape, Sids, action names
// from AWS's Service Authorization Reference, well-formed ARNs, object actions on object ARNs only.

import assert from 'node:assert/strict';
import type { PolicyDocument } from '../../../src/access/policies.js';

/** Action names as AWS's Service Authorization Reference spells them (S3, KMS, STS). */
export const KNOWN_ACTIONS = new Set([
  's3:ListBucket',
  's3:GetBucketLocation',
  's3:ListBucketMultipartUploads',
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  's3:GetReplicationConfiguration',
  's3:GetObjectVersionForReplication',
  's3:GetObjectVersionAcl',
  's3:GetObjectVersionTagging',
  's3:ReplicateObject',
  's3:ReplicateDelete',
  's3:ReplicateTags',
  's3:ObjectOwnerOverrideToBucketOwner',
  's3:List*',
  's3:GetBucketVersioning',
  's3:PutBucketVersioning',
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'sts:AssumeRole',
]);

export const BUCKET_ARN = /^arn:aws(-cn|-us-gov)?:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;
export const KMS_ARN = /^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;
export const ROLE_ARN =
  /^arn:aws(-cn|-us-gov)?:iam::(\d{12}|\$\{SOURCE_ACCOUNT_ID\}):role\/[\w+=,.@-]{1,64}$/;

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
export const actionsOf = (doc: PolicyDocument): string[] => doc.Statement.flatMap((s) => list(s.Action));

/** The document-level rules every policy claas writes keeps. */
export function checkDocument(doc: PolicyDocument, kind: 'identity' | 'resource' | 'trust'): void {
  assert.deepEqual(Object.keys(doc), ['Version', 'Statement']);
  assert.equal(doc.Version, '2012-10-17');
  assert.ok(doc.Statement.length > 0);
  const sids = doc.Statement.map((s) => s.Sid);
  assert.equal(new Set(sids).size, sids.length, 'Sids are unique');
  for (const s of doc.Statement) {
    assert.match(s.Sid, /^[A-Za-z0-9]+$/, 'IAM Sids are alphanumeric');
    assert.equal(s.Effect, 'Allow');
    for (const key of Object.keys(s)) {
      assert.ok(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'].includes(key), key);
    }
    for (const a of list(s.Action)) assert.ok(KNOWN_ACTIONS.has(a), `unknown action ${a}`);
    if (kind === 'identity') assert.equal(s.Principal, undefined, 'identity policies have no Principal');
    else assert.ok(s.Principal !== undefined, `${kind} policies name a Principal`);
    if (kind === 'trust') continue;
    for (const r of list(s.Resource)) {
      assert.ok(r === '*' || BUCKET_ARN.test(r) || KMS_ARN.test(r), `malformed resource ${r}`);
      // Object actions go on object ARNs, bucket actions on the bucket ARN.
    }
    for (const a of list(s.Action).filter((x) => x.startsWith('s3:'))) {
      const objectLevel = /Object|MultipartUploadParts|AbortMultipartUpload|Replicate/.test(a);
      for (const r of list(s.Resource)) {
        // An object ARN names keys (prefix/* or one key, e.g. claas-control/tenants.json); a bucket ARN none.
        assert.equal(/^arn:[^:]+:s3:::[^/]+\/.+$/.test(r), objectLevel, `${a} on ${r}`);
      }
    }
  }
}
