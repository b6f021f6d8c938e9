// Reading and writing a bucket's lifecycle configuration (and reading its versioning state) with the
// library store's own client. Loaded lazily by the lifecycle command (it pulls in the AWS SDK).

import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  PutBucketLifecycleConfigurationCommand,
} from '@aws-sdk/client-s3';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { isAwsEndpoint } from '../store/endpoints.js';
import { mapS3Error, s3ErrorCode } from '../store/s3-errors.js';
import type { S3StoreExtras } from '../store/s3.js';

type Bucket = Pick<S3StoreExtras, 'client' | 'location' | 'endpointUrl'>;

function bucketUrl(b: Bucket): string {
  return `s3://${b.location.bucket}`;
}

/** The bucket's lifecycle rules ([] when it has none). */
export async function readLifecycleRules(b: Bucket): Promise<LifecycleRule[]> {
  try {
    const out = await b.client.send(
      new GetBucketLifecycleConfigurationCommand({ Bucket: b.location.bucket }),
    );
    return out.Rules ?? [];
  } catch (e) {
    if (s3ErrorCode(e) === 'NoSuchLifecycleConfiguration') return [];
    throw mapS3Error(e, 'read', bucketUrl(b), b.endpointUrl);
  }
}

/** 'Enabled', 'Suspended' or undefined (never enabled). */
export async function readVersioning(b: Bucket): Promise<string | undefined> {
  try {
    const out = await b.client.send(new GetBucketVersioningCommand({ Bucket: b.location.bucket }));
    return out.Status;
  } catch (e) {
    throw mapS3Error(e, 'read', bucketUrl(b), b.endpointUrl);
  }
}

/** Replaces the bucket's lifecycle configuration (deletes it when no rule is left). */
export async function writeLifecycleRules(b: Bucket, rules: LifecycleRule[]): Promise<void> {
  try {
    if (rules.length === 0) {
      await b.client.send(new DeleteBucketLifecycleCommand({ Bucket: b.location.bucket }));
      return;
    }
    const command = new PutBucketLifecycleConfigurationCommand({
      Bucket: b.location.bucket,
      LifecycleConfiguration: { Rules: rules },
    });
    if (!isAwsEndpoint(b.location.endpoint)) withContentMd5(command);
    await b.client.send(command);
  } catch (e) {
    throw mapS3Error(e, 'write', bucketUrl(b), b.endpointUrl);
  }
}

interface SerializedRequest {
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * PutBucketLifecycleConfiguration must carry an integrity header. claas's clients for S3-compatible
 * stores send checksums only when required, and older servers (Ceph RGW 16) know only Content-MD5.
 */
function withContentMd5(command: PutBucketLifecycleConfigurationCommand): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = (args as { request?: SerializedRequest }).request;
      const body = request?.body;
      if (request !== undefined && (typeof body === 'string' || body instanceof Uint8Array)) {
        request.headers['content-md5'] = createHash('md5').update(body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'claasLifecycleContentMd5', priority: 'low' },
  );
}
