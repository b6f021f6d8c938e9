// The native replication plan: everything a store needs so that it replicates a library's prefix to the
// replicas configured with mode: native. `claas replication plan --format json` prints this object; the
// CLI-command and Terraform renderings are made from it. Field names inside `configuration` are exactly the
// PutBucketReplication API's (ReplicationConfiguration), so the object can be sent as is.

import type { PolicyDocument } from '../access/policies.js';
import type { StorageClass } from '../config/schema.js';

export type Status = 'Enabled' | 'Disabled';

export interface ReplicationDestination {
  /** ARN of the destination bucket. */
  Bucket: string;
  /** Destination bucket owner's account (cross-account; goes with AccessControlTranslation). */
  Account?: string;
  StorageClass?: StorageClass;
  AccessControlTranslation?: { Owner: 'Destination' };
  EncryptionConfiguration?: { ReplicaKmsKeyID: string };
  /** S3 Replication Time Control: 15 minutes, the only value S3 accepts. */
  ReplicationTime?: { Status: Status; Time: { Minutes: number } };
  Metrics?: { Status: Status; EventThreshold?: { Minutes: number } };
}

export interface ReplicationRule {
  ID: string;
  Priority: number;
  Status: Status;
  /** The library's prefix with a trailing '/'; {} for a library at the bucket root (every object). */
  Filter: { Prefix?: string };
  DeleteMarkerReplication: { Status: Status };
  SourceSelectionCriteria?: { SseKmsEncryptedObjects: { Status: Status } };
  Destination: ReplicationDestination;
}

/** The PutBucketReplication request body. */
export interface ReplicationConfiguration {
  /** ARN of the IAM role S3 assumes. */
  Role: string;
  Rules: ReplicationRule[];
}

/** Where a call goes: a bucket and how to reach it (the AWS CLI's --region, --endpoint-url, --profile). */
export interface BucketTarget {
  bucket: string;
  region?: string;
  endpoint?: string;
  profile?: string;
  /** Owner account, when known. */
  account?: string;
}

export interface VersioningStep extends BucketTarget {
  /** "origin" or the replica's name. */
  store: string;
  /** True when the destination account's owner runs it (a cross-account replica). */
  destinationAccount: boolean;
}

export interface ReplicationRole {
  name: string;
  /** arn:aws:iam::ACCOUNT:role/NAME; ACCOUNT is SOURCE_ACCOUNT_PLACEHOLDER when origin.account is not set. */
  arn: string;
  trustPolicy: PolicyDocument;
  /** Inline policy name: one per library, so that libraries sharing a source bucket share the role. */
  policyName: string;
  policy: PolicyDocument;
  /** How to reach IAM: the origin's profile; an endpoint only for S3-compatible stores that serve IAM. */
  profile?: string;
  endpoint?: string;
}

export interface DestinationPolicyStep extends BucketTarget {
  replica: string;
  /** Applied by the destination bucket's owner (another account): PutBucketPolicy replaces the whole policy. */
  policy: PolicyDocument;
}

/** A replica that is the origin's bucket seen through another endpoint: the store replicates it zone-wide. */
export interface ZoneReplica {
  replica: string;
  bucket: string;
  endpoint?: string;
  region?: string;
  reason: string;
}

export interface ReplicationPlan {
  library: string;
  source: BucketTarget & { prefix: string };
  /** Versioning on the source and every destination bucket (replication requires it on both ends). */
  versioning: VersioningStep[];
  /** Absent when no replica needs a replication rule. */
  role?: ReplicationRole;
  /** One PutBucketReplication per source bucket, holding one rule per destination. */
  replication?: { target: BucketTarget; configuration: ReplicationConfiguration };
  destinationPolicies: DestinationPolicyStep[];
  zoneReplicas: ZoneReplica[];
  /** Replicas with mode: mirror (filled by `claas mirror`, not by the store). */
  mirrorReplicas: string[];
  /** What the user must know: what replication does not do, and what to run besides. */
  notes: string[];
}

/** Stands for the source account id in ARNs when origin.account is not configured. */
export const SOURCE_ACCOUNT_PLACEHOLDER = '${SOURCE_ACCOUNT_ID}';
