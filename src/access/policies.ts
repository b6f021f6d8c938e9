// Least-privilege IAM documents scoped to one library's prefix: what the publisher, a subscriber (the
// gateway's read-only credential) and S3's replication role may do. Pure functions: documents, no calls.
//
// Scoping notes: s3:ListBucket is limited with the s3:prefix condition to the library's keys; calls that name
// no prefix (HeadBucket, a bare ListObjectsV2) are then refused, so claas lists with the library prefix.
// ListBucketMultipartUploads does not support the s3:prefix condition key, so it is granted on the bucket.

import type { S3Location } from '../store/types.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal?: { AWS: string | string[] } | { Service: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export const POLICY_VERSION = '2012-10-17';

/** The ARN partition of a region: aws, aws-cn (China) or aws-us-gov (GovCloud). */
export function arnPartition(region?: string): string {
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** arn:aws:s3:::bucket */
export function bucketArn(loc: Pick<S3Location, 'bucket' | 'region'>): string {
  return `arn:${arnPartition(loc.region)}:s3:::${loc.bucket}`;
}

/** arn:aws:s3:::bucket/prefix/* (bucket/* for a library at the bucket root). */
export function libraryObjectsArn(loc: Pick<S3Location, 'bucket' | 'prefix' | 'region'>): string {
  return loc.prefix === '' ? `${bucketArn(loc)}/*` : `${bucketArn(loc)}/${loc.prefix}/*`;
}

/** The principal ARN of a Ceph RGW user in a bucket policy (account-less; tenant '' = the default tenant). */
export function rgwUserArn(uid: string, tenant = ''): string {
  return `arn:aws:iam::${tenant}:user/${uid}`;
}

/** arn:aws:iam::ACCOUNT:role/NAME */
export function roleArn(account: string, name: string, region?: string): string {
  return `arn:${arnPartition(region)}:iam::${account}:role/${name}`;
}

/**
 * The ARN of a KMS key given as an ARN, or as a key id with the region and account known; undefined for an
 * alias (IAM authorises KMS use on the key, not the alias) or when region or account is missing.
 */
export function kmsKeyArn(keyId: string, region?: string, account?: string): string | undefined {
  if (keyId.startsWith('arn:')) return keyId.includes(':alias/') ? undefined : keyId;
  if (keyId.startsWith('alias/') || region === undefined || account === undefined) return undefined;
  return `arn:${arnPartition(region)}:kms:${region}:${account}:key/${keyId}`;
}

/** The condition that limits s3:ListBucket to the library's keys; undefined for a bucket-root library. */
function listCondition(loc: S3Location): PolicyStatement['Condition'] {
  return loc.prefix === '' ? undefined : { StringLike: { 's3:prefix': [`${loc.prefix}/*`, loc.prefix] } };
}

function statement(
  Sid: string,
  Action: string[],
  Resource: string | string[],
  Condition?: PolicyStatement['Condition'],
  Principal?: PolicyStatement['Principal'],
): PolicyStatement {
  return {
    Sid,
    Effect: 'Allow',
    ...(Principal === undefined ? {} : { Principal }),
    Action,
    Resource,
    ...(Condition === undefined ? {} : { Condition }),
  };
}

function document(statements: PolicyStatement[]): PolicyDocument {
  return { Version: POLICY_VERSION, Statement: statements };
}

export interface KmsUse {
  /** ARN of the customer-managed KMS key the library's objects are encrypted with. */
  kmsKeyArn?: string;
}

/** kms: permissions for objects encrypted with a customer-managed key (none for SSE-S3 or the AWS-managed key). */
function kmsStatement(Sid: string, actions: string[], use: KmsUse): PolicyStatement[] {
  return use.kmsKeyArn === undefined ? [] : [statement(Sid, actions, use.kmsKeyArn)];
}

const PUBLISHER_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
];

