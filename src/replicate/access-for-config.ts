// The policy documents each role of a configuration needs (`claas access policy --role ...`): the
// publisher (writes the origin; claas mirror also writes mirror replicas), the subscriber (the gateway's
// read-only credential on every store it may read), and the replication role of the native plan.

import { storeLocation } from '../config/schema.js';
import type { ClaasConfig, OriginConfig, ReplicaConfig } from '../config/schema.js';
import { controlPrefixOf } from '../config/control-layout.js';
import { privateAreaBase } from '../store/s3-key-map.js';
import { planNativeReplication } from './plan-native.js';
import {
  asBucketPolicy,
  kmsKeyArn,
  mirrorWriterBucketPolicy,
  publisherPolicy,
  subscriberBucketPolicy,
  subscriberPolicy,
} from '../access/policies.js';
import type { KmsUse, PolicyDocument } from '../access/policies.js';
import type { S3Location } from '../store/types.js';

export const ACCESS_ROLES = ['publisher', 'subscriber', 'replication'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

export interface AccessPolicy {
  /** The store the document is about ("origin", a replica name) or "replication" for the role. */
  store: string;
  /** identity: attach to an IAM user/role; bucket: a bucket policy; trust: a role's trust policy. */
  kind: 'identity' | 'bucket' | 'trust';
  description: string;
  document: PolicyDocument;
}

function kmsUse(store: OriginConfig | ReplicaConfig): KmsUse {
  if (store.kmsKeyId === undefined) return {};
  const arn = kmsKeyArn(store.kmsKeyId, store.region, store.account);
  return arn === undefined ? {} : { kmsKeyArn: arn };
}

/** The stores a subscriber reads: those the gateway prefers, or every store when there is no gateway. */
function subscriberStores(config: ClaasConfig): Array<OriginConfig | ReplicaConfig> {
  const all = [config.origin, ...config.replicas];
  if (config.gateway === undefined) return all;
  return config.gateway.prefer.flatMap((name) => all.filter((s) => s.name === name));
}

/**
 * The documents one role needs. With principalArn, the subscriber's read access (and the mirror's write
 * access to mirror replicas) also comes as bucket policies granting that principal, for a bucket owned by
 * another account or another Ceph RGW user (rgwUserArn(uid)).
 */
/**
 * The private area of a library (bucket key prefix, issue 16) where its S3 store keeps provider-private keys;
 * undefined for a library at the bucket root (its private keys stay under it).
 */
export function libraryPrivateArea(loc: S3Location, controlPrefix: string): string | undefined {
  return loc.prefix === '' ? undefined : privateAreaBase(controlPrefix, loc.prefix);
}

export function accessPolicies(
  config: ClaasConfig,
  role: AccessRole,
  options: { principalArn?: string } = {},
): AccessPolicy[] {
  /** A store's identity policy, and with a principal the same S3 access as that bucket's policy. */
  const forStore = (
    store: OriginConfig | ReplicaConfig,
    description: string,
    identity: (loc: S3Location, kms: KmsUse) => PolicyDocument,
    bucket: (loc: S3Location, principal: string) => PolicyDocument,
  ): AccessPolicy[] => {
    const loc = storeLocation(store, {});
    const out: AccessPolicy[] = [
      { store: store.name, kind: 'identity', description, document: identity(loc, kmsUse(store)) },
    ];
    const principal = options.principalArn;
    if (principal !== undefined) {
      out.push({
        store: store.name,
        kind: 'bucket',
        description: `${description}, as the policy of bucket ${loc.bucket} granting ${principal} (applied by its owner)`,
        document: bucket(loc, principal),
      });
    }
    return out;
  };
  if (role === 'publisher') {
    return [
      ...forStore(
        config.origin,
        `Publisher of library "${config.library}": list, read, write and delete under the origin prefix ` +
          "and in the library's private area under the control prefix",
        (loc, kms) => publisherPolicy(loc, kms, libraryPrivateArea(loc, controlPrefixOf(config))),
        (loc, principal) =>
          asBucketPolicy(
            publisherPolicy(loc, {}, libraryPrivateArea(loc, controlPrefixOf(config))),
            principal,
          ),
      ),
      ...config.replicas
        .filter((r) => r.mode === 'mirror')
        .flatMap((r) =>
          forStore(r, `claas mirror filling replica "${r.name}"`, publisherPolicy, mirrorWriterBucketPolicy),
        ),
    ];
  }
  if (role === 'subscriber') {
    return subscriberStores(config).flatMap((s) =>
      forStore(
        s,
        `Read-only access to library "${config.library}" at ${s.name} (nothing that writes)`,
        subscriberPolicy,
        subscriberBucketPolicy,
      ),
    );
  }
  const plan = planNativeReplication(config);
  if (plan.role === undefined) return [];
  return [
    {
      store: 'replication',
      kind: 'trust',
      description: `Trust policy of role ${plan.role.name}: only S3 may assume it`,
      document: plan.role.trustPolicy,
    },
    {
      store: 'replication',
      kind: 'identity',
      description: `Inline policy ${plan.role.policyName} of role ${plan.role.name}`,
      document: plan.role.policy,
    },
    ...plan.destinationPolicies.map((p): AccessPolicy => ({
      store: p.replica,
      kind: 'bucket',
      description: `Bucket policy of ${p.bucket}, applied by its owner (account ${p.account ?? 'of the replica'})`,
      document: p.policy,
    })),
  ];
}
