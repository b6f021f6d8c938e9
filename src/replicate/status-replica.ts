// One replica's part of `claas status`: the origin's current version against the replica's listing, the
// newest version complete there (walking its own snapshots back from its lib.json), lib.json itself, and every
// missing object classified lagging or broken by the rule (status-rule.ts); then the replica's state and lag.
// A mirror replica claas mirror never committed a version to is "empty" (run claas mirror), not lagging.

import type { ClaasConfig, ReplicaConfig } from '../config/schema.js';
import { isClaasError } from '../errors.js';
import { LIB_KEY, snapshotKey } from '../publish/layout.js';
import { closeStore } from '../store/open.js';
import type { ObjectStore } from '../store/types.js';
import { parseSnapshot } from '../vcsp/schema.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import {
  checkSnapshotAgainst,
  findNewestComplete,
  readLibVersion,
  referencedKeys,
  resolveEtagDifferences,
} from './consistency.js';
import type { DetailedVersionCheck, ListingIndex } from './consistency.js';
import { classifyMissing, formatAge, MIRROR_EMPTY } from './status-rule.js';
import { emptyStatus, errorInfo } from './status-store.js';
import type { OriginView, StatusOptions, StoreStatus } from './status-store.js';

type ReplicaOptions = Omit<StatusOptions, 'now'> & { settleMs: number; now: Date };

const NO_LIB_JSON = 'no lib.json yet';

/** What the steps of one replica's check share. */
interface ReplicaCheck {
  mode: ReplicaConfig['mode'];
  store: ObjectStore;
  index: ListingIndex;
  origin: OriginView;
  originVersion: number;
  snapshot: VersionSnapshot;
  /** The version the replica's own lib.json names. */
  libVersion: number | undefined;
  status: StoreStatus;
  opts: ReplicaOptions;
}

