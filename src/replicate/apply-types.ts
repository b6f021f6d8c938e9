// The vocabulary of `claas replication apply`: a Change (what one step does to a bucket or to IAM, shown
// before anything is applied), the Step that carries how to apply and read it back, and the results.

import type { ReplicationPlan } from './plan-types.js';

export type ChangeKind =
  'versioning' | 'role' | 'role-policy' | 'bucket-policy' | 'private-data' | 'replication';
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

/** Where a step's calls go: an S3 (or IAM) endpoint, region and profile. */
export interface Endpoint {
  endpoint?: string;
  region?: string;
  profile?: string;
}

export interface Step extends Change {
  /** Where the calls go (to explain a refusal). */
  clientKey?: Endpoint;
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

/** The Change a Step shows (without its functions). */
export function publicChange(s: Step): Change {
  const { apply: _a, verify: _v, clientKey: _k, ...rest } = s;
  void _a;
  void _v;
  void _k;
  return rest;
}

/** "bucket templates-east (eu-west-1)" or "bucket templates at http://rgw:7480". */
export function describeBucket(t: { bucket: string; endpoint?: string; region?: string }): string {
  return `bucket ${t.bucket}${t.endpoint === undefined ? (t.region === undefined ? '' : ` (${t.region})`) : ` at ${t.endpoint}`}`;
}
