// `claas replication apply`: the native replication plan (plan-native.ts) and the bucket policies mirror
// replicas need, compared with what the buckets and IAM hold now, applied with the SDK. Idempotent: what is
// already as planned is left alone ("no change"), what differs is updated, and what other tools put there is
// kept (replication rules of other ids, bucket policy statements of other Sids).
//
// Order: versioning (both ends, replication requires it) -> IAM role and its inline policy -> bucket policies
// (destination owners) -> the source bucket's replication configuration. Every step is read back after it is
// applied; bucket configuration is eventually consistent, so a step not visible yet is reported as such.
//
// What S3-compatible stores lack is detected, skipped and explained (Ceph RGW 16: IAM roles need user caps and
// are not used by its replication; PutBucketReplication needs a zonegroup sync policy; bucket policies with
// s3:Replicate* actions are refused).

import type { S3Client } from '@aws-sdk/client-s3';
import {
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import type { ReplicationConfiguration as SdkReplicationConfiguration } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { bucketArn, mirrorWriterBucketPolicy, rgwUserArn } from '../access/policies.js';
import type { PolicyDocument, PolicyStatement } from '../access/policies.js';
import { storeLocation } from '../config/schema.js';
import type { ClaasConfig, ReplicaConfig } from '../config/schema.js';
import { ClaasError } from '../errors.js';
import type { S3Location } from '../store/types.js';
import { createS3Client, suppressSdkNodeVersionWarning } from '../store/s3-client.js';
import { DEFAULT_REGION, isAwsEndpoint } from '../store/endpoints.js';
import { httpStatus, s3ErrorCode } from '../store/s3-errors.js';
import { planNativeReplication, RULE_ID_PREFIX, withSourceAccount } from './plan-native.js';
import { SOURCE_ACCOUNT_PLACEHOLDER } from './plan-types.js';
import type { BucketTarget, ReplicationPlan, ReplicationRule } from './plan-types.js';

export type ChangeKind = 'versioning' | 'role' | 'role-policy' | 'bucket-policy' | 'replication';
export type ChangeAction = 'create' | 'update' | 'none' | 'skip';

export interface Change {
  kind: ChangeKind;
  /** What it is about: "bucket templates-east", "role claas-replication-templates-east". */
  target: string;
  /** The store ("origin", a replica name) or "replication" for the role. */
  store: string;
  action: ChangeAction;
  summary: string;
  /** Why a step is skipped (the store does not support it, or refused it). */
  reason?: string;
  before?: unknown;
  after?: unknown;
}

interface Step extends Change {
  /** Where the calls go (to explain a refusal). */
  clientKey?: ClientKey;
  apply?: () => Promise<void>;
  /** Reads the state back after applying: true when it is as planned. */
  verify?: () => Promise<boolean>;
}

export interface ApplyPlanResult {
  library: string;
  plan: ReplicationPlan;
  changes: Change[];
  /** Notes to show: what replication does not do, what to run besides. */
  notes: string[];
  /** The identity mirror writes as (the principal of the mirror replicas' bucket policies). */
  writerPrincipal?: string;
}

export interface AppliedChange extends Change {
  outcome: 'applied' | 'failed' | 'unchanged' | 'skipped';
  /** Read back after applying: as planned (true), not visible yet (false: configuration is eventually consistent). */
  confirmed?: boolean;
  error?: { code: string; message: string };
}

export interface ApplyOptions {
  /** Principal of the mirror writer (default: the origin credentials' identity). */
  writerPrincipal?: string;
}

// ---- clients ----

interface ClientKey {
  endpoint?: string;
  region?: string;
  profile?: string;
}

class Clients {
  private readonly s3 = new Map<string, S3Client>();
  private iamClient: unknown;

  forTarget(t: ClientKey): S3Client {
    const key = `${t.endpoint ?? ''}|${t.region ?? ''}|${t.profile ?? ''}`;
    let c = this.s3.get(key);
    if (c === undefined) {
      c = createS3Client({
        ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }),
        region: t.region ?? DEFAULT_REGION,
        ...(t.profile === undefined ? {} : { profile: t.profile }),
        maxAttempts: 3,
      });
      this.s3.set(key, c);
    }
    return c;
  }

  async iam(t: ClientKey): Promise<IamApi> {
    if (this.iamClient === undefined) this.iamClient = await makeIam(t);
    return this.iamClient as IamApi;
  }

  close(): void {
    for (const c of this.s3.values()) c.destroy();
    (this.iamClient as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

interface IamApi {
  /** Throws when the caller may not use IAM roles at all (one ListRoles of one item). */
  probe(): Promise<void>;
  getRole(name: string): Promise<{ trust?: PolicyDocument } | undefined>;
  createRole(name: string, trust: PolicyDocument): Promise<void>;
  updateTrust(name: string, trust: PolicyDocument): Promise<void>;
  getRolePolicy(role: string, policy: string): Promise<PolicyDocument | undefined>;
  putRolePolicy(role: string, policy: string, doc: PolicyDocument): Promise<void>;
  destroy(): void;
}

/** @aws-sdk/client-iam, loaded on demand (only apply uses it). */
async function makeIam(t: ClientKey): Promise<IamApi> {
  suppressSdkNodeVersionWarning();
  let iam: typeof import('@aws-sdk/client-iam');
  try {
    iam = await import('@aws-sdk/client-iam');
  } catch (e) {
    throw new ClaasError('INTERNAL', 'the AWS SDK IAM client (@aws-sdk/client-iam) is not installed', {
      hint: 'reinstall claas (npm ci) so that its dependencies are complete',
      cause: e,
    });
  }
  const client = new iam.IAMClient({
    region: t.region ?? DEFAULT_REGION,
    ...(t.endpoint === undefined ? {} : { endpoint: t.endpoint }),
    credentials: fromNodeProviderChain(t.profile === undefined ? {} : { profile: t.profile }),
    maxAttempts: 3,
  });
  const missing = (e: unknown): boolean => s3ErrorCode(e) === 'NoSuchEntity' || httpStatus(e) === 404;
  const parseDoc = (text: string | undefined): PolicyDocument | undefined =>
    text === undefined ? undefined : (JSON.parse(decodeURIComponent(text)) as PolicyDocument);
  return {
    async probe() {
      await client.send(new iam.ListRolesCommand({ MaxItems: 1 }));
    },
    async getRole(name) {
      try {
        const out = await client.send(new iam.GetRoleCommand({ RoleName: name }));
        const trust = parseDoc(out.Role?.AssumeRolePolicyDocument);
        return trust === undefined ? {} : { trust };
      } catch (e) {
        if (missing(e)) return undefined;
        throw e;
      }
    },
    async createRole(name, trust) {
      await client.send(
        new iam.CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify(trust),
          Description: 'S3 replication of claas libraries (claas replication apply)',
        }),
      );
    },
    async updateTrust(name, trust) {
      await client.send(
        new iam.UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trust) }),
      );
    },
    async getRolePolicy(role, policy) {
      try {
        const out = await client.send(new iam.GetRolePolicyCommand({ RoleName: role, PolicyName: policy }));
        return parseDoc(out.PolicyDocument);
      } catch (e) {
        if (missing(e)) return undefined;
        throw e;
      }
    },
    async putRolePolicy(role, policy, doc) {
      await client.send(
        new iam.PutRolePolicyCommand({
          RoleName: role,
          PolicyName: policy,
          PolicyDocument: JSON.stringify(doc),
        }),
      );
    },
    destroy: () => client.destroy(),
  };
}

