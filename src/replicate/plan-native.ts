// The native replication plan of a configuration: for the replicas with mode: native, what the store must be
// told so that it replicates the library prefix itself (AWS S3 Cross-Region / Cross-Account Replication):
// versioning, the IAM role S3 assumes, the PutBucketReplication rules and the bucket policies cross-account
// destination owners apply. A replica that is the origin's own bucket seen through another endpoint (Ceph
// multisite zones) needs none of that: the store already replicates the whole bucket between zones.
// Provider-private data (issue 16): a native replica in the provider's own account also gets the bucket's
// control prefix (tenants, gateway counters: config/control-layout.ts) by a second rule; a cross-account
// replica (a client's) never does: its one rule matches the library prefix, which holds no private key (the
// S3 library store keeps those in the library's private area under the control prefix). A library at the
// bucket root, whose rule would match the whole bucket, may not have a cross-account native replica (refused
// here). See docs/replication.md.
// Pure: reads the configuration only, calls nothing.

import { createHash } from 'node:crypto';
import {
  destinationBucketPolicy,
  bucketArn,
  kmsKeyArn,
  replicationRolePolicy,
  replicationTrustPolicy,
  roleArn,
} from '../access/policies.js';
import type { PolicyDocument, ReplicationDestination as RoleDestination } from '../access/policies.js';
import { ClaasError } from '../errors.js';
import { PRIVATE_FAMILIES } from '../publish/layout.js';
import { privateAreaBase } from '../store/s3-key-map.js';
import { controlKeyPrefix, controlLocation, controlPrefixOf } from '../config/control-layout.js';
import { isZoneReplica } from '../config/resolve.js';
import { storeLocation } from '../config/schema.js';
import type { ClaasConfig, ReplicaConfig, StoreRef } from '../config/schema.js';
import { DEFAULT_REGION, isAwsEndpoint } from '../store/endpoints.js';
import type { S3Location } from '../store/types.js';
import { SOURCE_ACCOUNT_PLACEHOLDER } from './plan-types.js';
import type {
  BucketTarget,
  DestinationPolicyStep,
  ReplicationPlan,
  ReplicationRole,
  ReplicationRule,
  VersioningStep,
  ZoneReplica,
} from './plan-types.js';

/** Rule ids claas writes: claas/<library>/<replica>. Rules of other libraries or tools are someone else's. */
export const RULE_ID_PREFIX = 'claas/';

export function ruleId(library: string, replica: string): string {
  return `${RULE_ID_PREFIX}${library}/${replica}`;
}

/** The id of the rule that replicates the bucket's control prefix to a replica in the provider's account. */
export function controlRuleId(library: string, replica: string): string {
  return `${ruleId(library, replica)}/control`;
}

