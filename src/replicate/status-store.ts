// One store's part of `claas status`: the report a store gets (StoreStatus), and the origin's check: its
// listing, the version its lib.json names and whether that version is complete there. The origin's snapshots
// are read once each and shared with the replicas' checks (status-replica.ts).

import type { ClaasConfig, ReplicaMode } from '../config/schema.js';
import { isClaasError } from '../errors.js';
import { LIB_KEY, snapshotKey, versionFromSnapshotKey } from '../publish/layout.js';
import { closeStore } from '../store/open.js';
import type { ObjectStore } from '../store/types.js';
import { parseSnapshot } from '../vcsp/schema.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import { checkSnapshotAgainst, findNewestComplete } from './consistency.js';
import type { ListingIndex } from './consistency.js';
import { openOriginStore } from './open-stores.js';
import { classifyMissing } from './status-rule.js';

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

/** Reads snapshots of the origin once each (counting requests). */
export class SnapshotCache {
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

export function errorInfo(e: unknown): StoreStatus['error'] {
  if (isClaasError(e)) {
    return { code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) };
  }
  return { code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
}

export function emptyStatus(
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

export interface OriginView {
  store: ObjectStore;
  index: ListingIndex;
  version?: number;
  snapshot?: VersionSnapshot;
  snapshots: SnapshotCache;
}

export async function checkOrigin(
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
