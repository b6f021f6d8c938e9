// The bucket-level documents a BucketAdmin (s3-admin.ts) reads and writes, as claas's own types: lifecycle
// rules, replication configuration, policy documents and the caller's identity. Field names are the S3 API's
// (what its XML and JSON use), so a bucket's configuration passes through unchanged, rules of other tools
// included; callers never see AWS SDK types.

/** A lifecycle rule (PutBucketLifecycleConfiguration's LifecycleRule). */
export interface LifecycleRule {
  ID?: string;
  Status?: string;
  /** Legacy top-level prefix; newer rules use Filter. */
  Prefix?: string;
  Filter?: LifecycleFilter;
  Expiration?: { Days?: number; Date?: Date; ExpiredObjectDeleteMarker?: boolean };
  NoncurrentVersionExpiration?: { NoncurrentDays?: number; NewerNoncurrentVersions?: number };
  Transitions?: Array<{ Days?: number; Date?: Date; StorageClass?: string }>;
  NoncurrentVersionTransitions?: Array<{
    NoncurrentDays?: number;
    NewerNoncurrentVersions?: number;
    StorageClass?: string;
  }>;
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number };
}

export interface LifecycleFilter {
  Prefix?: string;
  Tag?: Tag;
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
  And?: { Prefix?: string; Tags?: Tag[]; ObjectSizeGreaterThan?: number; ObjectSizeLessThan?: number };
}

export interface Tag {
  Key?: string;
  Value?: string;
}

/** A bucket's replication configuration (PutBucketReplication's body) as a store reports it. */
export interface BucketReplication {
  /** ARN of the IAM role S3 assumes (Ceph RGW reports none). */
  Role?: string;
  Rules?: BucketReplicationRule[];
}

export interface BucketReplicationRule {
  ID?: string;
  Priority?: number;
  Status?: string;
  Prefix?: string;
  Filter?: LifecycleFilter;
  DeleteMarkerReplication?: { Status?: string };
  SourceSelectionCriteria?: { SseKmsEncryptedObjects?: { Status?: string } };
  ExistingObjectReplication?: { Status?: string };
  Destination?: {
    Bucket?: string;
    Account?: string;
    StorageClass?: string;
    AccessControlTranslation?: { Owner?: string };
    EncryptionConfiguration?: { ReplicaKmsKeyID?: string };
    ReplicationTime?: { Status?: string; Time?: { Minutes?: number } };
    Metrics?: { Status?: string; EventThreshold?: { Minutes?: number } };
  };
}

/** A bucket or IAM policy document as JSON: what the caller built, sent as is; read back parsed. */
export interface PolicyJson {
  Version?: string;
  Statement: object[];
}

/** Who a store's credentials belong to. */
export interface CallerIdentity {
  /** STS GetCallerIdentity's ARN, as STS gives it (an assumed role's session ARN as is). */
  arn?: string;
  account?: string;
  /** S3-compatible stores: the owner id ListBuckets names (Ceph RGW: "uid" or "tenant$uid"). */
  ownerId?: string;
  /** How it was found: "STS GetCallerIdentity", "ListBuckets owner", ... */
  how: string;
}