/** The replication role's default name: one per source bucket (a bucket's replication has one Role). */
export function defaultRoleName(sourceBucket: string): string {
  const name = `claas-replication-${sourceBucket}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(sourceBucket).digest('hex').slice(0, 8);
  return `claas-replication-${sourceBucket.slice(0, 64 - 19 - 9)}-${hash}`;
}

function target(ref: StoreRef, loc: S3Location): BucketTarget {
  return {
    bucket: loc.bucket,
    ...(ref.region === undefined ? {} : { region: ref.region }),
    ...(ref.endpoint === undefined ? {} : { endpoint: ref.endpoint }),
    ...(ref.profile === undefined ? {} : { profile: ref.profile }),
    ...(ref.account === undefined ? {} : { account: ref.account }),
  };
}

/**
 * A replica in another account than the origin's (a client's): replica.account set and different from
 * origin.account. Both unset, or equal, is the provider's own account.
 */
export function isCrossAccount(config: Pick<ClaasConfig, 'origin'>, replica: ReplicaConfig): boolean {
  return replica.account !== undefined && replica.account !== config.origin.account;
}

export function planNativeReplication(config: ClaasConfig): ReplicationPlan {
  const { origin, library } = config;
  const source = storeLocation(origin, {});
  const sourceTarget = target(origin, source);
  const notes: string[] = [];
  const zoneReplicas: ZoneReplica[] = [];
  const ruled: Array<{ replica: ReplicaConfig; loc: S3Location }> = [];

  for (const replica of config.replicas) {
    if (replica.mode !== 'native') continue;
    const loc = storeLocation(replica, {});
    if (isZoneReplica(source, loc)) {
      zoneReplicas.push({
        replica: replica.name,
        bucket: loc.bucket,
        ...(replica.endpoint === undefined ? {} : { endpoint: replica.endpoint }),
        ...(replica.region === undefined ? {} : { region: replica.region }),
        reason:
          `same bucket as the origin (${source.bucket}) through another endpoint: the store replicates the ` +
          'bucket between its zones (Ceph RGW multisite), so no replication rule is needed',
      });
    } else {
      ruled.push({ replica, loc });
    }
  }
  refuseRootCrossAccount(config, source, ruled);
  const mirrorReplicas = config.replicas.filter((r) => r.mode === 'mirror').map((r) => r.name);

  const base = { library, source: { ...sourceTarget, prefix: source.prefix } };
  const tail = { zoneReplicas, mirrorReplicas, notes };
  notes.push(...zoneNotes(zoneReplicas), ...mirrorNotes(config, mirrorReplicas));
  if (ruled.length === 0) {
    notes.push(
      zoneReplicas.length === 0
        ? 'No replica has mode: native, so there is nothing to configure for native replication.'
        : 'No replica needs a replication rule.',
    );
    return { ...base, versioning: [], destinationPolicies: [], ...tail };
  }

  const accountKnown = origin.account !== undefined;
  const roleName = config.replication.roleName ?? defaultRoleName(source.bucket);
  const arn = roleArn(origin.account ?? SOURCE_ACCOUNT_PLACEHOLDER, roleName, origin.region);
  const sourceKms = origin.sse === 'aws:kms';
  const region = origin.region ?? DEFAULT_REGION;

  const control = controlKeyPrefix(controlPrefixOf(config));
  // Same-account replicas of a library below a prefix: a second rule carries the control prefix.
  const controlled =
    source.prefix === '' ? [] : ruled.filter(({ replica }) => !isCrossAccount(config, replica));
  const ruleInputs = [
    ...ruled.map((r) => ({
      ...r,
      id: ruleId(library, r.replica.name),
      prefix: source.prefix === '' ? '' : `${source.prefix}/`,
    })),
    ...controlled.map((r) => ({ ...r, id: controlRuleId(library, r.replica.name), prefix: control })),
  ];
  const rules: ReplicationRule[] = ruleInputs.map(({ replica, loc, id, prefix }, i) => {
    const cross = isCrossAccount(config, replica);
    const kms = sourceKms || replica.kmsKeyId !== undefined;
    return {
      ID: id,
      Priority: i + 1,
      Status: 'Enabled',
      Filter: prefix === '' ? {} : { Prefix: prefix },
      DeleteMarkerReplication: { Status: 'Enabled' },
      ...(kms ? { SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } } } : {}),
      Destination: {
        Bucket: bucketArn(loc),
        ...(cross && replica.account !== undefined ? { Account: replica.account } : {}),
        ...(replica.storageClass === undefined ? {} : { StorageClass: replica.storageClass }),
        ...(cross ? { AccessControlTranslation: { Owner: 'Destination' } } : {}),
        ...(replica.kmsKeyId === undefined
          ? {}
          : { EncryptionConfiguration: { ReplicaKmsKeyID: replica.kmsKeyId } }),
        ...(replica.replicationTime
          ? {
              ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
              Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
            }
          : {}),
      },
    } satisfies ReplicationRule;
  });

  const roleDestination = (replica: ReplicaConfig, location: S3Location): RoleDestination => ({
    location,
    ownerOverride: isCrossAccount(config, replica),
    ...(replica.kmsKeyId === undefined
      ? {}
      : { replicaKms: optionalArn(kmsKeyArn(replica.kmsKeyId, replica.region, replica.account)) }),
  });
  const roleDestinations = ruled.map(({ replica, loc }) => roleDestination(replica, loc));
  const sourceKeyArn =
    origin.kmsKeyId === undefined ? undefined : kmsKeyArn(origin.kmsKeyId, region, origin.account);
  const iamEndpoint =
    origin.endpoint !== undefined && !isAwsEndpoint(origin.endpoint) ? origin.endpoint : undefined;
  const role: ReplicationRole = {
    name: roleName,
    arn,
    trustPolicy: replicationTrustPolicy(),
    policyName: `claas-${library}-replication`,
    policy: withControlStatements(
      replicationRolePolicy({
        source,
        destinations: roleDestinations,
        ...(sourceKms ? { sourceKms: optionalArn(sourceKeyArn) } : {}),
        defaultRegion: DEFAULT_REGION,
      }),
      controlled.length === 0
        ? undefined
        : replicationRolePolicy({
            source: controlLocation(source, controlPrefixOf(config)),
            destinations: controlled.map(({ replica, loc }) =>
              roleDestination(replica, controlLocation(loc, controlPrefixOf(config))),
            ),
            ...(sourceKms ? { sourceKms: optionalArn(sourceKeyArn) } : {}),
            defaultRegion: DEFAULT_REGION,
          }),
    ),
    ...(origin.profile === undefined ? {} : { profile: origin.profile }),
    ...(iamEndpoint === undefined ? {} : { endpoint: iamEndpoint }),
  };

  const versioning: VersioningStep[] = [{ ...sourceTarget, store: 'origin', destinationAccount: false }];
  const seenBuckets = new Set([bucketKey(sourceTarget)]);
  for (const { replica, loc } of ruled) {
    const t = target(replica, loc);
    if (seenBuckets.has(bucketKey(t))) continue;
    seenBuckets.add(bucketKey(t));
    versioning.push({ ...t, store: replica.name, destinationAccount: isCrossAccount(config, replica) });
  }
  const destinationPolicies = ruled
    .filter(({ replica }) => isCrossAccount(config, replica))
    .map(({ replica, loc }): DestinationPolicyStep => ({
      ...target(replica, loc),
      replica: replica.name,
      policy: destinationBucketPolicy(loc, arn),
    }));

  notes.push(...ruleNotes(config, source, ruled, { accountKnown, sourceKms }));
  return {
    ...base,
    versioning,
    role,
    destinationPolicies,
    replication: { target: sourceTarget, configuration: { Role: arn, Rules: rules } },
    ...tail,
  };
}

/**
 * A library at the bucket root cannot keep anything out of a cross-account native rule (its filter would be
 * the whole bucket: the control prefix and the library's private area with it), so plan and apply refuse it.
 */
function refuseRootCrossAccount(
  config: ClaasConfig,
  source: S3Location,
  ruled: Array<{ replica: ReplicaConfig }>,
): void {
  if (source.prefix !== '') return;
  const cross = ruled.find(({ replica }) => isCrossAccount(config, replica));
  if (cross === undefined) return;
  throw new ClaasError(
    'BAD_INPUT',
    `Replica "${cross.replica.name}" is another account's native replica of a library at the root of bucket ` +
      `${source.bucket}: its replication rule would carry the whole bucket, provider-private data included`,
    {
      input: `replicas: ${cross.replica.name} (mode: native)`,
      hint:
        'publish the library under a prefix (s3://bucket/<prefix>), or give this replica mode: mirror ' +
        '(claas mirror copies only the library)',
    },
  );
}

