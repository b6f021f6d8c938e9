// `claas replication apply`: the native replication plan (plan-native.ts) and the bucket policies mirror
// replicas need, compared with what the buckets and IAM hold now, applied through the store layer. Idempotent:
// what is already as planned is left alone ("no change"), what differs is updated, and what other tools put
// there is kept (replication rules of other ids, bucket policy statements of other Sids).
//
// Order (apply-phases.ts): versioning (both ends, replication requires it) -> IAM role and its inline policy
// -> bucket policies (destination owners) -> the source bucket's replication configuration. Every step is
// read back after it is applied; bucket configuration is eventually consistent, so a step not visible yet is
// reported as such. What S3-compatible stores lack is detected, skipped and explained (apply-refusals.ts).
// What was applied is recorded as a `replication` entry in the origin's audit log (auditApplied).

import { rgwUserArn } from '../access/policies.js';
import { storeLocation } from '../config/schema.js';
import type { ClaasConfig } from '../config/schema.js';
import { appendAudit } from '../publish/audit.js';
import { resolveActor } from '../publish/identity.js';
import { closeStore } from '../store/open.js';
import { underlyingCode } from '../store/s3-errors.js';
import type { ObjectStore } from '../store/types.js';
import { principalFromCallerArn } from './apply-merge.js';
import {
  ApplyClients,
  bucketPolicySteps,
  mirrorPolicyReplicas,
  replicationSteps,
  roleSteps,
  versioningSteps,
} from './apply-phases.js';
import type { PhaseContext } from './apply-phases.js';
import { privateDataSteps } from './apply-private-data.js';
import { errorText, unsupportedReason } from './apply-refusals.js';
import { openOriginStore } from './open-stores.js';
import { publicChange } from './apply-types.js';
import type { AppliedChange, ApplyOptions, ApplyPlanResult, Step } from './apply-types.js';
import { planNativeReplication, withSourceAccount } from './plan-native.js';
import { SOURCE_ACCOUNT_PLACEHOLDER } from './plan-types.js';

export type {
  AppliedChange,
  ApplyOptions,
  ApplyPlanResult,
  Change,
  ChangeAction,
  ChangeKind,
} from './apply-types.js';
export { ApplyClients } from './apply-phases.js';

/** The identity behind the origin's credentials, as policies name it (an IAM ARN; Ceph RGW: its user ARN). */
export async function callerIdentity(
  config: ClaasConfig,
  clients: ApplyClients,
): Promise<{ arn?: string; account?: string; how: string }> {
  const origin = config.origin;
  const id = await clients
    .bucket({
      bucket: storeLocation(origin).bucket,
      ...(origin.endpoint === undefined ? {} : { endpoint: origin.endpoint }),
      ...(origin.region === undefined ? {} : { region: origin.region }),
      ...(origin.profile === undefined ? {} : { profile: origin.profile }),
    })
    .callerIdentity();
  if (id.ownerId !== undefined) {
    // ListBuckets names the caller as the owner; RGW principals are account-less.
    const [tenant, uid] = id.ownerId.includes('$')
      ? (id.ownerId.split('$', 2) as [string, string])
      : ['', id.ownerId];
    return { arn: rgwUserArn(uid, tenant), account: '', how: id.how };
  }
  return {
    ...(id.arn === undefined ? {} : { arn: principalFromCallerArn(id.arn) }),
    ...(id.account === undefined ? {} : { account: id.account }),
    how: id.how,
  };
}