/**
 * What the publisher needs: list, read, write and delete under the prefix, and manage its multipart uploads.
 * `privateArea` (a bucket key prefix ending in '/', e.g. `claas-control/libraries/lib/`): the library's
 * private area, where its audit log, locks, retention markers, staging and default archives live (issue 16;
 * store/s3-key-map.ts); the publisher may list, read, write and delete there too, and nowhere else.
 */
export function publisherPolicy(
  loc: S3Location,
  use: KmsUse = {},
  privateArea?: string,
  tenantsControlPrefix?: string,
): PolicyDocument {
  const area = privateArea === undefined ? undefined : `${bucketArn(loc)}/${privateArea}*`;
  const listArea =
    privateArea === undefined || loc.prefix === ''
      ? listCondition(loc)
      : {
          StringLike: {
            's3:prefix': [`${loc.prefix}/*`, loc.prefix, `${privateArea}*`, privateArea.replace(/\/$/, '')],
          },
        };
  return document([
    statement('ListLibraryKeys', ['s3:ListBucket'], bucketArn(loc), listArea),
    statement(
      'BucketLocationAndUploads',
      ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
      bucketArn(loc),
    ),
    statement('ReadWriteLibraryObjects', PUBLISHER_OBJECT_ACTIONS, libraryObjectsArn(loc)),
    ...(area === undefined ? [] : [statement('ReadWriteLibraryPrivateArea', PUBLISHER_OBJECT_ACTIONS, area)]),
    ...(tenantsControlPrefix === undefined ? [] : tenantStatements(loc, tenantsControlPrefix)),
    ...kmsStatement('UseLibraryKmsKey', ['kms:GenerateDataKey', 'kms:Decrypt'], use),
  ]);
}

/**
 * `claas tenant` with tenants in the store (gateway.tenants: store): read and write
 * `<controlPrefix>/tenants.json` under the lock whose entries are `<controlPrefix>/.claas/lock/*`
 * (gateway/multi/tenants-store.ts). Not the activity objects, not other libraries' private areas.
 */
function tenantStatements(loc: S3Location, controlPrefix: string): PolicyStatement[] {
  const bucket = bucketArn(loc);
  const tenants = `${controlPrefix}/tenants.json`;
  const locks = `${controlPrefix}/.claas/lock/`;
  return [
    statement('ListTenantsAndLocks', ['s3:ListBucket'], bucket, {
      StringLike: { 's3:prefix': [tenants, `${locks}*`] },
    }),
    statement('ReadWriteTenants', ['s3:GetObject', 's3:PutObject'], `${bucket}/${tenants}`),
    statement(
      'ReadWriteTenantLocks',
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      `${bucket}/${locks}*`,
    ),
  ];
}

function readStatements(loc: S3Location): PolicyStatement[] {
  return [
    statement('ListLibraryKeys', ['s3:ListBucket'], bucketArn(loc), listCondition(loc)),
    statement('BucketLocation', ['s3:GetBucketLocation'], bucketArn(loc)),
    statement('ReadLibraryObjects', ['s3:GetObject'], libraryObjectsArn(loc)),
  ];
}

/**
 * What a gateway with tenants in the store (gateway.tenants: store) and a dashboard may do under the control
 * prefix of one store, beyond reading the library (config/control-layout.ts, issue 16).
 */
export interface GatewayControlAccess {
  /** The control prefix, without slashes (e.g. claas-control). */
  controlPrefix: string;
  /** The tenant view may read here: get tenants.json, list and get activity/ (the other gateways' counters). */
  readTenants: boolean;
  /** The gateway writes its activity here (the origin): put activity/*, and get its own object back. */
  writeActivity: boolean;
  /** The library's private area whose audit entries the dashboard reads (the origin), e.g. claas-control/libraries/lib/. */
  auditArea?: string;
}

/**
 * The statements of GatewayControlAccess: nothing else under the control prefix (no write of tenants.json,
 * no lock entries, no other library's private area, no listing of the prefix itself).
 */
