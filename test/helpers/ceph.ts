// The Ceph RGW test peer (scripts/test-env/ceph.sh): endpoints and test users from the environment, S3
// clients per user and zone, buckets, read-only bucket policies, unique names, polling.
// Tests that need it skip with CEPH_SKIP_REASON when the environment is not set (npm test sets it).

import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  AbortMultipartUploadCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/store/s3-client.js';
import { openS3Store } from '../../src/store/s3.js';
import type { S3StoreOptions } from '../../src/store/s3.js';
import type { S3Location } from '../../src/store/types.js';

export type CephUser = 'publisher' | 'subscriber' | 'client-a';
/** The two RGW zones; each is also used as the region name. */
export type CephZone = 'us-east-1' | 'us-west-2';

export interface CephCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CephTestEnv {
  endpoints: Record<CephZone, string>;
  users: Record<CephUser, CephCredentials>;
  /** ceph.conf of the test cluster, for radosgw-admin (sync status). */
  cephConf?: string;
}

export const CEPH_SKIP_REASON =
  'Ceph RGW test peer not configured: run `bash scripts/test-env/ceph.sh up && ' +
  'eval "$(bash scripts/test-env/ceph.sh env)"` first (npm test does this)';

/** The test cluster from CLAAS_TEST_* variables, or undefined when they are not set. */
export function cephEnv(env: NodeJS.ProcessEnv = process.env): CephTestEnv | undefined {
  const pick = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const east = pick('CLAAS_TEST_S3_EAST');
  const west = pick('CLAAS_TEST_S3_WEST');
  const user = (prefix: string): CephCredentials | undefined => {
    const accessKeyId = pick(`CLAAS_TEST_${prefix}_KEY`);
    const secretAccessKey = pick(`CLAAS_TEST_${prefix}_SECRET`);
    return accessKeyId === undefined || secretAccessKey === undefined
      ? undefined
      : { accessKeyId, secretAccessKey };
  };
  const publisher = user('PUBLISHER');
  const subscriber = user('SUBSCRIBER');
  const clientA = user('CLIENTA');
  if (east === undefined || west === undefined || !publisher || !subscriber || !clientA) return undefined;
  const cephConf = pick('CLAAS_TEST_CEPH_CONF');
  return {
    endpoints: { 'us-east-1': east, 'us-west-2': west },
    users: { publisher, subscriber, 'client-a': clientA },
    ...(cephConf === undefined ? {} : { cephConf }),
  };
}

/** For node:test's `skip` option: false when Ceph is configured, else the reason. */
export function cephSkip(): string | false {
  return cephEnv() === undefined ? CEPH_SKIP_REASON : false;
}

function requireEnv(): CephTestEnv {
  const env = cephEnv();
  if (env === undefined) throw new Error(CEPH_SKIP_REASON);
  return env;
}

export function credentialsOf(user: CephUser): CephCredentials {
  return requireEnv().users[user];
}

export function endpointOf(zone: CephZone = 'us-east-1'): string {
  return requireEnv().endpoints[zone];
}

/** An S3 client as claas configures it for a non-AWS endpoint, with a test user's keys. */
export function makeS3Client(user: CephUser = 'publisher', zone: CephZone = 'us-east-1'): S3Client {
  return createS3Client({
    endpoint: endpointOf(zone),
    region: zone,
    credentials: credentialsOf(user),
    maxAttempts: 2,
  });
}

export function s3Location(bucket: string, prefix = '', zone: CephZone = 'us-east-1'): S3Location {
  return { kind: 's3', bucket, prefix, endpoint: endpointOf(zone), region: zone };
}

/** The claas S3 store for a bucket/prefix, as a test user. */
export function openTestStore(
  user: CephUser,
  bucket: string,
  prefix = '',
  opts: S3StoreOptions & { zone?: CephZone } = {},
): ReturnType<typeof openS3Store> {
  const { zone, ...storeOpts } = opts;
  return openS3Store(s3Location(bucket, prefix, zone), { credentials: credentialsOf(user), ...storeOpts });
}

/** A bucket name no other test uses: prefix + time + random, within S3's rules. */
export function uniqueBucketName(prefix: string): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 30)
    .replace(/-+$/, '');
  return `${clean}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function createBucket(
  bucket: string,
  opts: { user?: CephUser; zone?: CephZone } = {},
): Promise<void> {
  const client = makeS3Client(opts.user ?? 'publisher', opts.zone ?? 'us-east-1');
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/** The bucket policy that makes a user a reader: s3:GetObject + s3:ListBucket, nothing else. */
export function readOnlyPolicy(bucket: string, user: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: `read-${user}`,
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam:::user/${user}`] },
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      },
    ],
  });
}

/** Grants `user` read-only access to the bucket (set by the bucket's owner, the publisher by default). */
export async function putReadOnlyPolicy(
  bucket: string,
  user: CephUser = 'subscriber',
  opts: { owner?: CephUser; zone?: CephZone } = {},
): Promise<void> {
  const client = makeS3Client(opts.owner ?? 'publisher', opts.zone ?? 'us-east-1');
  try {
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: readOnlyPolicy(bucket, user) }));
  } finally {
    client.destroy();
  }
}

/** Deletes every object and unfinished upload, then the bucket. Best effort (for test cleanup). */
export async function deleteBucket(bucket: string, opts: { user?: CephUser } = {}): Promise<void> {
  const client = makeS3Client(opts.user ?? 'publisher');
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? []) {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
      );
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch {
    // Cleanup only: the cluster is thrown away anyway.
  } finally {
    client.destroy();
  }
}

/** Polls until predicate() is true; throws after timeoutMs. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  opts: { intervalMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      // Not yet: keep polling.
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 250));
  }
}