// ---- identity ----

/** The identity behind a profile: an IAM ARN (AWS: STS GetCallerIdentity; Ceph RGW: the owner of ListBuckets). */
export async function callerIdentity(
  t: ClientKey,
  s3: S3Client,
): Promise<{ arn?: string; account?: string; how: string }> {
  if (isAwsEndpoint(t.endpoint)) {
    suppressSdkNodeVersionWarning();
    const sts = await import('@aws-sdk/client-sts');
    const client = new sts.STSClient({
      region: t.region ?? DEFAULT_REGION,
      credentials: fromNodeProviderChain(t.profile === undefined ? {} : { profile: t.profile }),
    });
    try {
      const out = await client.send(new sts.GetCallerIdentityCommand({}));
      return {
        ...(out.Arn === undefined ? {} : { arn: principalFromCallerArn(out.Arn) }),
        ...(out.Account === undefined ? {} : { account: out.Account }),
        how: 'STS GetCallerIdentity',
      };
    } finally {
      client.destroy();
    }
  }
  // S3-compatible stores (Ceph RGW): ListBuckets names the caller as the owner; RGW principals are account-less.
  const out = await s3.send(new ListBucketsCommand({}));
  const id = out.Owner?.ID;
  if (id === undefined || id === '') return { how: 'ListBuckets (no owner returned)' };
  const [tenant, uid] = id.includes('$') ? (id.split('$', 2) as [string, string]) : ['', id];
  return { arn: rgwUserArn(uid, tenant), account: '', how: 'ListBuckets owner (Ceph RGW user)' };
}