/**
 * What a cross-account rule carries: the library prefix only. The provider-private families live in the
 * library's private area under the control prefix (store/s3-key-map.ts), outside the rule's filter; objects
 * an older claas left under the prefix are moved there by `claas replication apply` (apply-private-data.ts).
 */
function privateFamiliesNote(replica: string, source: S3Location, controlPrefix: string): string {
  const base = `${source.prefix}/`;
  const area = privateAreaBase(controlPrefix, source.prefix);
  const families = PRIVATE_FAMILIES.map((f) => f.prefix).join(', ');
  return (
    `Replica "${replica}" is another account's: its rule (prefix ${base}) carries the library only. The ` +
    `provider-private data (${families}) lives in the library's private area ${area} and the control prefix ` +
    `beside it, which no cross-account rule matches; snapshots name no publisher. claas replication apply ` +
    `first moves private objects an older claas left under ${base} into ${area}.`
  );
}

/** The role policy with the control prefix's statements added (Sids suffixed "Control"). */
function withControlStatements(policy: PolicyDocument, control: PolicyDocument | undefined): PolicyDocument {
  if (control === undefined) return policy;
  const extra = control.Statement.filter((s) => s.Sid !== 'SourceBucketConfiguration').map((s) => ({
    ...s,
    Sid: `${s.Sid}Control`,
  }));
  return { ...policy, Statement: [...policy.Statement, ...extra] };
}

