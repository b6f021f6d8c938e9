// The rule of `claas status`: when a missing object makes a replica lagging (replication or claas mirror will
// still bring it) and when broken, and the exit code a set of store states gives. Pure: no store access.
//
// Lagging or broken? (the rule, also in docs via STATUS_RULE)
// - An object a version references that is present with another size, or with another content hash than the
//   origin's (ETag differs and the SHA-256 claas stored with it does not match), is BROKEN: every key a
//   version references is immutable, so neither replication nor claas mirror ever leaves such an object.
// - A missing object the origin has:
//   - native replica (the store replicates, without order): LAGGING while the origin wrote it less than the
//     settle time ago (default 15 minutes, S3 Replication Time Control's bound); BROKEN after that (deleted at
//     the replica, or written before the replication rule existed, which S3 never replicates).
//   - mirror replica (claas mirror writes lib.json last): BROKEN when the version the replica's own lib.json
//     names references it (it was there when claas mirror committed); otherwise LAGGING (claas mirror has not
//     copied that version yet).
// - lib.json behind the origin's: LAGGING (native: BROKEN once the origin's lib.json is older than the settle
//   time); ahead of the origin's, naming another library, or differing at the same version: BROKEN.
// - The origin is BROKEN when its own lib.json version is not complete there (an object missing or resized).
// - A mirror replica without lib.json and with nothing wrong is EMPTY: claas mirror never filled it (counted
//   like lagging: run claas mirror).
// Exit code: 2 when any store is broken, else the error's exit code when a store could not be checked, else 1
// when a replica lags or is empty while the origin is not, else 0.

import type { ReplicaMode } from '../config/schema.js';
import { ClaasError, exitCodeFor } from '../errors.js';
import type { StoreStatus } from './status-store.js';

export const DEFAULT_SETTLE_MS = 15 * 60_000;

export const STATUS_RULE =
  'broken = an object a version references is present with the wrong size or content hash, or is missing ' +
  'longer than the settle time after the origin wrote it (native replicas), or is missing although the ' +
  "replica's own lib.json version references it (mirror replicas: claas mirror writes lib.json last); " +
  'lagging = missing objects replication or claas mirror will still bring; empty = a mirror replica claas ' +
  'mirror never filled (no lib.json, nothing wrong; exit 1 like lagging: run claas mirror).';

/** The problem line (and, on the dashboard, the label) of a mirror replica claas mirror never filled. */
export const MIRROR_EMPTY = 'empty — run claas mirror: no version is committed here yet (no lib.json)';

/** What decides whether a missing object makes a store lagging or broken (see the rule at the top). */
export interface MissingFacts {
  role: 'origin' | 'replica';
  mode?: ReplicaMode;
  /** The origin has the object (else it is the origin that is broken). */
  atOrigin: boolean;
  /** When the origin wrote it (its LastModified). */
  originWrittenAt?: Date;
  /** The version the replica's own lib.json names references the object. */
  referencedByReplicaVersion: boolean;
  now: Date;
  settleMs: number;
}

export function classifyMissing(f: MissingFacts): { broken: boolean; reason: string } {
  if (f.role === 'origin') {
    return { broken: true, reason: "the origin's current version references it and the origin lacks it" };
  }
  if (!f.atOrigin) {
    return { broken: false, reason: 'the origin lacks it too (the origin is broken, not this replica)' };
  }
  if (f.mode === 'mirror') {
    return f.referencedByReplicaVersion
      ? {
          broken: true,
          reason:
            "the replica's own lib.json version references it: claas mirror copied it before committing, so it was deleted since; run claas mirror to repair",
        }
      : { broken: false, reason: 'claas mirror has not copied this version yet' };
  }
  const age = f.originWrittenAt === undefined ? Infinity : f.now.getTime() - f.originWrittenAt.getTime();
  if (age > f.settleMs) {
    return {
      broken: true,
      reason:
        `missing ${formatAge(age)} after the origin wrote it (settle time ${formatAge(f.settleMs)}): deleted at ` +
        'the replica, or written before the replication rule existed (never replicated; run claas mirror --replica once)',
    };
  }
  return { broken: false, reason: `replication in progress (the origin wrote it ${formatAge(age)} ago)` };
}

export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return 'an unknown time';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export function overallExitCode(stores: StoreStatus[]): number {
  if (stores.some((s) => s.state === 'broken')) return 2;
  const failed = stores.find((s) => s.state === 'error');
  if (failed !== undefined) {
    return exitCodeFor(
      new ClaasError((failed.error?.code ?? 'INTERNAL') as ClaasError['code'], failed.error?.message ?? ''),
    );
  }
  if (stores.some((s) => s.state === 'lagging' || (s.role === 'replica' && s.state === 'empty'))) {
    const origin = stores.find((s) => s.role === 'origin');
    // An empty replica of an empty origin is consistent.
    if (origin?.state === 'empty' && stores.every((s) => s.state === 'empty')) return 0;
    return 1;
  }
  return 0;
}