/** Reads what the buckets and IAM hold and plans the steps that bring them to the plan. */
export async function planApply(
  config: ClaasConfig,
  opts: ApplyOptions = {},
  clients: ApplyClients = new ApplyClients(),
): Promise<{ result: ApplyPlanResult; steps: Step[]; clients: ApplyClients; config: ClaasConfig }> {
  let plan = planNativeReplication(config);
  const notes: string[] = [...plan.notes];
  const needsAccount = JSON.stringify(plan).includes(SOURCE_ACCOUNT_PLACEHOLDER);
  const needsIdentity =
    needsAccount || (opts.writerPrincipal === undefined && mirrorPolicyReplicas(config).length > 0);
  const identity = needsIdentity ? await callerIdentity(config, clients) : undefined;
  if (needsAccount) {
    const account = config.origin.account ?? identity?.account;
    if (account !== undefined) plan = withSourceAccount(plan, account);
    notes.splice(0, notes.length, ...plan.notes);
  }
  const writer = opts.writerPrincipal ?? identity?.arn;
  const ctx: PhaseContext = { config, plan, clients, notes };
  const steps: Step[] = [
    ...(await versioningSteps(ctx)),
    ...(await roleSteps(ctx)),
    ...(await bucketPolicySteps(ctx, writer)),
    // Private objects leave the library prefix before rules that replicate it are written (issue 16).
    ...(await privateDataSteps(config, notes)),
    ...(await replicationSteps(ctx)),
  ];
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
  return { result, steps, clients, config };
}

/**
 * Appends the `replication` entry (the changes applied, and the failure that stopped the rest) to the
 * origin's audit log, when anything was applied. Never throws: the changes are made already, so a refusal
 * to write the entry is returned for the caller to report.
 */
export async function auditApplied(
  config: ClaasConfig,
  applied: AppliedChange[],
  openOrigin: (c: ClaasConfig) => Promise<ObjectStore> = openOriginStore,
): Promise<{ key?: string; error?: string }> {
  const done = applied.filter((c) => c.outcome === 'applied');
  if (done.length === 0) return {};
  const failed = applied.find((c) => c.outcome === 'failed');
  let origin: ObjectStore | undefined;
  try {
    origin = await openOrigin(config);
    const entry = await appendAudit(origin, {
      action: 'replication',
      actor: await resolveActor(origin),
      summary: `replication of library "${config.library}": ${done.length} change${done.length === 1 ? '' : 's'} applied${failed === undefined ? '' : `, stopped at ${failed.kind} of ${failed.target}`}`,
      details: {
        changes: done.map((c) => ({
          kind: c.kind,
          target: c.target,
          store: c.store,
          action: c.action,
          summary: c.summary,
          ...(c.confirmed === undefined ? {} : { confirmed: c.confirmed }),
        })),
        ...(failed === undefined
          ? {}
          : { failed: { kind: failed.kind, target: failed.target, error: failed.error } }),
      },
    });
    return { key: entry.key };
  } catch (e) {
    return { error: (e as Error)?.message ?? String(e) };
  } finally {
    if (origin !== undefined) closeStore(origin);
  }
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
      done = await applyStep(s, opts);
      failed = done.outcome === 'failed';
    }
    out.push(done);
    opts.onStep?.(done);
  }
  return out;
}

/** Applies one step and reads it back (a few times: bucket configuration is eventually consistent). */
async function applyStep(
  s: Step,
  opts: { verifyAttempts?: number; verifyDelayMs?: number },
): Promise<AppliedChange> {
  const base = publicChange(s);
  try {
    await s.apply?.();
    let confirmed = s.verify === undefined;
    for (let i = 0; !confirmed && i < (opts.verifyAttempts ?? 5); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, opts.verifyDelayMs ?? 1000));
      confirmed = (await s.verify?.()) ?? true;
    }
    return { ...base, outcome: 'applied', confirmed };
  } catch (e) {
    // A store that lacks the feature: skipped and explained, not a failure.
    const reason = unsupportedReason(s.kind, e, s.clientKey ?? {});
    if (reason !== undefined) return { ...base, action: 'skip', outcome: 'skipped', reason };
    return {
      ...base,
      outcome: 'failed',
      error: { code: underlyingCode(e) ?? (e as Error)?.name ?? 'Error', message: errorText(e) },
    };
  }
}
