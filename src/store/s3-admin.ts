// Bucket-level administration of S3 buckets (the BucketAdmin of types.ts): creation, versioning, the bucket
// policy, replication and lifecycle configuration, and the caller's identity. An S3 store offers one for its
// bucket (store.features.bucket); BucketAdmins serves buckets that no store is opened for (`claas
// replication apply` configures the origin's and every replica's bucket). Every bucket-level SDK call of
// claas is here. Failures are ClaasErrors naming the bucket; their cause keeps the S3 code and status.

import type {
  LifecycleRule as SdkLifecycleRule,
  ReplicationConfiguration as SdkReplicationConfiguration,
  S3Client,
} from '@aws-sdk/client-s3';
import { badInput } from '../errors.js';
import { awsS3 } from './aws-sdk.js';
import type { BucketReplication, CallerIdentity, LifecycleRule, PolicyJson } from './bucket-config.js';
import { listBucketsOwner, stsCallerIdentity } from './aws-identity.js';
import { DEFAULT_REGION, endpointDisplay, isAwsEndpoint } from './endpoints.js';
import { createS3Client } from './s3-client.js';
import { httpStatus, mapS3Error, s3ErrorCode } from './s3-errors.js';
import type { S3Op } from './s3-errors.js';
import type { BucketAdmin, S3Location } from './types.js';

const {
  CreateBucketCommand,
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
} = awsS3;

export interface S3BucketAdminOptions {
  client: S3Client;
  location: S3Location;
  /** Endpoint URL in use (AWS's regional endpoint when none is configured), for network errors. */
  endpointUrl: string;
  /** What errors of bucket creation name: the store's display (s3://bucket/prefix); default s3://bucket. */
  display?: string;
}

/**
 * One ListObjectsV2 under the library prefix: whether the bucket exists and the prefix is empty. It works
 * with credentials scoped to the prefix (the policies `claas access policy` prints), where HeadBucket would
 * need bucket-wide s3:ListBucket.
 */
export async function probeLocation(
  client: S3Client,
  location: S3Location,
): Promise<{ exists: boolean; empty: boolean }> {
  const base = location.prefix === '' ? '' : `${location.prefix}/`;
  try {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: location.bucket,
        MaxKeys: 1,
        ...(base === '' ? {} : { Prefix: base }),
      }),
    );
    return { exists: true, empty: (page.Contents ?? []).length === 0 };
  } catch (e) {
    if (s3ErrorCode(e) === 'NoSuchBucket' || (httpStatus(e) === 404 && s3ErrorCode(e) !== 'NoSuchKey')) {
      return { exists: false, empty: true };
    }
    throw e;
  }
}

export class S3BucketAdmin implements BucketAdmin {
  readonly location: S3Location;
  private readonly client: S3Client;
  private readonly endpointUrl: string;
  private readonly display: string;
  private readonly bucket: string;
  /** s3://bucket: what errors of bucket configuration name. */
  private readonly url: string;

  constructor(o: S3BucketAdminOptions) {
    this.client = o.client;
    this.location = o.location;
    this.endpointUrl = o.endpointUrl;
    this.bucket = o.location.bucket;
    this.url = `s3://${o.location.bucket}`;
    this.display = o.display ?? this.url;
  }

