// Replica choice for one library. Each replica (a store: the origin or a replica of claas.yaml, in the
// gateway's `prefer` order, nearest first) is probed in the background: the version its lib.json names
// and the newest version complete there (every key that version references present with the right size,
// src/replicate/consistency.ts). The library is served from the nearest reachable replica that has a
// complete version, as that version: lib.json is synthesised from the version's snapshot, so a replica
// whose lib.json is ahead of its files (replication has no ordering) keeps serving the previous complete
// version until the new one has fully arrived. Served versions never go backwards within a gateway: after
// failing over to a replica that is ahead, a nearer replica is used again once it has caught up.
//
// Probes back off exponentially while a replica fails; a request that finds a replica unreachable marks it
// down at once (its next probe decides when it is back). Files are read from the chosen replica first and
// from the other reachable ones when it lacks them, so a subscriber that began syncing version N can fetch
// all of N's files (immutable keys) wherever they still are, until garbage collection removes them.

import { ClaasError, isClaasError } from '../../errors.js';
import { isClaasManagedKey, LIB_KEY } from '../../publish/layout.js';
import { readSnapshot } from '../../publish/state.js';
import { findNewestComplete, readLibVersion } from '../../replicate/consistency.js';
import type { ByteRange, ObjectStore, StoredObject } from '../../store/types.js';
import { serializeJson } from '../../vcsp/build.js';
import type { VersionSnapshot } from '../../vcsp/types.js';
import type { Readable } from 'node:stream';
import type { ReadableStore, ServedObject } from '../handler.js';

export interface ReplicaSource {
  name: string;
  store: ObjectStore;
  /** File downloads from this replica are redirected to presigned URLs valid this long (redirect.ts). */
  redirect?: { expiresSeconds: number };
}

export interface CompleteVersion {
  version: number;
  snapshot: VersionSnapshot;
}

export interface ProbeResult {
  /** The version the replica's lib.json names (undefined: no lib.json there). */
  libVersion?: number;
  /** The newest version complete there. */
  complete?: CompleteVersion;
  /** What a full probe listed: the replica's immutable keys with their sizes (saves a HEAD per file). */
  index?: Map<string, StoredObject>;
}

/** Finds what a replica holds; `previous` is what the last probe found (to skip work when unchanged). */
export type Prober = (
  store: ObjectStore,
  previous: CompleteVersion | undefined,
  full: boolean,
) => Promise<ProbeResult>;

/** Reads lib.json; only when it names another version than the one known complete, checks completeness. */
export const defaultProber: Prober = async (store, previous, full) => {
  if (!full && previous !== undefined) {
    const libVersion = await readLibVersion(store);
    if (libVersion === previous.version) return { libVersion, complete: previous };
  }
  const report = await findNewestComplete(store);
  const index = new Map<string, StoredObject>();
  for (const [key, o] of report.index.objects) {
    if (isClaasManagedKey(key)) index.set(key, { key, size: o.size, mtime: o.mtime });
  }
  return {
    index,
    ...(report.libVersion === undefined ? {} : { libVersion: report.libVersion }),
    ...(report.found === undefined
      ? {}
      : { complete: { version: report.found.version, snapshot: report.found.snapshot } }),
  };
};

export interface ReplicaState {
  readonly name: string;
  readonly store: ObjectStore;
  readonly redirect?: { expiresSeconds: number };
  /** undefined until the first probe has answered. */
  reachable?: boolean;
  libVersion?: number;
  complete?: CompleteVersion & { libBytes: Buffer; mtime: Date };
  /** ms since the epoch. */
  lastCheck?: number;
  lastOk?: number;
  lastFull?: number;
  /** Failed probes in a row. */
  failures: number;
  nextCheck: number;
  /** Why the last probe or request failed (a ClaasError message: names URLs, never credentials). */
  error?: string;
  /**
   * Immutable keys (claas's per-version JSON and content-addressed files) the last full probe listed, with
   * their sizes: requests for them need no HEAD. A key garbage collection removed since is dropped when a
   * read finds it missing.
   */
  index?: Map<string, StoredObject>;
  checking?: Promise<void>;
}

/** What lib.json is served as, and from where. */
export interface Chosen {
  replica: ReplicaState;
  version: number;
  libBytes: Buffer;
  mtime: Date;
}

export interface ReplicaEvent {
  library: string;
  replica: string;
  event: 'up' | 'down' | 'chosen' | 'version';
  version?: number;
  error?: string;
}

