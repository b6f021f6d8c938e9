// `claas status`: for the origin and every replica, the newest library version that is complete and
// consistent there, what is missing or wrong, and how far it lags behind the origin, from LIST pages (one
// listing per store) plus a handful of GETs (lib.json, snapshots) and HEADs (only objects whose ETag differs
// from the origin's). Nothing here prints; the CLI renders the report.
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
// Exit code: 2 when any store is broken, else the error's exit code when a store could not be checked, else 1
// when a replica lags, else 0.

import type { ClaasConfig, ReplicaMode } from '../config/schema.js';
import { ClaasError, exitCodeFor, isClaasError } from '../errors.js';
import { LIB_KEY, snapshotKey, versionFromSnapshotKey } from '../publish/layout.js';
import type { ObjectStore } from '../store/types.js';
import { parseSnapshot } from '../vcsp/schema.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import {
  checkSnapshotAgainst,
  findNewestComplete,
  listAll,
  readLibVersion,
  referencedKeys,
  resolveEtagDifferences,
} from './consistency.js';
import type { DetailedVersionCheck, ListingIndex } from './consistency.js';
import { openOriginStore, openReplicaStore } from './open-stores.js';
import { closeStore } from '../store/open.js';

export const DEFAULT_SETTLE_MS = 15 * 60_000;

export const STATUS_RULE =
  'broken = an object a version references is present with the wrong size or content hash, or is missing ' +
  'longer than the settle time after the origin wrote it (native replicas), or is missing although the ' +
  "replica's own lib.json version references it (mirror replicas: claas mirror writes lib.json last); " +
  'lagging = missing objects replication or claas mirror will still bring.';

export type StoreState = 'consistent' | 'lagging' | 'broken' | 'empty' | 'error';

export interface MissingObject {
  key: string;
  /** How long ago the origin wrote it (undefined when the origin lacks it too). */
  ageSeconds?: number;
  broken: boolean;
  reason: string;
}

export interface StoreStatus {
  name: string;
  role: 'origin' | 'replica';
  mode?: ReplicaMode;
  location: string;
  endpoint: string;
  state: StoreState;
  /** The version lib.json names there (undefined = no lib.json). */
  libVersion?: number;
  /** Newest version complete there (every referenced object present with the right size and hash). */
  consistentVersion?: number;
  /** Versions behind the origin's current one (0 when consistent). */
  behind?: number;
  /** When the origin committed the first version this store lacks, and how long ago. */
  behindSince?: string;
  lagSeconds?: number;
  missing: MissingObject[];
  wrongSize: { key: string; expected: number; actual: number }[];
  wrongHash: { key: string; expected: string; actual?: string }[];
  /** Other findings, one sentence each (lib.json ahead, another library, ...). */
  problems: string[];
  checkedObjects: number;
  requests: number;
  error?: { code: string; message: string; hint?: string };
}

export interface StatusReport {
  library: string;
  checkedAt: string;
  state: 'consistent' | 'lagging' | 'broken' | 'error' | 'empty';
  exitCode: number;
  origin: { version?: number; committedAt?: string };
  settleSeconds: number;
  stores: StoreStatus[];
  requests: number;
  rule: string;
}

export interface StatusOptions {
  settleMs?: number;
  now?: () => Date;
  /** Only these replicas (names); default all. The origin is always checked. */
  replicas?: string[];
  /** How many versions below lib.json's the search for a complete version goes (default 20). */
  maxBack?: number;
  /** Store openers (tests). */
  openOrigin?: (config: ClaasConfig) => Promise<ObjectStore>;
  openReplica?: (config: ClaasConfig, name: string) => Promise<ObjectStore>;
}

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

/** Reads snapshots of the origin once each (counting requests). */
class SnapshotCache {
  private readonly cache = new Map<number, VersionSnapshot | undefined>();
  requests = 0;
  constructor(
    private readonly store: ObjectStore,
    private readonly index: ListingIndex,
  ) {}