/** arn:aws:sts::123:assumed-role/Role/session -> arn:aws:iam::123:role/Role (what policies name). */
export function principalFromCallerArn(arn: string): string {
  const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}

/**
 * Ceph RGW authorises a multi-object delete (POST ?delete, what claas's store and its lock use) as
 * s3:DeleteObject on the bucket ARN, then each object as s3:DeleteObject on its own ARN. A bucket policy that
 * grants s3:DeleteObject only on the library's objects therefore refuses every DeleteObjects on RGW; the
 * extra statement makes the first check pass (the per-object check still limits deletes to the prefix).
 */
export function withRgwBulkDelete(
  doc: PolicyDocument,
  loc: S3Location,
  principal: string,
  endpoint: string | undefined,
): PolicyDocument {
  if (isAwsEndpoint(endpoint)) return doc;
  return {
    ...doc,
    Statement: [
      ...doc.Statement,
      {
        Sid: 'RgwMultiObjectDelete',
        Effect: 'Allow',
        Principal: { AWS: principal },
        Action: ['s3:DeleteObject'],
        Resource: bucketArn(loc),
      },
    ],
  };
}

// ---- comparisons ----

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(canonical);
    return items.every((i) => typeof i === 'string') ? [...(items as string[])].sort() : items;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const value = (v as Record<string, unknown>)[k];
      if (value === undefined) continue;
      // A single value and a one-element list mean the same in policies.
      out[k] =
        Array.isArray(value) && value.length === 1 && typeof value[0] === 'string'
          ? canonical(value[0])
          : canonical(value);
    }
    return out;
  }
  return v;
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Sid prefix of the statements claas writes into a replica's bucket policy for one library. */
export function sidPrefix(library: string, replica: string): string {
  const word = (s: string): string =>
    s
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((p) => p[0]!.toUpperCase() + p.slice(1))
      .join('');
  return `Claas${word(library)}${word(replica)}`;
}

/** The generated statements with Sids namespaced to the library and replica (AWS Sids are alphanumeric). */
export function namespacedPolicy(doc: PolicyDocument, prefix: string): PolicyDocument {
  return { ...doc, Statement: doc.Statement.map((s) => ({ ...s, Sid: `${prefix}${s.Sid}` })) };
}

/**
 * An existing bucket policy with claas's statements merged in by Sid: statements with the same Sid are
 * replaced, earlier claas statements of this library and replica that are no longer generated are removed,
 * everything else is kept.
 */
export function mergePolicy(
  existing: PolicyDocument | undefined,
  ours: PolicyDocument,
  prefix: string,
): PolicyDocument {
  const mine = new Set(ours.Statement.map((s) => s.Sid));
  const kept = (existing?.Statement ?? []).filter(
    (s: PolicyStatement) => s.Sid === undefined || (!mine.has(s.Sid) && !s.Sid.startsWith(prefix)),
  );
  return { Version: ours.Version, Statement: [...kept, ...ours.Statement] };
}

function isOurRule(id: string | undefined, library: string): boolean {
  return id !== undefined && id.startsWith(`${RULE_ID_PREFIX}${library}/`);
}

/**
 * The replication configuration with claas's rules for this library merged in: rules of other ids are kept
 * (with their priorities), ours replaced and numbered after them. The Role stays when other rules use it.
 */
export function mergeReplication(
  existing: SdkReplicationConfiguration | undefined,
  planned: { Role: string; Rules: ReplicationRule[] },
  library: string,
): { config: { Role: string; Rules: unknown[] }; roleKept?: string } {
  const others = (existing?.Rules ?? []).filter((r) => !isOurRule(r.ID, library));
  const maxPriority = others.reduce((m, r) => Math.max(m, r.Priority ?? 0), 0);
  const ours = planned.Rules.map((r, i) => ({ ...r, Priority: maxPriority + i + 1 }));
  const existingRole = existing?.Role;
  const keepRole =
    others.length > 0 && existingRole !== undefined && existingRole !== '' && existingRole !== planned.Role;
  return {
    config: { Role: keepRole ? existingRole : planned.Role, Rules: [...others, ...ours] },
    ...(keepRole ? { roleKept: existingRole } : {}),
  };
}