export interface LibraryReplicasOptions {
  prober?: Prober;
  /** Probe interval of a healthy replica (default 10 s). */
  refreshMs?: number;
  /** First retry after a failure (default 1 s); doubles up to maxBackoffMs (default 60 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A full completeness check at least this often, even when lib.json did not change (default 5 min). */
  fullCheckMs?: number;
  now?: () => number;
  onEvent?: (e: ReplicaEvent) => void;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Errors that say "this replica cannot answer now" (not "this key is not there" or a bad key). */
export function isReplicaFailure(e: unknown): boolean {
  return !isClaasError(e, 'NOT_FOUND') && !isClaasError(e, 'BAD_INPUT');
}

export function unavailable(library: string, cause?: unknown): ClaasError {
  return new ClaasError('UNREACHABLE', `no replica can serve library "${library}" now`, {
    input: library,
    hint: 'check /healthz: every replica is unreachable or holds no complete version',
    ...(cause === undefined ? {} : { cause }),
  });
}

export class LibraryReplicas {
  readonly replicas: ReplicaState[];
  private readonly prober: Prober;
  private readonly refreshMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly fullCheckMs: number;
  private readonly now: () => number;
  private readonly onEvent: ((e: ReplicaEvent) => void) | undefined;
  private current: Chosen | undefined;
  /** The highest version served so far: never go below it while a replica has it. */
  private floor = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private firstProbes: Promise<void> | undefined;
  private firstProbesDone = false;
  /** Requests waiting in settled() for a replica to be chosen. */
  private onChosen: (() => void)[] = [];
  /** Version -> when it was committed (from snapshots) or first seen here. */
  private readonly seenAt = new Map<number, number>();

  constructor(
    readonly library: string,
    sources: ReplicaSource[],
    o: LibraryReplicasOptions = {},
  ) {
    this.prober = o.prober ?? defaultProber;
    this.refreshMs = Math.max(10, o.refreshMs ?? 10_000);
    this.minBackoffMs = Math.max(10, o.minBackoffMs ?? 1_000);
    this.maxBackoffMs = Math.max(this.minBackoffMs, o.maxBackoffMs ?? 60_000);
    this.fullCheckMs = o.fullCheckMs ?? 300_000;
    this.now = o.now ?? Date.now;
    this.onEvent = o.onEvent;
    this.replicas = sources.map((s) => ({
      name: s.name,
      store: s.store,
      ...(s.redirect === undefined ? {} : { redirect: s.redirect }),
      failures: 0,
      nextCheck: 0,
    }));
  }

  /**
   * Probes every replica once (in parallel) and keeps probing each in the background; resolves when every
   * first probe has answered. A replica whose probe hangs holds up neither the others' probes nor requests
   * once another replica can serve (see settled()).
   */
  start(): Promise<void> {
    this.firstProbes ??= Promise.all(
      this.replicas.map((r) => this.probe(r).finally(() => this.schedule())),
    ).then(() => {
      this.firstProbesDone = true;
      for (const wake of this.onChosen.splice(0)) wake();
    });
    return this.firstProbes;
  }

  /**
   * Resolves when a request can be answered as well as it will be: once some replica is chosen, or once every
   * first probe has answered (none can serve).
   */
  async settled(): Promise<void> {
    if (this.current !== undefined || this.firstProbes === undefined || this.firstProbesDone) return;
    await new Promise<void>((resolve) => this.onChosen.push(resolve)); // woken by choose() or start()
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** What lib.json is served as now, or undefined when no reachable replica has a complete version. */
  chosen(): Chosen | undefined {
    return this.current;
  }

  /** The newest version any replica's lib.json names. */
  newestKnown(): number | undefined {
    let v: number | undefined;
    for (const r of this.replicas) {
      for (const x of [r.libVersion, r.complete?.version])
        if (x !== undefined && (v === undefined || x > v)) v = x;
    }
    return v;
  }

  /** How far a replica is behind the newest known version: versions, and seconds since that version appeared. */
  lag(r: ReplicaState): { versions: number; seconds: number } | undefined {
    const newest = this.newestKnown();
    if (newest === undefined || r.reachable !== true) return undefined;
    const have = r.complete?.version ?? 0;
    if (have >= newest) return { versions: 0, seconds: 0 };
    const since = this.seenAt.get(have + 1) ?? this.seenAt.get(newest) ?? this.now();
    return { versions: newest - have, seconds: Math.max(0, (this.now() - since) / 1000) };
  }

  /**
   * Sets the timer for the next replica due. Each replica is probed on its own: one whose probe is still
   * running (a slow or hanging store) is left out until it answers, so it never delays the others' probes.
   */
  private schedule(): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const idle = this.replicas.filter((r) => r.checking === undefined);
    if (idle.length === 0) return; // each probe running schedules again when it ends
    const next = Math.min(...idle.map((r) => r.nextCheck));
    const wait = Math.max(10, Math.min(this.refreshMs, next - this.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = this.now();
      for (const r of this.replicas) {
        if (r.checking === undefined && r.nextCheck <= now) void this.probe(r).finally(() => this.schedule());
      }
      this.schedule();
    }, wait);
    this.timer.unref();
  }