  async get(version: number): Promise<VersionSnapshot | undefined> {
    if (this.cache.has(version)) return this.cache.get(version);
    let snap: VersionSnapshot | undefined;
    if (this.index.objects.has(snapshotKey(version))) {
      this.requests += 1;
      const bytes = await this.store.readBytes(snapshotKey(version));
      snap =
        bytes === undefined
          ? undefined
          : parseSnapshot(bytes.toString('utf8'), `${this.store.display}/${snapshotKey(version)}`);
    }
    this.cache.set(version, snap);
    return snap;
  }

  /** Versions with a snapshot at the origin, ascending. */
  versions(): number[] {
    const out: number[] = [];
    for (const key of this.index.objects.keys()) {
      const v = versionFromSnapshotKey(key);
      if (v !== undefined) out.push(v);
    }
    return out.sort((a, b) => a - b);
  }
}

function endpointOf(store: ObjectStore): string {
  return (store as { endpointUrl?: string }).endpointUrl ?? store.display;
}

function errorInfo(e: unknown): StoreStatus['error'] {
  if (isClaasError(e)) {
    return { code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) };
  }
  return { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
}

function emptyStatus(
  name: string,
  role: 'origin' | 'replica',
  store: ObjectStore | undefined,
  mode?: ReplicaMode,
): StoreStatus {
  return {
    name,
    role,
    ...(mode === undefined ? {} : { mode }),
    location: store?.display ?? '',
    endpoint: store === undefined ? '' : endpointOf(store),
    state: 'consistent',
    missing: [],
    wrongSize: [],
    wrongHash: [],
    problems: [],
    checkedObjects: 0,
    requests: 0,
  };
}

interface OriginView {
  store: ObjectStore;
  index: ListingIndex;
  version?: number;
  snapshot?: VersionSnapshot;
  snapshots: SnapshotCache;
}

async function checkOrigin(
  config: ClaasConfig,
  opts: StatusOptions,
): Promise<{ status: StoreStatus; view?: OriginView }> {
  let store: ObjectStore | undefined;
  try {
    store = await (opts.openOrigin ?? openOriginStore)(config);
    const status = emptyStatus('origin', 'origin', store);
    const report = await findNewestComplete(store, { maxBack: 1 });
    const index = report.index;
    status.requests += report.requests;
    const snapshots = new SnapshotCache(store, index);
    const view: OriginView = { store, index, snapshots };
    if (report.libVersion === undefined) {
      status.state = 'empty';
      status.problems.push(
        index.objects.has(LIB_KEY) ? 'lib.json does not parse' : 'no library published yet (no lib.json)',
      );
      if (index.objects.has(LIB_KEY)) status.state = 'broken';
      return { status, view };
    }
    const version = report.libVersion;
    status.libVersion = version;
    view.version = version;
    const snapshot = report.found?.snapshot ?? (await snapshots.get(version));
    if (snapshot === undefined) {
      status.state = 'broken';
      status.problems.push(
        `version ${version} has no claas snapshot (${snapshotKey(version)}): not a library claas published, or the snapshot was deleted`,
      );
      return { status, view };
    }
    view.snapshot = snapshot;
    const check = report.found?.check ?? report.head ?? checkSnapshotAgainst(snapshot, index);
    status.checkedObjects = check.checkedObjects + 1;
    status.wrongSize = check.wrongSize;
    const now = (opts.now ?? (() => new Date()))();
    for (const key of check.missing) {
      status.missing.push({
        key,
        broken: true,
        reason: classifyMissing({
          role: 'origin',
          atOrigin: false,
          referencedByReplicaVersion: true,
          now,
          settleMs: 0,
        }).reason,
      });
    }
    if (check.complete) {
      status.consistentVersion = version;
      status.behind = 0;
      status.state = 'consistent';
    } else {
      status.state = 'broken';
    }
    return { status, view };
  } catch (e) {
    const status = emptyStatus('origin', 'origin', store);
    status.state = 'error';
    status.error = errorInfo(e);
    closeStore(store);
    return { status };
  }
}

