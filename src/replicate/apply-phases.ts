// The four phases of `claas replication apply`'s plan, in the order they must be applied: versioning on both
// ends (replication requires it) -> the IAM role S3 assumes and its inline policy -> bucket policies (of
// destination owners) -> the source bucket's replication configuration. Each phase reads what the buckets and
// IAM hold now and returns Steps: what would change, how to apply it and how to read it back. The calls go
// through the store layer (BucketAdmin, IamAdmin); nothing here talks to S3 itself.

import { mirrorWriterBucketPolicy } from '../access/policies.js';
import type { PolicyDocument } from '../access/policies.js';
import { storeLocation } from '../config/schema.js';
import type { ClaasConfig, ReplicaConfig } from '../config/schema.js';
import { openIam } from '../store/aws-iam.js';
import type { IamAdmin, IamTarget } from '../store/aws-iam.js';
import { isAwsEndpoint } from '../store/endpoints.js';
import { BucketAdmins } from '../store/s3-admin.js';
import type { BucketAddress } from '../store/s3-admin.js';
import type { BucketAdmin } from '../store/types.js';
import {
  isOurRule,
  mergePolicy,
  mergeReplication,
  namespacedPolicy,
  replicationMatches,
  sameJson,
  sidPrefix,
  withRgwBulkDelete,
} from './apply-merge.js';
import { unsupportedReason } from './apply-refusals.js';
import { describeBucket } from './apply-types.js';
import type { Endpoint, Step } from './apply-types.js';
import type { BucketTarget, ReplicationPlan } from './plan-types.js';

/** The connections apply uses: a BucketAdmin per bucket (one S3 client per endpoint, region and profile), one IAM client. */
export class ApplyClients {
  private readonly admins = new BucketAdmins({ maxAttempts: 3 });
  private iamAdmin: IamAdmin | undefined;

  bucket(t: BucketAddress): BucketAdmin {
    return this.admins.for(t);
  }

  async iam(t: IamTarget): Promise<IamAdmin> {
    if (this.iamAdmin === undefined) this.iamAdmin = await openIam(t);
    return this.iamAdmin;
  }

  close(): void {
    this.admins.close();
    this.iamAdmin?.close();
  }
}

export interface PhaseContext {
  config: ClaasConfig;
  plan: ReplicationPlan;
  clients: ApplyClients;
  /** Notes for the user, added to in phase order. */
  notes: string[];
}

/**
 * Mirror replicas claas mirror writes with the origin's identity although they are reached with another:
 * their owner must let the writer in (not those with writeWith: replica, written with their own credential).
 */
export function mirrorPolicyReplicas(config: ClaasConfig): ReplicaConfig[] {
  return config.replicas.filter(
    (r) => r.mode === 'mirror' && r.writeWith !== 'replica' && r.profile !== config.origin.profile,
  );
}

async function versioningOf(bucket: BucketAdmin): Promise<string> {
  return (await bucket.getVersioning()) ?? 'Unversioned';
}

/** 1. Versioning on both ends. */
export async function versioningSteps(ctx: PhaseContext): Promise<Step[]> {
  const steps: Step[] = [];
  for (const v of ctx.plan.versioning) {
    const bucket = ctx.clients.bucket(v);
    const status = await versioningOf(bucket);
    steps.push({
      kind: 'versioning',
      store: v.store,
      target: describeBucket(v),
      action: status === 'Enabled' ? 'none' : 'update',
      summary: status === 'Enabled' ? 'versioning is Enabled' : `enable versioning (now ${status})`,
      before: status,
      after: 'Enabled',
      apply: () => bucket.enableVersioning(),
      verify: async () => (await versioningOf(bucket)) === 'Enabled',
    });
  }
  return steps;
}