/**
 * True when the store's configuration holds our planned rules. Fields the store does not report back at all
 * (Ceph RGW drops Role, Account and DeleteMarkerReplication) are not held against it; any value that is
 * reported must match.
 */
export function replicationMatches(
  existing: SdkReplicationConfiguration | undefined,
  planned: { Role: string; Rules: unknown[] },
  library: string,
): boolean {
  if (existing === undefined) return false;
  if (existing.Role !== undefined && existing.Role !== '' && existing.Role !== planned.Role) return false;
  const want = (planned.Rules as ReplicationRule[]).filter((r) => isOurRule(r.ID, library));
  const have = (existing.Rules ?? []).filter((r) => isOurRule(r.ID, library));
  if (want.length !== have.length) return false;
  for (const w of want) {
    const h = have.find((r) => r.ID === w.ID);
    if (h === undefined) return false;
    if (!reportedMatches(w, h)) return false;
  }
  return true;
}

/** Every field `have` reports equals the planned one; every planned field `have` lacks is tolerated. */
function reportedMatches(want: unknown, have: unknown): boolean {
  if (have === undefined || have === null || have === '') return true;
  if (want === undefined) return false;
  if (typeof want !== 'object' || typeof have !== 'object') return want === have;
  if (Array.isArray(want) || Array.isArray(have)) return sameJson(want, have);
  const w = want as Record<string, unknown>;
  const h = have as Record<string, unknown>;
  for (const k of Object.keys(h)) {
    if (h[k] === undefined) continue;
    if (!(k in w)) return false;
    if (!reportedMatches(w[k], h[k])) return false;
  }
  return true;
}

// ---- reading what is there ----

async function readVersioning(s3: S3Client, bucket: string): Promise<string> {
  const out = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  return out.Status ?? 'Unversioned';
}

async function readPolicy(s3: S3Client, bucket: string): Promise<PolicyDocument | undefined> {
  try {
    const out = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    return out.Policy === undefined ? undefined : (JSON.parse(out.Policy) as PolicyDocument);
  } catch (e) {
    if (s3ErrorCode(e) === 'NoSuchBucketPolicy') return undefined;
    throw e;
  }
}

async function readReplication(
  s3: S3Client,
  bucket: string,
): Promise<SdkReplicationConfiguration | undefined> {
  try {
    const out = await s3.send(new GetBucketReplicationCommand({ Bucket: bucket }));
    const c = out.ReplicationConfiguration;
    // Ceph RGW answers 200 with an empty Role and no rules when there is none.
    if (c === undefined || ((c.Rules ?? []).length === 0 && (c.Role ?? '') === '')) return undefined;
    return c;
  } catch (e) {
    if (s3ErrorCode(e) === 'ReplicationConfigurationNotFoundError') return undefined;
    throw e;
  }
}

function describe(t: BucketTarget): string {
  return `bucket ${t.bucket}${t.endpoint === undefined ? (t.region === undefined ? '' : ` (${t.region})`) : ` at ${t.endpoint}`}`;
}

