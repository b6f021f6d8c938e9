// Does an S3 store accept a storage class? S3-compatible stores accept only the classes configured there (Ceph
// RGW: the zone's placement targets); AWS knows them all and local folders have none. `claas mirror` asks
// before it copies a replica's data files in the replica's class.

import type { StorageClass } from '@aws-sdk/client-s3';
import { awsS3 } from './aws-sdk.js';
import { isAwsEndpoint } from './endpoints.js';
import { httpStatus, mapS3Error, s3ErrorCode } from './s3-errors.js';
import { s3SideOf, sideKey } from './s3-server-copy.js';
import type { ObjectStore } from './types.js';

/**
 * Undefined when the store takes objects in `storageClass` (checked on S3-compatible endpoints with one empty
 * PUT and one DELETE under .claas/tmp/), else a sentence saying it does not and how to add the class.
 */
export async function probeStorageClass(
  store: ObjectStore,
  storageClass: string,
): Promise<string | undefined> {
  const side = s3SideOf(store);
  if (side === undefined || isAwsEndpoint(side.location.endpoint)) return undefined;
  const key = `.claas/tmp/storage-class-probe-${process.pid}-${Date.now()}`;
  try {
    await side.client.send(
      new awsS3.PutObjectCommand({
        Bucket: side.location.bucket,
        Key: sideKey(side, key),
        Body: Buffer.alloc(0),
        ContentLength: 0,
        StorageClass: storageClass as StorageClass,
      }),
    );
  } catch (e) {
    const code = s3ErrorCode(e);
    if (code === 'InvalidStorageClass' || code === 'InvalidArgument' || httpStatus(e) === 400) {
      return (
        `${side.endpointUrl} does not accept storage class ${storageClass} (${code ?? 'HTTP 400'}); data files ` +
        'are written in the default class. On Ceph RGW, add the class to the zonegroup and zone placement ' +
        `(radosgw-admin zonegroup placement add --placement-id default-placement --storage-class ${storageClass}; ` +
        'radosgw-admin zone placement add ... ; radosgw-admin period update --commit).'
      );
    }
    throw mapS3Error(e, 'write', side.url(key), side.endpointUrl);
  }
  await store.delete([key]);
  return undefined;
}