function gatewayControlStatements(loc: S3Location, access: GatewayControlAccess): PolicyStatement[] {
  const bucket = bucketArn(loc);
  const activity = `${access.controlPrefix}/activity/`;
  const audit = access.auditArea === undefined ? undefined : `${access.auditArea}.claas/audit/`;
  // Listing the tenants key itself tells a missing object from a denied one (S3 and RGW answer a HEAD of a
  // missing key 403 when s3:ListBucket is limited to prefixes; gateway/multi/tenants-store.ts readBounded).
  const listed = [
    ...(access.readTenants ? [`${access.controlPrefix}/tenants.json`] : []),
    ...(access.readTenants || access.writeActivity ? [`${activity}*`] : []),
    ...(audit === undefined ? [] : [`${audit}*`]),
  ];
  const readable = [
    ...(access.readTenants ? [`${bucket}/${access.controlPrefix}/tenants.json`] : []),
    ...(access.readTenants || access.writeActivity ? [`${bucket}/${activity}*`] : []),
    ...(audit === undefined ? [] : [`${bucket}/${audit}*`]),
  ];
  return [
    ...(listed.length === 0
      ? []
      : [
          statement('ListGatewayControl', ['s3:ListBucket'], bucket, {
            StringLike: { 's3:prefix': listed },
          }),
        ]),
    ...(readable.length === 0 ? [] : [statement('ReadGatewayControl', ['s3:GetObject'], readable)]),
    ...(access.writeActivity
      ? [statement('WriteGatewayActivity', ['s3:PutObject'], `${bucket}/${activity}*`)]
      : []),
  ];
}

/**
 * What a subscriber (the gateway, a tenant's store credential) needs: list and read under the prefix. Nothing
 * else, but for a gateway with `control` its part of the control prefix (gatewayControlStatements).
 */
export function subscriberPolicy(
  loc: S3Location,
  use: KmsUse = {},
  control?: GatewayControlAccess,
): PolicyDocument {
  return document([
    ...readStatements(loc),
    ...(control === undefined ? [] : gatewayControlStatements(loc, control)),
    ...kmsStatement('DecryptLibraryObjects', ['kms:Decrypt'], use),
  ]);
}

/**
 * Only a gateway's part of the control prefix, for a store whose library it does not read (the origin, when
 * gateway.prefer leaves it out: the gateway still writes its activity there and the dashboard reads the audit).
 */
export function gatewayControlPolicy(loc: S3Location, control: GatewayControlAccess): PolicyDocument {
  return document(gatewayControlStatements(loc, control));
}

/**
 * An identity policy's S3 statements as a bucket policy granted to a principal (an IAM user or role ARN of
 * another account, or on Ceph RGW a user: rgwUserArn(uid)). KMS statements are left out: KMS access is
 * granted in the key's own policy.
 */
export function asBucketPolicy(identity: PolicyDocument, principalArn: string | string[]): PolicyDocument {
  const Principal = { AWS: principalArn };
  return document(
    identity.Statement.filter((s) => [s.Action].flat().every((a) => a.startsWith('s3:'))).map((s) =>
      statement(s.Sid, [s.Action].flat(), s.Resource ?? [], s.Condition, Principal),
    ),
  );
}

/** The subscriber's read access (and a gateway's part of the control prefix) as a bucket policy granted to a principal. */
export function subscriberBucketPolicy(
  loc: S3Location,
  principalArn: string | string[],
  control?: GatewayControlAccess,
): PolicyDocument {
  return asBucketPolicy(subscriberPolicy(loc, {}, control), principalArn);
}

/**
 * What the owner of a mirror replica's bucket (another account, or another Ceph RGW user) grants the
 * principal claas mirror runs as: the publisher's access, limited to the library prefix of that bucket.
 */
export function mirrorWriterBucketPolicy(loc: S3Location, principalArn: string | string[]): PolicyDocument {
  return asBucketPolicy(publisherPolicy(loc), principalArn);
}

/** The trust policy of the replication role: only the S3 service may assume it. */
export function replicationTrustPolicy(): PolicyDocument {
  return document([
    {
      Sid: 'S3AssumesReplicationRole',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sts:AssumeRole',
    },
  ]);
}

