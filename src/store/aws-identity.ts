// Who a store's credentials belong to: STS GetCallerIdentity (AWS, and S3-compatible stores that serve STS
// on their S3 endpoint), or the owner ListBuckets names (Ceph RGW, where STS is often missing). The STS
// client is loaded on demand: only the commands that record or need an identity pay for it.

import type { S3Client } from '@aws-sdk/client-s3';
import type { CallerIdentity } from './bucket-config.js';
import { awsS3, smithyHttp } from './aws-sdk.js';
import { mapAwsError, mapS3Error } from './s3-errors.js';
import { suppressSdkNodeVersionWarning } from './s3-client.js';

const { ListBucketsCommand } = awsS3;

export interface StsCall {
  region: string;
  /** The S3 client's credential provider: the same identity as the store's requests. */
  credentials: S3Client['config']['credentials'];
  /** S3-compatible stores serve STS (if at all) on their S3 endpoint; undefined = AWS. */
  endpoint?: string;
  /** Connection and request timeout, and the time the whole call may take. Default: the SDK's. */
  timeoutMs?: number;
  maxAttempts?: number;
}

/** STS GetCallerIdentity. Throws a ClaasError when STS does not answer (or the STS client is missing). */
export async function stsCallerIdentity(call: StsCall): Promise<CallerIdentity> {
  suppressSdkNodeVersionWarning();
  const what = 'STS GetCallerIdentity';
  let sts: typeof import('@aws-sdk/client-sts');
  try {
    sts = await import('@aws-sdk/client-sts');
  } catch (e) {
    throw mapAwsError(e, `${what} (the AWS SDK STS client @aws-sdk/client-sts is not installed)`);
  }
  const t = call.timeoutMs;
  const client = new sts.STSClient({
    region: call.region,
    credentials: call.credentials,
    ...(call.endpoint === undefined ? {} : { endpoint: call.endpoint }),
    ...(call.maxAttempts === undefined ? {} : { maxAttempts: call.maxAttempts }),
    ...(t === undefined
      ? {}
      : {
          requestHandler: new smithyHttp.NodeHttpHandler({ connectionTimeout: t, requestTimeout: t }),
        }),
  });
  const timer = new AbortController();
  const deadline = t === undefined ? undefined : setTimeout(() => timer.abort(), t);
  try {
    const out = await client.send(new sts.GetCallerIdentityCommand({}), { abortSignal: timer.signal });
    return {
      ...(out.Arn === undefined || out.Arn === '' ? {} : { arn: out.Arn }),
      ...(out.Account === undefined || out.Account === '' ? {} : { account: out.Account }),
      how: what,
    };
  } catch (e) {
    throw mapAwsError(e, what, call.endpoint);
  } finally {
    clearTimeout(deadline);
    client.destroy();
  }
}

/** The caller as the owner ListBuckets names (S3-compatible stores: Ceph RGW names its user). */
export async function listBucketsOwner(client: S3Client, endpointUrl: string): Promise<CallerIdentity> {
  let out;
  try {
    out = await client.send(new ListBucketsCommand({}));
  } catch (e) {
    throw mapS3Error(e, 'list', `the buckets of ${endpointUrl}`, endpointUrl);
  }
  const id = out.Owner?.ID;
  if (id === undefined || id === '') return { how: 'ListBuckets (no owner returned)' };
  return { ownerId: id, how: 'ListBuckets owner (Ceph RGW user)' };
}