function optionalArn(arn: string | undefined): { kmsKeyArn?: string } {
  return arn === undefined ? {} : { kmsKeyArn: arn };
}

function bucketKey(t: BucketTarget): string {
  return `${t.endpoint ?? 'aws'}|${t.bucket}`;
}

function zoneNotes(zones: ZoneReplica[]): string[] {
  return zones.map(
    (z) =>
      `Replica "${z.replica}" is bucket ${z.bucket} seen through ${z.endpoint ?? 'AWS'}: the same bucket as the ` +
      'origin in another zone. The store replicates it zone-wide (Ceph RGW multisite), so the plan has no ' +
      'replication rule for it; check that the zonegroup syncs the bucket (radosgw-admin sync status, ' +
      'radosgw-admin bucket sync status --bucket ' +
      `${z.bucket}) and watch it with claas status.`,
  );
}

function mirrorNotes(config: ClaasConfig, mirrors: string[]): string[] {
  return mirrors.map(
    (name) =>
      `Replica "${name}" has mode: mirror: claas copies the library into it (claas mirror --config ` +
      `${configArg(config)} --replica ${name}), the store does not; it needs no replication rule.`,
  );
}

function configArg(config: ClaasConfig): string {
  return config.file.split('/').pop() ?? 'claas.yaml';
}