/** 2. The IAM role and its inline policy; skipped with the reason where the store serves no IAM roles. */
export async function roleSteps(ctx: PhaseContext): Promise<Step[]> {
  const role = ctx.plan.role;
  if (role === undefined) return [];
  const origin = ctx.config.origin;
  const iamKey: Endpoint = {
    ...(role.endpoint === undefined ? {} : { endpoint: role.endpoint }),
    ...(origin.region === undefined ? {} : { region: origin.region }),
    ...(role.profile === undefined ? {} : { profile: role.profile }),
  };
  const target = `role ${role.name}`;
  const steps: Step[] = [];
  try {
    const iam = await ctx.clients.iam(iamKey);
    // S3-compatible stores: find out first whether roles are usable at all (Ceph RGW answers GetRole of a
    // missing role with 404 even to users that may not create one).
    if (!isAwsEndpoint(iamKey.endpoint)) await iam.probe();
    const existing = await iam.getRole(role.name);
    const trustSame = existing?.trust !== undefined && sameJson(existing.trust, role.trustPolicy);
    steps.push({
      kind: 'role',
      store: 'replication',
      target,
      clientKey: iamKey,
      action: existing === undefined ? 'create' : trustSame ? 'none' : 'update',
      summary:
        existing === undefined
          ? 'create the role S3 assumes to replicate (trust: s3.amazonaws.com)'
          : trustSame
            ? 'the role exists with the planned trust policy'
            : 'update the role trust policy (only s3.amazonaws.com may assume it)',
      ...(existing?.trust === undefined ? {} : { before: existing.trust }),
      after: role.trustPolicy,
      apply: async () => {
        if (existing === undefined) await iam.createRole(role.name, role.trustPolicy, ROLE_DESCRIPTION);
        else await iam.updateTrust(role.name, role.trustPolicy);
      },
      verify: async () => {
        const r = await iam.getRole(role.name);
        return r?.trust !== undefined && sameJson(r.trust, role.trustPolicy);
      },
    });
    const policy = existing === undefined ? undefined : await iam.getRolePolicy(role.name, role.policyName);
    const policySame = policy !== undefined && sameJson(policy, role.policy);
    steps.push({
      kind: 'role-policy',
      store: 'replication',
      clientKey: iamKey,
      target: `${target} policy ${role.policyName}`,
      action: policy === undefined ? 'create' : policySame ? 'none' : 'update',
      summary: policySame
        ? 'the inline policy is as planned'
        : 'put the inline policy (replication permissions scoped to the library prefix)',
      ...(policy === undefined ? {} : { before: policy }),
      after: role.policy,
      apply: async () => iam.putRolePolicy(role.name, role.policyName, role.policy),
      verify: async () => {
        const p = await iam.getRolePolicy(role.name, role.policyName);
        return p !== undefined && sameJson(p, role.policy);
      },
    });
  } catch (e) {
    const reason = unsupportedReason('role', e, iamKey);
    if (reason === undefined) throw e;
    const summary = 'create or update the replication role and its inline policy';
    steps.push({ kind: 'role', store: 'replication', target, action: 'skip', summary, reason });
  }
  return steps;
}

const ROLE_DESCRIPTION = 'S3 replication of claas libraries (claas replication apply)';

/** A bucket policy to merge claas's statements into. */
interface PolicyTarget {
  target: BucketTarget;
  replica: string;
  doc: PolicyDocument;
  what: string;
}

/** Cross-account native destinations, then mirror replicas owned by someone else (when the writer is known). */
function policyTargets(ctx: PhaseContext, writer: string | undefined): PolicyTarget[] {
  const { config, plan } = ctx;
  const targets: PolicyTarget[] = plan.destinationPolicies.map((p) => ({
    target: p,
    replica: p.replica,
    doc: p.policy,
    what: `let the replication role of ${plan.source.bucket} write replicas (cross-account destination)`,
  }));
  const mirrors = mirrorPolicyReplicas(config);
  if (mirrors.length > 0 && writer === undefined) {
    ctx.notes.push(
      'The identity claas mirror writes as could not be determined: pass --writer-principal <arn> to set the ' +
        'bucket policies of the mirror replicas.',
    );
  }
  if (writer === undefined) return targets;
  for (const r of mirrors) {
    const loc = storeLocation(r, {});
    targets.push({
      target: {
        bucket: loc.bucket,
        ...(r.region === undefined ? {} : { region: r.region }),
        ...(r.endpoint === undefined ? {} : { endpoint: r.endpoint }),
        ...(r.profile === undefined ? {} : { profile: r.profile }),
        ...(r.account === undefined ? {} : { account: r.account }),
      },
      replica: r.name,
      doc: withRgwBulkDelete(mirrorWriterBucketPolicy(loc, writer), loc, writer, r.endpoint),
      what: `let ${writer} (claas mirror) list, read, write and delete under ${loc.prefix || 'the bucket root'}`,
    });
  }
  return targets;
}