  /** Probes a replica now (a probe already running is joined). */
  probe(r: ReplicaState): Promise<void> {
    r.checking ??= this.runProbe(r).finally(() => {
      r.checking = undefined;
    });
    return r.checking;
  }

  /** Probes every replica now and waits for the answers (tests, SIGHUP). */
  async probeAll(): Promise<void> {
    await Promise.all(this.replicas.map((r) => this.probe(r)));
    this.schedule();
  }

  private async runProbe(r: ReplicaState): Promise<void> {
    const now = this.now();
    const full = r.lastFull === undefined || now - r.lastFull >= this.fullCheckMs;
    const previous =
      r.complete === undefined ? undefined : { version: r.complete.version, snapshot: r.complete.snapshot };
    let result: ProbeResult;
    try {
      result = await this.prober(r.store, full ? undefined : previous, full);
    } catch (e) {
      if (this.stopped) return;
      this.failed(r, e);
      return;
    }
    if (this.stopped) return;
    const wasUp = r.reachable;
    r.reachable = true;
    r.failures = 0;
    r.error = undefined;
    r.lastCheck = r.lastOk = this.now();
    if (full || r.complete === undefined || result.complete?.version !== r.complete.version)
      r.lastFull = r.lastCheck;
    r.nextCheck = r.lastCheck + this.refreshMs;
    r.libVersion = result.libVersion;
    if (result.index !== undefined) r.index = result.index;
    if (result.complete === undefined) {
      r.complete = undefined;
    } else if (result.complete.version !== r.complete?.version) {
      const { snapshot } = result.complete;
      const committed = Date.parse(snapshot.committedAt);
      r.complete = {
        ...result.complete,
        libBytes: Buffer.from(serializeJson(snapshot.lib)),
        mtime: new Date(Number.isFinite(committed) ? committed : this.now()),
      };
      if (Number.isFinite(committed)) this.seenAt.set(result.complete.version, committed);
      this.onEvent?.({
        library: this.library,
        replica: r.name,
        event: 'version',
        version: result.complete.version,
      });
    }
    if (result.libVersion !== undefined && !this.seenAt.has(result.libVersion)) {
      await this.learnCommitTime(r, result.libVersion);
    }
    if (wasUp !== true) this.onEvent?.({ library: this.library, replica: r.name, event: 'up' });
    this.choose();
  }

  /** When a version not complete anywhere yet was committed: from its snapshot, else now. */
  private async learnCommitTime(r: ReplicaState, version: number): Promise<void> {
    let at = this.now();
    try {
      const snap = await readSnapshot(r.store, version);
      const t = snap === undefined ? NaN : Date.parse(snap.committedAt);
      if (Number.isFinite(t)) at = t;
    } catch {
      // Not there yet (replication) or unreadable: first seen now.
    }
    if (!this.seenAt.has(version)) this.seenAt.set(version, at); // a complete snapshot may have told meanwhile
    if (this.seenAt.size > 64) this.seenAt.delete(Math.min(...this.seenAt.keys()));
  }

  private failed(r: ReplicaState, e: unknown): void {
    const wasUp = r.reachable;
    r.reachable = false;
    r.failures += 1;
    r.error = message(e);
    r.lastCheck = this.now();
    const backoff = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(20, r.failures - 1));
    r.nextCheck = r.lastCheck + backoff;
    if (wasUp !== false)
      this.onEvent?.({ library: this.library, replica: r.name, event: 'down', error: r.error });
    this.choose();
  }

  /** A request found the replica failing: stop using it until a probe says it is back. */
  markFailure(name: string, e: unknown): void {
    const r = this.replicas.find((x) => x.name === name);
    if (r === undefined || r.reachable === false) return;
    this.failed(r, e);
    this.schedule();
  }

  private choose(): void {
    const candidates = this.replicas.filter((r) => r.reachable === true && r.complete !== undefined);
    let pick = candidates.find((r) => r.complete!.version >= this.floor);
    if (pick === undefined) {
      for (const r of candidates)
        if (pick === undefined || r.complete!.version > pick.complete!.version) pick = r;
    }
    const before = this.current;
    if (pick === undefined) {
      this.current = undefined;
    } else {
      const c = pick.complete!;
      this.current = { replica: pick, version: c.version, libBytes: c.libBytes, mtime: c.mtime };
      this.floor = Math.max(this.floor, c.version);
      for (const wake of this.onChosen.splice(0)) wake();
    }
    if (before?.replica !== this.current?.replica || before?.version !== this.current?.version) {
      this.onEvent?.({
        library: this.library,
        replica: this.current?.replica.name ?? '',
        event: 'chosen',
        ...(this.current === undefined ? {} : { version: this.current.version }),
      });
    }
  }