async function checkReplica(
  config: ClaasConfig,
  name: string,
  origin: OriginView,
  opts: Omit<StatusOptions, 'now'> & { settleMs: number; now: Date },
  listed: Promise<{ store: ObjectStore; index?: ListingIndex; error?: unknown }>,
): Promise<StoreStatus> {
  const replica = config.replicas.find((r) => r.name === name)!;
  let store: ObjectStore | undefined;
  try {
    const ready = await listed;
    store = ready.store;
    if (ready.error !== undefined || ready.index === undefined) throw ready.error;
    const status = emptyStatus(name, 'replica', store, replica.mode);
    const index = ready.index;
    status.requests += index.requests;
    let libVersion: number | undefined;
    if (index.objects.has(LIB_KEY)) {
      libVersion = await readLibVersion(store);
      status.requests += 1;
    }
    if (libVersion !== undefined) status.libVersion = libVersion;
    const originVersion = origin.version;
    const snapshot = origin.snapshot;
    if (originVersion === undefined || snapshot === undefined) {
      // Nothing to compare with: report what is there.
      status.state = libVersion === undefined ? 'empty' : 'lagging';
      return status;
    }

    // 1. The origin's current version against this replica's listing (with the origin's for JSON sizes, ETags).
    const head = checkSnapshotAgainst(snapshot, index, origin.index);
    status.requests += await resolveEtagDifferences(head, store, origin.store);
    status.checkedObjects = head.checkedObjects;

    // 2. The newest version complete here (walking the replica's own snapshots back from its lib.json).
    let consistent: number | undefined;
    if (libVersion !== undefined) {
      const walk = await findNewestComplete(store, {
        index,
        libVersion,
        reference: origin.index,
        ...(opts.maxBack === undefined ? {} : { maxBack: opts.maxBack }),
      });
      status.requests += walk.requests;
      if (walk.found !== undefined) {
        const found = walk.found;
        if (found.version === originVersion) {
          consistent = head.complete && head.wrongHash.length === 0 ? found.version : undefined;
        } else {
          status.requests += await resolveEtagDifferences(found.check, store);
          consistent = found.check.wrongHash.length === 0 ? found.version : undefined;
          addBroken(status, found.check);
        }
      }
    }

    // 3. lib.json itself.
    const originLib = origin.index.objects.get(LIB_KEY);
    const replicaLib = index.objects.get(LIB_KEY);
    let libOk = false;
    if (libVersion === undefined) {
      status.problems.push(
        replicaLib === undefined ? 'no lib.json yet' : 'lib.json does not parse (altered?)',
      );
      if (replicaLib !== undefined) status.state = 'broken';
    } else if (libVersion > originVersion) {
      status.problems.push(
        `lib.json names version ${libVersion}, newer than the origin's ${originVersion} (written by something else, or the origin was rolled back)`,
      );
      status.state = 'broken';
    } else if (libVersion === originVersion) {
      if (
        replicaLib !== undefined &&
        originLib !== undefined &&
        (replicaLib.size !== originLib.size ||
          (replicaLib.etag !== undefined &&
            originLib.etag !== undefined &&
            replicaLib.etag !== originLib.etag))
      ) {
        status.problems.push(`lib.json differs from the origin's at the same version ${libVersion}`);
        status.wrongHash.push({
          key: LIB_KEY,
          expected: `etag ${originLib.etag ?? '?'}`,
          ...(replicaLib.etag === undefined ? {} : { actual: `etag ${replicaLib.etag}` }),
        });
        status.state = 'broken';
      } else {
        libOk = true;
      }
    } else {
      const writtenAt = originLib?.mtime;
      const age = writtenAt === undefined ? 0 : opts.now.getTime() - writtenAt.getTime();
      const late = replica.mode === 'native' && age > opts.settleMs;
      status.problems.push(
        `lib.json names version ${libVersion}, the origin's ${originVersion}` +
          (late ? ` (the origin wrote it ${formatAge(age)} ago, beyond the settle time)` : ''),
      );
      if (late) status.state = 'broken';
    }

    // 4. Missing objects of the origin's version: lagging or broken.
    const referencedByOwn = await referencedByVersion(store, index, libVersion, originVersion, snapshot);
    status.requests += referencedByOwn.requests;
    for (const key of head.missing) {
      const atOrigin = origin.index.objects.get(key);
      const verdict = classifyMissing({
        role: 'replica',
        mode: replica.mode,
        atOrigin: atOrigin !== undefined,
        ...(atOrigin === undefined ? {} : { originWrittenAt: atOrigin.mtime }),
        referencedByReplicaVersion: referencedByOwn.keys.has(key),
        now: opts.now,
        settleMs: opts.settleMs,
      });
      status.missing.push({
        key,
        ...(atOrigin === undefined
          ? {}
          : { ageSeconds: Math.round((opts.now.getTime() - atOrigin.mtime.getTime()) / 1000) }),
        ...verdict,
      });
    }
    addBroken(status, head);

    // 5. State, lag.
    const headOk = head.complete && head.wrongHash.length === 0;
    if (headOk && libOk) consistent = originVersion;
    if (consistent !== undefined) status.consistentVersion = consistent;
    const brokenNow =
      status.state === 'broken' ||
      status.missing.some((m) => m.broken) ||
      status.wrongSize.length > 0 ||
      status.wrongHash.length > 0;
    if (brokenNow) status.state = 'broken';
    else status.state = consistent === originVersion ? 'consistent' : 'lagging';
    const since = consistent === originVersion ? undefined : await firstMissingCommit(origin, consistent);
    status.behind = originVersion - (consistent ?? 0);
    if (since !== undefined) {
      status.behindSince = since;
      status.lagSeconds = Math.max(0, Math.round((opts.now.getTime() - Date.parse(since)) / 1000));
    } else if (consistent === originVersion) {
      status.lagSeconds = 0;
    }
    return status;
  } catch (e) {
    const status = emptyStatus(name, 'replica', store, replica.mode);
    status.error = errorInfo(e);
    // A native replica's bucket appears only when the store replicates it (Ceph multisite syncs bucket
    // metadata asynchronously): missing within the settle time after the origin committed is lag.
    const committed = origin.snapshot === undefined ? undefined : Date.parse(origin.snapshot.committedAt);
    const recent = committed !== undefined && opts.now.getTime() - committed <= opts.settleMs;
    status.state = replica.mode === 'native' && isClaasError(e, 'NOT_FOUND') && recent ? 'lagging' : 'error';
    return status;
  } finally {
    closeStore(store);
  }
}

