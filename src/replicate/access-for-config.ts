// The policy documents each role of a configuration needs (`claas access policy --role ...`): the
// publisher (writes the origin; claas mirror also writes mirror replicas), the subscriber (the gateway's
// read-only credential on every store it may read), and the replication role of the native plan.

import { ORIGIN_NAME, TENANTS_IN_STORE, storeLocation } from '../config/schema.js';
import type { ClaasConfig, OriginConfig, ReplicaConfig } from '../config/schema.js';
import { controlPrefixOf } from '../config/control-layout.js';
import { privateAreaBase } from '../store/s3-key-map.js';
import { planNativeReplication } from './plan-native.js';
import {
  asBucketPolicy,
  gatewayControlPolicy,
  kmsKeyArn,
  mirrorWriterBucketPolicy,
  publisherPolicy,
  subscriberBucketPolicy,
  subscriberPolicy,
} from '../access/policies.js';
import type { GatewayControlAccess, KmsUse, PolicyDocument } from '../access/policies.js';
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

/** True for a store whose control prefix may carry the tenants (gateway/multi/from-config.ts controlStores). */
function carriesControl(config: ClaasConfig, s: OriginConfig | ReplicaConfig): boolean {
  if (s.name === ORIGIN_NAME) return true;
  const r = s as ReplicaConfig;
  return (
    r.mode === 'native' &&
    (r.account === undefined || config.origin.account === undefined || r.account === config.origin.account)
  );
}

/**
 * What the gateway's credential does under a store's control prefix (issue 16), or undefined for nothing:
 * with gateway.tenants: store, read the tenants and the other gateways' activity at the stores of
 * gateway.prefer (`preferred`) that carry the control data, and write its own activity at the origin; with a dashboard (gateway.admin), read the
 * audit entries of the origin's private area. Never at a mirror or another account's replica.
 */
function gatewayControl(
  config: ClaasConfig,
  s: OriginConfig | ReplicaConfig,
  preferred: boolean,
): GatewayControlAccess | undefined {
  const gw = config.gateway;
  if (gw === undefined) return undefined;
  const inStore = gw.tenants === TENANTS_IN_STORE;
  const origin = s.name === ORIGIN_NAME;
  const controlPrefix = controlPrefixOf(config);
  const auditArea =
    origin && gw.admin !== undefined ? libraryPrivateArea(storeLocation(s, {}), controlPrefix) : undefined;
  const access: GatewayControlAccess = {
    controlPrefix,
    readTenants: inStore && preferred && carriesControl(config, s),
    writeActivity: inStore && origin,
    ...(auditArea === undefined ? {} : { auditArea }),
  };
  return access.readTenants || access.writeActivity || auditArea !== undefined ? access : undefined;
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
    const area = (loc: S3Location) => libraryPrivateArea(loc, controlPrefixOf(config));
    // `claas tenant` writes the tenants with the origin's credential (gateway.tenants: store).
    const tenants = config.gateway?.tenants === TENANTS_IN_STORE ? controlPrefixOf(config) : undefined;
    return [
      ...forStore(
        config.origin,
        `Publisher of library "${config.library}": list, read, write and delete under the origin prefix ` +
          "and in the library's private area under the control prefix" +
          (tenants === undefined ? '' : `; read and write the tenants (${tenants}/tenants.json, its lock)`),
        (loc, kms) => publisherPolicy(loc, kms, area(loc), tenants),
        (loc, principal) => asBucketPolicy(publisherPolicy(loc, {}, area(loc), tenants), principal),
      ),
      ...config.replicas
        .filter((r) => r.mode === 'mirror')
        .flatMap((r) =>
          forStore(r, `claas mirror filling replica "${r.name}"`, publisherPolicy, mirrorWriterBucketPolicy),
        ),
    ];
  }
  if (role === 'subscriber') {
    const stores = subscriberStores(config);
    const read = stores.flatMap((s) => {
      const control = gatewayControl(config, s, true);
      return forStore(
        s,
        `Read-only access to library "${config.library}" at ${s.name}` +
          (control === undefined
            ? ' (nothing that writes)'
            : `, and the gateway's part of the control prefix ${controlDescription(control)}`),
        (loc, kms) => subscriberPolicy(loc, kms, control),
        (loc, principal) => subscriberBucketPolicy(loc, principal, control),
      );
    });
    // The origin out of gateway.prefer: the gateway still writes its activity and reads the audit there.
    const originControl = stores.includes(config.origin)
      ? undefined
      : gatewayControl(config, config.origin, false);
    if (originControl === undefined) return read;
    return [
      ...read,
      ...forStore(
        config.origin,
        `The gateway's part of the control prefix at the origin ${controlDescription(originControl)}`,
        (loc) => gatewayControlPolicy(loc, originControl),
        (loc, principal) => asBucketPolicy(gatewayControlPolicy(loc, originControl), principal),
      ),
    ];
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

/** "(tenants, activity, audit)": what a gateway's control access covers, for the descriptions. */
function controlDescription(c: GatewayControlAccess): string {
  const parts = [
    ...(c.readTenants ? ['read tenants and activity'] : []),
    ...(c.writeActivity ? ['write its activity'] : []),
    ...(c.auditArea === undefined ? [] : ['read the audit log']),
  ];
  return `(${parts.join(', ')})`;
}