export interface ReplicationDestination {
  location: S3Location;
  /** Cross-account with owner override: the role also needs s3:ObjectOwnerOverrideToBucketOwner. */
  ownerOverride: boolean;
  /**
   * S3 encrypts replicas with a KMS key (EncryptionConfiguration.ReplicaKmsKeyID): the role may encrypt with
   * it. Without the key's ARN (an alias) the grant is any key, used by S3 for this library's replicas only.
   */
  replicaKms?: { kmsKeyArn?: string };
}

export interface ReplicationRoleInput {
  source: S3Location;
  destinations: ReplicationDestination[];
  /**
   * The origin writes SSE-KMS objects: the role decrypts them. With the key's ARN the grant names the key;
   * without it (an AWS-managed key or a key id) it is any key, used by S3 for objects of this library only.
   */
  sourceKms?: { kmsKeyArn?: string };
  /** Region used for kms:ViaService when a location has none. */
  defaultRegion: string;
}

function viaS3(region: string | undefined, defaultRegion: string): string {
  const r = region ?? defaultRegion;
  return `s3.${r}.${arnPartition(r) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/** The replication role's permissions, per s3-facts.md, scoped to the library prefix at both ends. */
export function replicationRolePolicy(input: ReplicationRoleInput): PolicyDocument {
  const { source, destinations } = input;
  const statements: PolicyStatement[] = [
    statement(
      'SourceBucketConfiguration',
      ['s3:GetReplicationConfiguration', 's3:ListBucket'],
      bucketArn(source),
    ),
    statement(
      'ReadSourceLibraryVersions',
      ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
      libraryObjectsArn(source),
    ),
    statement(
      'ReplicateIntoDestinations',
      ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
      destinations.map((d) => libraryObjectsArn(d.location)),
    ),
  ];
  const overrides = destinations.filter((d) => d.ownerOverride);
  if (overrides.length > 0) {
    statements.push(
      statement(
        'OwnerOverrideToDestination',
        ['s3:ObjectOwnerOverrideToBucketOwner'],
        overrides.map((d) => libraryObjectsArn(d.location)),
      ),
    );
  }
  if (input.sourceKms !== undefined) {
    statements.push(
      statement('DecryptSourceObjects', ['kms:Decrypt'], input.sourceKms.kmsKeyArn ?? '*', {
        StringLike: {
          'kms:ViaService': viaS3(source.region, input.defaultRegion),
          'kms:EncryptionContext:aws:s3:arn': libraryObjectsArn(source),
        },
      }),
    );
  }
  const encrypted = destinations.filter((d) => d.replicaKms !== undefined);
  if (encrypted.length > 0) {
    const keys = unique(encrypted.map((d) => d.replicaKms?.kmsKeyArn ?? '*'));
    statements.push(
      statement('EncryptReplicas', ['kms:Encrypt'], keys.includes('*') ? '*' : keys, {
        StringLike: {
          'kms:ViaService': unique(encrypted.map((d) => viaS3(d.location.region, input.defaultRegion))),
          'kms:EncryptionContext:aws:s3:arn': encrypted.map((d) => libraryObjectsArn(d.location)),
        },
      }),
    );
  }
  return document(statements);
}

/**
 * The bucket policy the owner of a cross-account destination applies so that the source account's replication
 * role may write replicas into the library prefix (and check versioning, as PutBucketReplication does).
 */
export function destinationBucketPolicy(dest: S3Location, replicationRoleArn: string): PolicyDocument {
  const Principal = { AWS: replicationRoleArn };
  return document([
    statement(
      'ReplicateIntoLibrary',
      ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
      libraryObjectsArn(dest),
      undefined,
      Principal,
    ),
    statement(
      'ReplicationBucketChecks',
      ['s3:List*', 's3:GetBucketVersioning', 's3:PutBucketVersioning'],
      bucketArn(dest),
      undefined,
      Principal,
    ),
  ]);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