function errorText(e: unknown): string {
  const code = s3ErrorCode(e);
  const status = httpStatus(e);
  return (
    [code, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(', ') ||
    String((e as Error)?.message ?? e)
  );
}

/** Why a store refused a call, and what to do, for the stores that lack the feature. */
function unsupportedReason(kind: ChangeKind, e: unknown, t: ClientKey): string | undefined {
  const status = httpStatus(e);
  const code = s3ErrorCode(e) ?? '';
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

// ---- the plan of changes ----

export async function planApply(
  config: ClaasConfig,
  opts: ApplyOptions = {},
  clients: Clients = new Clients(),
): Promise<{ result: ApplyPlanResult; steps: Step[]; clients: Clients }> {
  const origin = config.origin;
  const originKey: ClientKey = {
    ...(origin.endpoint === undefined ? {} : { endpoint: origin.endpoint }),
    ...(origin.region === undefined ? {} : { region: origin.region }),
    ...(origin.profile === undefined ? {} : { profile: origin.profile }),
  };
  let plan = planNativeReplication(config);
  const notes: string[] = [...plan.notes];
  const needsIdentity =
    JSON.stringify(plan).includes(SOURCE_ACCOUNT_PLACEHOLDER) ||
    (opts.writerPrincipal === undefined && mirrorPolicyReplicas(config).length > 0);
  let identity: { arn?: string; account?: string; how: string } | undefined;
  if (needsIdentity) identity = await callerIdentity(originKey, clients.forTarget(originKey));
  if (JSON.stringify(plan).includes(SOURCE_ACCOUNT_PLACEHOLDER)) {
    const account = origin.account ?? identity?.account;
    if (account !== undefined) plan = withSourceAccount(plan, account);
    notes.splice(0, notes.length, ...plan.notes);
  }
  const steps: Step[] = [];

  // 1. Versioning on both ends.
  for (const v of plan.versioning) {
    const s3 = clients.forTarget(v);
    const status = await readVersioning(s3, v.bucket);
    const step: Step = {
      kind: 'versioning',
      store: v.store,
      target: describe(v),
      action: status === 'Enabled' ? 'none' : 'update',
      summary: status === 'Enabled' ? 'versioning is Enabled' : `enable versioning (now ${status})`,
      before: status,
      after: 'Enabled',
    };
    step.apply = async () => {
      await s3.send(
        new PutBucketVersioningCommand({ Bucket: v.bucket, VersioningConfiguration: { Status: 'Enabled' } }),
      );
    };
    step.verify = async () => (await readVersioning(s3, v.bucket)) === 'Enabled';
    steps.push(step);
  }

  // 2. The IAM role and its inline policy.
  const role = plan.role;
  if (role !== undefined) {
    const iamKey: ClientKey = {
      ...(role.endpoint === undefined ? {} : { endpoint: role.endpoint }),
      ...(origin.region === undefined ? {} : { region: origin.region }),
      ...(role.profile === undefined ? {} : { profile: role.profile }),
    };
    const target = `role ${role.name}`;
    try {
      const iam = await clients.iam(iamKey);
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
          if (existing === undefined) await iam.createRole(role.name, role.trustPolicy);
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
      steps.push({
        kind: 'role',
        store: 'replication',
        target,
        action: 'skip',
        summary: 'create or update the replication role and its inline policy',
        reason,
      });
    }
  }

  // 3. Bucket policies: cross-account native destinations, then mirror replicas owned by someone else.
  const policySteps: Array<{ target: BucketTarget; replica: string; doc: PolicyDocument; what: string }> = [];
  for (const p of plan.destinationPolicies) {
    policySteps.push({
      target: p,
      replica: p.replica,
      doc: p.policy,
      what: `let the replication role of ${plan.source.bucket} write replicas (cross-account destination)`,
    });
  }
  const mirrors = mirrorPolicyReplicas(config);
  const writer = opts.writerPrincipal ?? identity?.arn;
  if (mirrors.length > 0 && writer === undefined) {
    notes.push(
      'The identity claas mirror writes as could not be determined: pass --writer-principal <arn> to set the ' +
        'bucket policies of the mirror replicas.',
    );
  }
  if (writer !== undefined) {
    for (const r of mirrors) {
      const loc = storeLocation(r, {});
      policySteps.push({
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
  }
  for (const p of policySteps) {
    const s3 = clients.forTarget(p.target);
    const prefix = sidPrefix(config.library, p.replica);
    const ours = namespacedPolicy(p.doc, prefix);
    const target = `${describe(p.target)} policy`;
    try {
      const existing = await readPolicy(s3, p.target.bucket);
      const merged = mergePolicy(existing, ours, prefix);
      const same = existing !== undefined && sameJson(existing, merged);
      steps.push({
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
        apply: async () => {
          await s3.send(
            new PutBucketPolicyCommand({ Bucket: p.target.bucket, Policy: JSON.stringify(merged) }),
          );
        },
        verify: async () => {
          const now = await readPolicy(s3, p.target.bucket);
          return (
            now !== undefined &&
            ours.Statement.every((s) => now.Statement.some((n) => n.Sid === s.Sid && sameJson(n, s)))
          );
        },
      });
    } catch (e) {
      const reason = unsupportedReason('bucket-policy', e, p.target);
      if (reason === undefined) throw e;
      steps.push({
        kind: 'bucket-policy',
        store: p.replica,
        target,
        action: 'skip',
        summary: p.what,
        reason,
      });
    }
  }

  // 4. The replication configuration of the source bucket.
  const replication = plan.replication;
  if (replication !== undefined) {
    const t = replication.target;
    const s3 = clients.forTarget(t);
    const existing = await readReplication(s3, t.bucket);
    const merged = mergeReplication(existing, replication.configuration, config.library);
    const same = replicationMatches(existing, merged.config, config.library);
    if (merged.roleKept !== undefined) {
      notes.push(
        `${t.bucket} replicates with role ${merged.roleKept} for other rules; a bucket has one replication role, ` +
          `so claas's rules use it too: give it the permissions of ${plan.role?.name ?? 'the planned role'}.`,
      );
    }
    const step: Step = {
      kind: 'replication',
      store: 'origin',
      clientKey: t,
      target: `${describe(t)} replication`,
      action: existing === undefined ? 'create' : same ? 'none' : 'update',
      summary: same
        ? `the replication rules ${replication.configuration.Rules.map((r) => r.ID).join(', ')} are in place`
        : `put replication rules ${replication.configuration.Rules.map((r) => r.ID).join(', ')}` +
          ((existing?.Rules ?? []).some((r) => !isOurRule(r.ID, config.library))
            ? ' (rules of other ids kept)'
            : ''),
      ...(existing === undefined ? {} : { before: existing }),
      after: merged.config,
    };
    step.apply = async () => {
      await s3.send(
        new PutBucketReplicationCommand({
          Bucket: t.bucket,
          ReplicationConfiguration: merged.config as SdkReplicationConfiguration,
        }),
      );
    };
    step.verify = async () =>
      replicationMatches(await readReplication(s3, t.bucket), merged.config, config.library);
    steps.push(step);
    if (!same) {
      const names = config.replicas
        .filter(
          (r) =>
            r.mode === 'native' && replication.configuration.Rules.some((x) => x.ID.endsWith(`/${r.name}`)),
        )
        .map((r) => r.name);
      notes.push(
        `Objects already in the library are not replicated by the new rule (S3 replicates only objects written after ` +
          `it exists): copy them once with ${names.map((n) => `claas mirror --config ${configArg(config)} --replica ${n}`).join('; ')}.`,
      );
    }
  }
  notes.push(
    'Bucket configuration (versioning, policies, replication) is eventually consistent: allow a few minutes before ' +
      'relying on it; claas status shows when replicas catch up.',
  );
  const result: ApplyPlanResult = {
    library: config.library,
    plan,
    changes: steps.map(publicChange),
    notes: [...new Set(notes)],
    ...(writer === undefined ? {} : { writerPrincipal: writer }),
  };
  return { result, steps, clients };
}

function configArg(config: ClaasConfig): string {
  return config.file.split('/').pop() ?? 'claas.yaml';
}

/** Mirror replicas reached with another identity than the origin's: their owner must let the writer in. */
function mirrorPolicyReplicas(config: ClaasConfig): ReplicaConfig[] {
  return config.replicas.filter((r) => r.mode === 'mirror' && r.profile !== config.origin.profile);
}

function publicChange(s: Step): Change {
  const { apply: _a, verify: _v, clientKey: _k, ...rest } = s;
  void _a;
  void _v;
  void _k;
  return rest;
}

/** Applies the planned steps in order; stops at the first failure (later steps build on earlier ones). */
export async function applySteps(
  steps: Step[],
  opts: { verifyAttempts?: number; verifyDelayMs?: number; onStep?: (c: AppliedChange) => void } = {},
): Promise<AppliedChange[]> {
  const out: AppliedChange[] = [];
  let failed = false;
  for (const s of steps) {
    const base = publicChange(s);
    let done: AppliedChange;
    if (failed) {
      done = { ...base, outcome: 'skipped', reason: 'an earlier step failed' };
    } else if (s.action === 'skip') {
      done = { ...base, outcome: 'skipped' };
    } else if (s.action === 'none') {
      done = { ...base, outcome: 'unchanged' };
    } else {
      try {
        await s.apply?.();
        let confirmed = s.verify === undefined;
        for (let i = 0; !confirmed && i < (opts.verifyAttempts ?? 5); i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, opts.verifyDelayMs ?? 1000));
          confirmed = (await s.verify?.()) ?? true;
        }
        done = { ...base, outcome: 'applied', confirmed };
      } catch (e) {
        // A store that lacks the feature: skipped and explained, not a failure.
        const reason = unsupportedReason(s.kind, e, s.clientKey ?? {});
        if (reason !== undefined) {
          done = { ...base, action: 'skip', outcome: 'skipped', reason };
        } else {
          failed = true;
          done = {
            ...base,
            outcome: 'failed',
            error: { code: s3ErrorCode(e) ?? (e as Error)?.name ?? 'Error', message: errorText(e) },
          };
        }
      }
    }
    out.push(done);
    opts.onStep?.(done);
  }
  return out;
}

export type { Clients };
export { Clients as ApplyClients };