export async function checkReplica(
  config: ClaasConfig,
  name: string,
  origin: OriginView,
  opts: ReplicaOptions,
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
    if (origin.version === undefined || origin.snapshot === undefined) {
      // Nothing to compare with: report what is there.
      status.state = libVersion === undefined ? 'empty' : 'lagging';
      return status;
    }
    const check: ReplicaCheck = {
      mode: replica.mode,
      store,
      index,
      origin,
      originVersion: origin.version,
      snapshot: origin.snapshot,
      libVersion,
      status,
      opts,
    };
    // 1. The origin's current version against this replica's listing (with the origin's for JSON sizes, ETags).
    const head = checkSnapshotAgainst(check.snapshot, index, origin.index);
    status.requests += await resolveEtagDifferences(head, store, origin.store);
    status.checkedObjects = head.checkedObjects;
    const walked = await newestComplete(check, head);
    const libOk = checkLibJson(check);
    await classifyMissingObjects(check, head);
    addBroken(status, head);
    const headOk = head.complete && head.wrongHash.length === 0;
    await settle(check, headOk && libOk ? check.originVersion : walked);
    markNeverFilled(check);
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

/** 2. The newest version complete here, walking the replica's own snapshots back from its lib.json. */
async function newestComplete(c: ReplicaCheck, head: DetailedVersionCheck): Promise<number | undefined> {
  if (c.libVersion === undefined) return undefined;
  const walk = await findNewestComplete(c.store, {
    index: c.index,
    libVersion: c.libVersion,
    reference: c.origin.index,
    ...(c.opts.maxBack === undefined ? {} : { maxBack: c.opts.maxBack }),
  });
  c.status.requests += walk.requests;
  const found = walk.found;
  if (found === undefined) return undefined;
  if (found.version === c.originVersion) {
    return head.complete && head.wrongHash.length === 0 ? found.version : undefined;
  }
  c.status.requests += await resolveEtagDifferences(found.check, c.store, c.origin.store);
  addBroken(c.status, found.check);
  return found.check.wrongHash.length === 0 ? found.version : undefined;
}

/** 3. lib.json itself: true when it names the origin's version with the origin's bytes. */
function checkLibJson(c: ReplicaCheck): boolean {
  const { status, libVersion, originVersion } = c;
  const originLib = c.origin.index.objects.get(LIB_KEY);
  const replicaLib = c.index.objects.get(LIB_KEY);
  if (libVersion === undefined) {
    status.problems.push(replicaLib === undefined ? NO_LIB_JSON : 'lib.json does not parse (altered?)');
    if (replicaLib !== undefined) status.state = 'broken';
    return false;
  }
  if (libVersion > originVersion) {
    status.problems.push(
      `lib.json names version ${libVersion}, newer than the origin's ${originVersion} (written by something else, or the origin was rolled back)`,
    );
    status.state = 'broken';
    return false;
  }
  if (libVersion < originVersion) {
    const writtenAt = originLib?.mtime;
    const age = writtenAt === undefined ? 0 : c.opts.now.getTime() - writtenAt.getTime();
    const late = c.mode === 'native' && age > c.opts.settleMs;
    status.problems.push(
      `lib.json names version ${libVersion}, the origin's ${originVersion}` +
        (late ? ` (the origin wrote it ${formatAge(age)} ago, beyond the settle time)` : ''),
    );
    if (late) status.state = 'broken';
    return false;
  }
  if (
    replicaLib !== undefined &&
    originLib !== undefined &&
    (replicaLib.size !== originLib.size ||
      (replicaLib.etag !== undefined && originLib.etag !== undefined && replicaLib.etag !== originLib.etag))
  ) {
    status.problems.push(`lib.json differs from the origin's at the same version ${libVersion}`);
    status.wrongHash.push({
      key: LIB_KEY,
      expected: `etag ${originLib.etag ?? '?'}`,
      ...(replicaLib.etag === undefined ? {} : { actual: `etag ${replicaLib.etag}` }),
    });
    status.state = 'broken';
    return false;
  }
  return true;
}

/** 4. Missing objects of the origin's version: lagging or broken, by the rule. */
async function classifyMissingObjects(c: ReplicaCheck, head: DetailedVersionCheck): Promise<void> {
  const { now, settleMs } = c.opts;
  const referencedByOwn = await referencedByVersion(
    c.store,
    c.index,
    c.libVersion,
    c.originVersion,
    c.snapshot,
  );
  c.status.requests += referencedByOwn.requests;
  for (const key of head.missing) {
    const atOrigin = c.origin.index.objects.get(key);
    const verdict = classifyMissing({
      role: 'replica',
      mode: c.mode,
      atOrigin: atOrigin !== undefined,
      ...(atOrigin === undefined ? {} : { originWrittenAt: atOrigin.mtime }),
      referencedByReplicaVersion: referencedByOwn.keys.has(key),
      now,
      settleMs,
    });
    c.status.missing.push({
      key,
      ...(atOrigin === undefined
        ? {}
        : { ageSeconds: Math.round((now.getTime() - atOrigin.mtime.getTime()) / 1000) }),
      ...verdict,
    });
  }
}

/** 5. The replica's state and lag from the newest consistent version. */
async function settle(c: ReplicaCheck, consistent: number | undefined): Promise<void> {
  const { status, originVersion } = c;
  if (consistent !== undefined) status.consistentVersion = consistent;
  const brokenNow =
    status.state === 'broken' ||
    status.missing.some((m) => m.broken) ||
    status.wrongSize.length > 0 ||
    status.wrongHash.length > 0;
  if (brokenNow) status.state = 'broken';
  else status.state = consistent === originVersion ? 'consistent' : 'lagging';
  const since = consistent === originVersion ? undefined : await firstMissingCommit(c.origin, consistent);
  status.behind = originVersion - (consistent ?? 0);
  if (since !== undefined) {
    status.behindSince = since;
    status.lagSeconds = Math.max(0, Math.round((c.opts.now.getTime() - Date.parse(since)) / 1000));
  } else if (consistent === originVersion) {
    status.lagSeconds = 0;
  }
}

/**
 * 6. A mirror replica without lib.json and with nothing wrong: claas mirror never committed a version here.
 * It is empty (run claas mirror), not lagging behind a version it once had, and not broken.
 */
function markNeverFilled(c: ReplicaCheck): void {
  const { status } = c;
  if (c.mode !== 'mirror' || status.state !== 'lagging' || c.index.objects.has(LIB_KEY)) return;
  status.state = 'empty';
  status.problems = [MIRROR_EMPTY, ...status.problems.filter((p) => p !== NO_LIB_JSON)];
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