  /** Replicas to read a key from: the chosen one first, then the other reachable ones nearest first. */
  readOrder(): ReplicaState[] {
    const first = this.current?.replica;
    const rest = this.replicas.filter((r) => r !== first && r.reachable !== false);
    return first === undefined ? rest : [first, ...rest];
  }

  /** A per-request view that reads from the replicas as described above. */
  view(): LibraryView {
    return new LibraryView(this);
  }
}

/** One request's reader over a library's replicas; remembers which replica served it. */
export class LibraryView implements ReadableStore {
  /** The replica that answered (for the access log and metrics). */
  replica: string | undefined;
  /** The version lib.json was served as. */
  version: number | undefined;
  private readonly chosen: Chosen | undefined;
  private pinned: { state: ReplicaState; size: number } | undefined;

  constructor(private readonly lib: LibraryReplicas) {
    this.chosen = lib.chosen();
  }

  private fail(r: ReplicaState, e: unknown): void {
    this.lib.markFailure(r.name, e);
  }

  async head(key: string): Promise<ServedObject | undefined> {
    if (key === LIB_KEY) {
      const c = this.chosen;
      if (c === undefined) throw unavailable(this.lib.library);
      this.replica = c.replica.name;
      this.version = c.version;
      return { key, size: c.libBytes.length, mtime: c.mtime };
    }
    let failure: unknown;
    for (const r of this.lib.readOrder()) {
      try {
        const meta = r.index?.get(key) ?? (await r.store.head(key));
        if (meta === undefined) continue;
        this.pinned = { state: r, size: meta.size };
        this.replica = r.name;
        return meta;
      } catch (e) {
        if (!isReplicaFailure(e)) throw e;
        this.fail(r, e);
        failure = e;
      }
    }
    // A replica that could not answer might hold the key: that is not a 404.
    if (failure !== undefined) throw unavailable(this.lib.library, failure);
    return undefined;
  }

  /**
   * Where a redirected download goes: the replica head() picks for the key (the chosen one when it has it),
   * when that replica may be redirected to and its store can presign. Undefined: serve the key here (also
   * when it is missing: serving answers the 404).
   */
  async redirectTarget(key: string): Promise<{ store: ObjectStore; expiresSeconds: number } | undefined> {
    if ((await this.head(key)) === undefined) return undefined;
    const r = this.pinned?.state; // lib.json is never pinned: it comes from the snapshot
    if (r?.redirect === undefined || r.store.features.presign === undefined) return undefined;
    return { store: r.store, expiresSeconds: r.redirect.expiresSeconds };
  }

  async readBytes(key: string): Promise<Buffer | undefined> {
    if (key === LIB_KEY) {
      if (this.chosen === undefined) throw unavailable(this.lib.library);
      return this.chosen.libBytes;
    }
    return this.withReplica(key, async (store) => {
      const bytes = await store.readBytes(key);
      if (bytes === undefined) throw new ClaasError('NOT_FOUND', `${key} does not exist`, { input: key });
      return bytes;
    });
  }

  read(key: string, range?: ByteRange): Promise<Readable> {
    return this.withReplica(key, (store) => store.read(key, range));
  }

  /**
   * Runs fn on the replica head() chose. When that replica fails, or no longer has the key (listed earlier,
   * removed by garbage collection since), on another reachable replica that has it with the same size.
   */
  private async withReplica<T>(key: string, fn: (store: ObjectStore) => Promise<T>): Promise<T> {
    if (this.pinned === undefined && (await this.head(key)) === undefined) {
      throw new ClaasError('NOT_FOUND', `${key} does not exist`, { input: key });
    }
    const first = this.pinned!;
    try {
      return await fn(first.state.store);
    } catch (e) {
      const gone = isClaasError(e, 'NOT_FOUND');
      if (!gone && !isReplicaFailure(e)) throw e;
      if (gone) first.state.index?.delete(key);
      else this.fail(first.state, e);
      for (const r of this.lib.readOrder()) {
        if (r === first.state) continue;
        try {
          const meta = await r.store.head(key);
          if (meta === undefined || meta.size !== first.size) continue;
          const out = await fn(r.store);
          this.pinned = { state: r, size: meta.size };
          this.replica = r.name;
          return out;
        } catch (again) {
          if (isClaasError(again, 'NOT_FOUND')) continue;
          if (!isReplicaFailure(again)) throw again;
          this.fail(r, again);
        }
      }
      if (gone) throw e;
      throw unavailable(this.lib.library, e);
    }
  }
}
