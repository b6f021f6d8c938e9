// What `claas replication apply` compares and merges, pure: bucket policy statements by Sid, replication rules
// by id (rules and statements of other tools are kept), and what a store reports back compared tolerantly
// (Ceph RGW drops Role, Account and DeleteMarkerReplication). Also the principals policies name.

import { bucketArn } from '../access/policies.js';
import type { PolicyDocument, PolicyStatement } from '../access/policies.js';
import type { BucketReplication, BucketReplicationRule, S3Location } from '../store/types.js';
import { isAwsEndpoint } from '../store/endpoints.js';
import { RULE_ID_PREFIX } from './plan-native.js';
import type { ReplicationRule } from './plan-types.js';

/** A replication configuration as apply writes it: claas's rules merged with the bucket's others. */
export interface PlannedReplication {
  Role: string;
  Rules: BucketReplicationRule[];
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

export function isOurRule(id: string | undefined, library: string): boolean {
  return id !== undefined && id.startsWith(`${RULE_ID_PREFIX}${library}/`);
}

/**
 * The replication configuration with claas's rules for this library merged in: rules of other ids are kept
 * (with their priorities), ours replaced and numbered after them. The Role stays when other rules use it.
 */
export function mergeReplication(
  existing: BucketReplication | undefined,
  planned: { Role: string; Rules: ReplicationRule[] },
  library: string,
): { config: PlannedReplication; roleKept?: string } {
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
  existing: BucketReplication | undefined,
  planned: PlannedReplication,
  library: string,
): boolean {
  if (existing === undefined) return false;
  if (existing.Role !== undefined && existing.Role !== '' && existing.Role !== planned.Role) return false;
  const want = planned.Rules.filter((r) => isOurRule(r.ID, library));
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