/** Adds a check's size and hash findings to a status (each key once). */
function addBroken(status: StoreStatus, check: DetailedVersionCheck): void {
  const seen = new Set([...status.wrongSize, ...status.wrongHash].map((w) => w.key));
  for (const w of check.wrongSize) if (!seen.has(w.key)) status.wrongSize.push(w);
  for (const w of check.wrongHash) if (!seen.has(w.key)) status.wrongHash.push(w);
}

/**
 * The keys the version named by the replica's own lib.json references, when it is older than the origin's
 * (for a mirror replica, these were all present when claas mirror committed it). Reads that version's
 * snapshot at the replica (one GET) when listed.
 */
async function referencedByVersion(
  store: ObjectStore,
  index: ListingIndex,
  libVersion: number | undefined,
  originVersion: number,
  originSnapshot: VersionSnapshot,
): Promise<{ keys: Set<string>; requests: number }> {
  if (libVersion === undefined) return { keys: new Set(), requests: 0 };
  const keysOf = (s: VersionSnapshot): Set<string> => new Set(referencedKeys(s).map((k) => k.key));
  if (libVersion === originVersion) return { keys: keysOf(originSnapshot), requests: 0 };
  if (!index.objects.has(snapshotKey(libVersion))) return { keys: new Set(), requests: 0 };
  const bytes = await store.readBytes(snapshotKey(libVersion));
  if (bytes === undefined) return { keys: new Set(), requests: 1 };
  try {
    return {
      keys: keysOf(parseSnapshot(bytes.toString('utf8'), `${store.display}/${snapshotKey(libVersion)}`)),
      requests: 1,
    };
  } catch {
    return { keys: new Set(), requests: 1 };
  }
}