/** 3. Bucket policies, applied as each bucket's owner; other statements are kept. */
export async function bucketPolicySteps(ctx: PhaseContext, writer: string | undefined): Promise<Step[]> {
  const steps: Step[] = [];
  for (const p of policyTargets(ctx, writer)) steps.push(await bucketPolicyStep(ctx, p));
  return steps;
}

async function bucketPolicyStep(ctx: PhaseContext, p: PolicyTarget): Promise<Step> {
  const bucket = ctx.clients.bucket(p.target);
  const prefix = sidPrefix(ctx.config.library, p.replica);
  const ours = namespacedPolicy(p.doc, prefix);
  const target = `${describeBucket(p.target)} policy`;
  try {
    const existing = (await bucket.getPolicy()) as PolicyDocument | undefined;
    const merged = mergePolicy(existing, ours, prefix);
    const same = existing !== undefined && sameJson(existing, merged);
    return {
      kind: 'bucket-policy',
      store: p.replica,
      target,
      clientKey: p.target,
      action: existing === undefined ? 'create' : same ? 'none' : 'update',
      summary: same
        ? "the bucket policy holds claas's statements"
        : `${p.what} (statements ${ours.Statement.map((s) => s.Sid).join(', ')}; other statements kept), applied as the bucket owner`,
      ...(existing === undefined ? {} : { before: existing }),
      after: merged,
      apply: () => bucket.putPolicy(merged),
      verify: async () => {
        const now = (await bucket.getPolicy()) as PolicyDocument | undefined;
        return (
          now !== undefined &&
          ours.Statement.every((s) => now.Statement.some((n) => n.Sid === s.Sid && sameJson(n, s)))
        );
      },
    };
  } catch (e) {
    const reason = unsupportedReason('bucket-policy', e, p.target);
    if (reason === undefined) throw e;
    return { kind: 'bucket-policy', store: p.replica, target, action: 'skip', summary: p.what, reason };
  }
}

/** 4. The replication configuration of the source bucket (rules of other ids kept). */
export async function replicationSteps(ctx: PhaseContext): Promise<Step[]> {
  const { config, plan } = ctx;
  const replication = plan.replication;
  if (replication === undefined) return [];
  const t = replication.target;
  const bucket = ctx.clients.bucket(t);
  const existing = await bucket.getReplication();
  const merged = mergeReplication(existing, replication.configuration, config.library);
  const same = replicationMatches(existing, merged.config, config.library);
  if (merged.roleKept !== undefined) {
    ctx.notes.push(
      `${t.bucket} replicates with role ${merged.roleKept} for other rules; a bucket has one replication role, ` +
        `so claas's rules use it too: give it the permissions of ${plan.role?.name ?? 'the planned role'}.`,
    );
  }
  const ids = replication.configuration.Rules.map((r) => r.ID).join(', ');
  const step: Step = {
    kind: 'replication',
    store: 'origin',
    clientKey: t,
    target: `${describeBucket(t)} replication`,
    action: existing === undefined ? 'create' : same ? 'none' : 'update',
    summary: same
      ? `the replication rules ${ids} are in place`
      : `put replication rules ${ids}` +
        ((existing?.Rules ?? []).some((r) => !isOurRule(r.ID, config.library))
          ? ' (rules of other ids kept)'
          : ''),
    ...(existing === undefined ? {} : { before: existing }),
    after: merged.config,
    apply: () => bucket.putReplication(merged.config),
    verify: async () => replicationMatches(await bucket.getReplication(), merged.config, config.library),
  };
  if (!same) {
    const names = config.replicas
      .filter(
        (r) =>
          r.mode === 'native' && replication.configuration.Rules.some((x) => x.ID.endsWith(`/${r.name}`)),
      )
      .map((r) => r.name);
    ctx.notes.push(
      `Objects already in the library are not replicated by the new rule (S3 replicates only objects written after ` +
        `it exists): copy them once with ${names.map((n) => `claas mirror --config ${configArg(config)} --replica ${n}`).join('; ')}.`,
    );
  }
  return [step];
}

function configArg(config: ClaasConfig): string {
  return config.file.split('/').pop() ?? 'claas.yaml';
}