  private async call<T>(op: S3Op, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw mapS3Error(e, op, op === 'probe' ? this.display : this.url, this.endpointUrl);
    }
  }

  async ensureBucket(): Promise<boolean> {
    const { exists } = await this.call('probe', () => probeLocation(this.client, this.location));
    if (exists) return false;
    const region = this.location.region ?? DEFAULT_REGION;
    const constraint =
      isAwsEndpoint(this.location.endpoint) && region !== 'us-east-1'
        ? { CreateBucketConfiguration: { LocationConstraint: region as never } }
        : {};
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket, ...constraint }));
      return true;
    } catch (e) {
      if (s3ErrorCode(e) === 'BucketAlreadyOwnedByYou') return false;
      if (s3ErrorCode(e) === 'BucketAlreadyExists') {
        throw badInput(
          `The bucket name ${this.bucket} is taken by another account`,
          this.display,
          'Bucket names are global; choose another one.',
        );
      }
      throw mapS3Error(e, 'create-bucket', this.display, this.endpointUrl);
    }
  }

  async getVersioning(): Promise<string | undefined> {
    const out = await this.call('read', () =>
      this.client.send(new GetBucketVersioningCommand({ Bucket: this.bucket })),
    );
    return out.Status;
  }

  async enableVersioning(): Promise<void> {
    await this.call('write', () =>
      this.client.send(
        new PutBucketVersioningCommand({
          Bucket: this.bucket,
          VersioningConfiguration: { Status: 'Enabled' },
        }),
      ),
    );
  }

  async getPolicy(): Promise<PolicyJson | undefined> {
    try {
      const out = await this.client.send(new GetBucketPolicyCommand({ Bucket: this.bucket }));
      return out.Policy === undefined ? undefined : (JSON.parse(out.Policy) as PolicyJson);
    } catch (e) {
      if (s3ErrorCode(e) === 'NoSuchBucketPolicy') return undefined;
      throw mapS3Error(e, 'read', this.url, this.endpointUrl);
    }
  }

  async putPolicy(policy: PolicyJson): Promise<void> {
    await this.call('write', () =>
      this.client.send(new PutBucketPolicyCommand({ Bucket: this.bucket, Policy: JSON.stringify(policy) })),
    );
  }

  async getReplication(): Promise<BucketReplication | undefined> {
    try {
      const out = await this.client.send(new GetBucketReplicationCommand({ Bucket: this.bucket }));
      const c = out.ReplicationConfiguration;
      // Ceph RGW answers 200 with an empty Role and no rules when there is none.
      if (c === undefined || ((c.Rules ?? []).length === 0 && (c.Role ?? '') === '')) return undefined;
      return c;
    } catch (e) {
      if (s3ErrorCode(e) === 'ReplicationConfigurationNotFoundError') return undefined;
      throw mapS3Error(e, 'read', this.url, this.endpointUrl);
    }
  }

  async putReplication(config: BucketReplication): Promise<void> {
    await this.call('write', () =>
      this.client.send(
        new PutBucketReplicationCommand({
          Bucket: this.bucket,
          // The S3 API's own field names: the SDK's type differs only in its string unions.
          ReplicationConfiguration: config as SdkReplicationConfiguration,
        }),
      ),
    );
  }

  async getLifecycle(): Promise<LifecycleRule[]> {
    try {
      const out = await this.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: this.bucket }));
      return out.Rules ?? [];
    } catch (e) {
      if (s3ErrorCode(e) === 'NoSuchLifecycleConfiguration') return [];
      throw mapS3Error(e, 'read', this.url, this.endpointUrl);
    }
  }

  /** Content-MD5, which Ceph RGW 16 requires here, comes from the client's middleware (s3-client.ts). */
  async putLifecycle(rules: LifecycleRule[]): Promise<void> {
    await this.call('write', async () => {
      if (rules.length === 0) {
        await this.client.send(new DeleteBucketLifecycleCommand({ Bucket: this.bucket }));
        return;
      }
      await this.client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: this.bucket,
          LifecycleConfiguration: { Rules: rules as SdkLifecycleRule[] },
        }),
      );
    });
  }

  async accessKeyId(): Promise<string | undefined> {
    try {
      // Only the key id is kept; the secret in the same object goes out of scope here.
      return (await this.client.config.credentials()).accessKeyId;
    } catch {
      return undefined;
    }
  }

  async callerIdentity(): Promise<CallerIdentity> {
    if (!isAwsEndpoint(this.location.endpoint)) return listBucketsOwner(this.client, this.endpointUrl);
    return stsCallerIdentity({
      region: await this.client.config.region(),
      credentials: this.client.config.credentials,
    });
  }

  async stsIdentity(timeoutMs: number): Promise<CallerIdentity | undefined> {
    const endpoint = this.location.endpoint;
    try {
      const id = await stsCallerIdentity({
        region: await this.client.config.region(),
        credentials: this.client.config.credentials,
        ...(endpoint === undefined || isAwsEndpoint(endpoint) ? {} : { endpoint }),
        timeoutMs,
        maxAttempts: 1,
      });
      return id.arn === undefined ? undefined : id;
    } catch {
      return undefined; // not implemented (RGW), no permission, offline: the caller falls back
    }
  }
}

/** A bucket and how to reach it, without a store: the origin's or a replica's bucket in `replication apply`. */
export interface BucketAddress {
  bucket: string;
  endpoint?: string;
  region?: string;
  profile?: string;
}

/** BucketAdmins for any number of buckets, one S3 client per endpoint, region and profile. */
export class BucketAdmins {
  private readonly clients = new Map<string, S3Client>();

  constructor(private readonly settings: { maxAttempts?: number } = {}) {}

  for(t: BucketAddress): BucketAdmin {
    const region = t.region ?? DEFAULT_REGION;
    const key = `${t.endpoint ?? ''}|${t.region ?? ''}|${t.profile ?? ''}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = createS3Client({
        ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }),
        region,
        ...(t.profile === undefined ? {} : { profile: t.profile }),
        ...(this.settings.maxAttempts === undefined ? {} : { maxAttempts: this.settings.maxAttempts }),
      });
      this.clients.set(key, client);
    }
    const location: S3Location = {
      kind: 's3',
      bucket: t.bucket,
      prefix: '',
      ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }),
      region,
      ...(t.profile === undefined ? {} : { profile: t.profile }),
    };
    return new S3BucketAdmin({ client, location, endpointUrl: endpointDisplay(t.endpoint, region) });
  }

  close(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