/** When the origin committed the first version after `consistent` (the oldest one the replica lacks). */
async function firstMissingCommit(
  origin: OriginView,
  consistent: number | undefined,
): Promise<string | undefined> {
  const versions = origin.snapshots.versions().filter((v) => v > (consistent ?? 0));
  for (const v of versions) {
    const s = v === origin.version ? origin.snapshot : await origin.snapshots.get(v);
    if (s !== undefined) return s.committedAt;
  }
  return undefined;
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

/** One round of status for every store of a configuration. */
export async function checkStatus(config: ClaasConfig, opts: StatusOptions = {}): Promise<StatusReport> {
  const now = (opts.now ?? (() => new Date()))();
  const settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
  const names = (opts.replicas ?? config.replicas.map((r) => r.name)).map((n) => {
    const r = config.replicas.find((x) => x.name.toLowerCase() === n.toLowerCase());
    if (r === undefined) {
      throw new ClaasError('BAD_INPUT', `${config.file} has no replica named "${n}"`, {
        input: n,
        hint: `replicas: ${config.replicas.map((x) => x.name).join(', ') || '(none)'}`,
      });
    }
    return r.name;
  });
  // Every store is listed at once: the replicas' listings do not wait for the origin's.
  const listings = new Map(
    names.map((name) => {
      const p = (async () => {
        let store: ObjectStore | undefined;
        try {
          store = await (opts.openReplica ?? ((c, n) => openReplicaStore(c, n)))(config, name);
          return { store, index: await listAll(store) };
        } catch (error) {
          return { store: store as ObjectStore, error };
        }
      })();
      return [name, p] as const;
    }),
  );
  const { status: originStatus, view } = await checkOrigin(config, opts);
  const stores: StoreStatus[] = [originStatus];
  try {
    const replicas = await Promise.all(
      names.map(async (name) => {
        if (view === undefined) {
          closeStore((await listings.get(name)!).store);
          const s = emptyStatus(
            name,
            'replica',
            undefined,
            config.replicas.find((r) => r.name === name)?.mode,
          );
          s.state = 'error';
          s.error = {
            code: 'NOT_FOUND',
            message: 'the origin could not be read, so nothing to compare with',
          };
          return s;
        }
        return checkReplica(config, name, view, { ...opts, settleMs, now }, listings.get(name)!);
      }),
    );
    stores.push(...replicas);
  } finally {
    if (view !== undefined) {
      originStatus.requests += view.snapshots.requests;
      closeStore(view.store);
    }
  }
  const exitCode = overallExitCode(stores);
  const state: StatusReport['state'] =
    exitCode === 2
      ? 'broken'
      : stores.some((s) => s.state === 'error')
        ? 'error'
        : exitCode === 1
          ? 'lagging'
          : originStatus.state === 'empty'
            ? 'empty'
            : 'consistent';
  return {
    library: config.library,
    checkedAt: now.toISOString(),
    state,
    exitCode,
    origin: {
      ...(view?.version === undefined ? {} : { version: view.version }),
      ...(view?.snapshot === undefined ? {} : { committedAt: view.snapshot.committedAt }),
    },
    settleSeconds: Math.round(settleMs / 1000),
    stores,
    requests: stores.reduce((n, s) => n + s.requests, 0),
    rule: STATUS_RULE,
  };
}
