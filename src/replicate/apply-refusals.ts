// Why a store refused one of `claas replication apply`'s calls, and what to do, for the stores that lack the
// feature (Ceph RGW 16: IAM roles need user caps and its replication assumes none; PutBucketReplication needs
// a zonegroup sync policy; bucket policies with s3:Replicate* actions are refused). Such a step is skipped
// and explained instead of failing the run.

import { isAwsEndpoint } from '../store/endpoints.js';
import { underlyingCode, underlyingStatus } from '../store/s3-errors.js';
import type { ChangeKind, Endpoint } from './apply-types.js';

/** "AccessDenied, HTTP 403": the error code and status behind a (mapped) error, else its message. */
export function errorText(e: unknown): string {
  const code = underlyingCode(e);
  const status = underlyingStatus(e);
  return (
    [code, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(', ') ||
    String((e as Error)?.message ?? e)
  );
}

/** Why a store refused a call, and what to do, for the stores that lack the feature. */
export function unsupportedReason(kind: ChangeKind, e: unknown, t: Endpoint): string | undefined {
  const status = underlyingStatus(e);
  const code = underlyingCode(e) ?? '';
  const aws = isAwsEndpoint(t.endpoint);
  if (
    kind === 'replication' &&
    (status === 405 || status === 501 || code === 'MethodNotAllowed' || code === 'NotImplemented')
  ) {
    return (
      `${t.endpoint ?? 'the store'} refused PutBucketReplication (${errorText(e)}). Ceph RGW accepts it only when the ` +
      'zonegroup has a sync policy (radosgw-admin sync group create/flow create/pipe create, then period update ' +
      '--commit); zone replication of whole buckets (the default) continues without it. Use mode: mirror elsewhere.'
    );
  }
  if ((kind === 'role' || kind === 'role-policy') && !aws) {
    return (
      `${t.endpoint ?? 'the store'} refused the IAM call (${errorText(e)}): S3-compatible stores rarely serve IAM ` +
      'roles to ordinary users (Ceph RGW needs user caps "roles=*": radosgw-admin caps add --uid=<uid> ' +
      '--caps="roles=*"), and their replication does not assume a role (Ceph multisite sync runs as the zone system user).'
    );
  }
  if (
    kind === 'bucket-policy' &&
    !aws &&
    (status === 400 || code === 'InvalidArgument' || code === 'MalformedPolicy')
  ) {
    return (
      `${t.endpoint ?? 'the store'} refused the bucket policy (${errorText(e)}): it does not know some of its actions ` +
      '(Ceph RGW 16 has no s3:Replicate* or s3:ObjectOwnerOverrideToBucketOwner). Its own replication needs no such policy.'
    );
  }
  if (status === 501 || code === 'NotImplemented')
    return `${t.endpoint ?? 'the store'} does not implement it (${errorText(e)})`;
  return undefined;
}