function ruleNotes(
  config: ClaasConfig,
  source: S3Location,
  ruled: Array<{ replica: ReplicaConfig; loc: S3Location }>,
  facts: { accountKnown: boolean; sourceKms: boolean },
): string[] {
  const names = ruled.map((r) => r.replica.name);
  const notes = [
    'S3 replicates only objects written after the rule exists. To copy what the library holds now, run ' +
      names.map((n) => `claas mirror --config ${configArg(config)} --replica ${n}`).join('; ') +
      ' once after applying the plan (or use S3 Batch Replication).',
    'Bucket configuration (versioning, replication, policies) is eventually consistent: allow a few minutes ' +
      'after applying before expecting new objects to replicate.',
    'Replication is asynchronous and unordered (large files can take hours): a replica serves version N only ' +
      'when every file of N is there; claas status shows how far each replica lags.',
    'DeleteMarkerReplication is Enabled so that files claas gc deletes at the origin once superseded (a ' +
      'delete marker in a versioned bucket) are removed from the replicas too; otherwise replicas would keep ' +
      'every old file. S3 does not replicate version-specific deletes or lifecycle actions: give the origin ' +
      'and every replica bucket a lifecycle rule that expires noncurrent versions and expired delete markers.',
    'Replication does not chain (A to B to C): every replica is a destination of the origin. Objects in ' +
      'GLACIER or DEEP_ARCHIVE at the origin are not replicated.',
    `PutBucketReplication replaces the whole replication configuration of ${source.bucket}; it has one Role ` +
      `and one rule per destination (distinct priorities). If other libraries or tools replicate from this ` +
      `bucket, merge their rules with these (claas's rule ids start with ${RULE_ID_PREFIX}) and keep the role.`,
  ];
  if (!facts.accountKnown) {
    notes.push(
      `origin.account is not set, so the role ARN holds ${SOURCE_ACCOUNT_PLACEHOLDER}: set origin.account in ` +
        'the configuration, or substitute the id of the account that owns the origin bucket.',
    );
  }
  for (const { replica } of ruled) {
    if (isCrossAccount(config, replica)) {
      notes.push(
        `Replica "${replica.name}" is in account ${replica.account ?? ''}: its owner enables versioning on ` +
          'the destination bucket and applies the destination bucket policy (PutBucketPolicy replaces the ' +
          "bucket's policy: merge these statements into an existing one). Replicas are owned by the " +
          'destination account (AccessControlTranslation Owner: Destination).',
      );
      notes.push(privateFamiliesNote(replica.name, source, controlPrefixOf(config)));
    } else if (source.prefix !== '') {
      notes.push(
        `Replica "${replica.name}" is in the provider's own account: rule ${controlRuleId(config.library, replica.name)} ` +
          `also replicates the control prefix ${controlKeyPrefix(controlPrefixOf(config))} (tenants, gateway ` +
          'counters), so gateways reading that replica share the tenants. Cross-account replicas never get it.',
      );
    } else {
      notes.push(
        `Replica "${replica.name}" is in the provider's own account and the library is at the root of ` +
          `${source.bucket}: its rule matches the whole bucket, so it carries everything the bucket holds ` +
          "(a client's replica of a root library is refused: publish under a prefix to have one).",
      );
    }
    if (replica.endpoint !== undefined && !isAwsEndpoint(replica.endpoint)) {
      notes.push(
        `Replica "${replica.name}" is on an S3-compatible store (${replica.endpoint}): PutBucketReplication ` +
          'works there only where the store implements it (Ceph RGW between zones of a zonegroup, MinIO ' +
          'between MinIO deployments with remote targets); elsewhere use mode: mirror.',
      );
    }
  }
  if (facts.sourceKms || ruled.some((r) => r.replica.kmsKeyId !== undefined)) {
    notes.push(
      'SSE-KMS: the role decrypts origin objects and encrypts replicas with the replica key; the key ' +
        "policies must allow the role (a cross-account replica key's policy must name it). If S3 Bucket Keys " +
        'are enabled, the KMS encryption context is the bucket ARN: change the kms:EncryptionContext:aws:s3:arn ' +
        'conditions of the role policy accordingly. Objects not encrypted with SSE-KMS replicate with their ' +
        'own encryption.',
    );
  }
  if (ruled.some((r) => r.replica.replicationTime)) {
    notes.push(
      'Replication Time Control replicates 99.99% of objects within 15 minutes and is billed per GB; ' +
        'replication metrics are enabled with it.',
    );
  }
  return notes;
}

/**
 * The plan with the source account id filled in where origin.account was not configured (e.g. from STS
 * GetCallerIdentity with the origin's credentials). An empty id gives Ceph RGW's account-less ARNs.
 */
export function withSourceAccount(plan: ReplicationPlan, account: string): ReplicationPlan {
  if (!/^(\d{12})?$/.test(account)) throw new TypeError('an AWS account id is 12 digits');
  const filled = JSON.stringify(plan).split(SOURCE_ACCOUNT_PLACEHOLDER).join(account);
  const out = JSON.parse(filled) as ReplicationPlan;
  return { ...out, notes: out.notes.filter((n) => !n.startsWith('origin.account is not set')) };
}
