// What `claas run` knows about each library, kept up to date as the service works: per source the last
// poll, success, change and error, items pending deletion, VM templates that cannot travel, requests per
// poll; per library the role, origin version, bytes moved; per replica its state and lag; the archive slot.
// /healthz, /metrics, the dashboard and `--json` read status() (a copy). Memory is bounded: one record per
// library, source and replica, replaced in place, never a growing list.

import type { SourceConfig } from '../config/schema.js';
import type {
  LibraryStatus,
  PollOutcome,
  Problem,
  ReplicaHealth,
  ServiceStatus,
  SourceStatus,
  SyncOutcome,
} from './types.js';

type ReplicaStatus = LibraryStatus['replicas'][number];
type ArchiveStatus = NonNullable<LibraryStatus['archive']>;

/** A Problem from anything thrown (ClaasErrors keep their code and hint; never a secret). */
export function problemOf(e: unknown, at: Date = new Date()): Problem {
  const err = e as { code?: unknown; message?: unknown; hint?: unknown; name?: unknown };
  const code =
    typeof err?.code === 'string' ? err.code : typeof err?.name === 'string' ? err.name : 'INTERNAL';
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return {
    code,
    message,
    ...(typeof err?.hint === 'string' ? { hint: err.hint } : {}),
    at: at.toISOString(),
  };
}

export interface LibraryShape {
  library: string;
  configFile: string;
  sources: { name: string; kind: SourceConfig['kind'] }[];
  replicas: { name: string; mode: string }[];
  archiveSchedule?: string;
}

export class StatusBook {
  private readonly startedAt: string;
  private readonly libraries = new Map<string, LibraryStatus>();

  constructor(startedAt: Date = new Date()) {
    this.startedAt = startedAt.toISOString();
  }

  /** Adds (or replaces, on reload) a library, every source and replica not polled or checked yet. */
  addLibrary(shape: LibraryShape): void {
    this.libraries.set(shape.library, {
      library: shape.library,
      configFile: shape.configFile,
      role: 'standby',
      bytesMoved: 0,
      sources: shape.sources.map((s) => ({
        library: shape.library,
        source: s.name,
        kind: s.kind,
        polls: 0,
        pollErrors: 0,
        changesApplied: 0,
        itemsPending: 0,
        vmtx: [],
        requestsLastPoll: 0,
      })),
      replicas: shape.replicas.map((r) => ({ name: r.name, mode: r.mode, state: 'unknown' })),
      ...(shape.archiveSchedule === undefined ? {} : { archive: { schedule: shape.archiveSchedule } }),
    });
  }

  removeLibrary(library: string): void {
    this.libraries.delete(library);
  }

  /** A deep copy: callers may keep or change it. */
  status(): ServiceStatus {
    return structuredClone({ startedAt: this.startedAt, libraries: [...this.libraries.values()] });
  }

  library(library: string): LibraryStatus | undefined {
    return this.libraries.get(library);
  }

  private source(library: string, source: string): SourceStatus | undefined {
    return this.libraries.get(library)?.sources.find((s) => s.source === source);
  }

  setRole(library: string, role: LibraryStatus['role'], holder?: string): void {
    const lib = this.libraries.get(library);
    if (lib === undefined) return;
    lib.role = role;
    if (role === 'standby' && holder !== undefined) lib.standbyFor = holder;
    else delete lib.standbyFor;
  }

  /** One poll's outcome. Returns whether the source's vmtx list changed (to report it once). */
  recordPoll(library: string, source: string, outcome: PollOutcome, at: Date): boolean {
    const s = this.source(library, source);
    if (s === undefined) return false;
    s.polls += 1;
    s.lastPollAt = at.toISOString();
    if (!outcome.ok) {
      s.pollErrors = (s.pollErrors ?? 0) + 1;
      s.lastError = outcome.problem;
      return false;
    }
    s.lastSuccessAt = at.toISOString();
    s.requestsLastPoll = outcome.listing.requests;
    delete s.lastError;
    const vmtx = [...outcome.listing.vmtx].sort();
    const changed = vmtx.join('\n') !== s.vmtx.join('\n');
    s.vmtx = vmtx;
    return changed;
  }

  /** One sync step that ran (committed or not): pending deletions per source, changes, bytes. */
  recordSync(library: string, outcome: SyncOutcome, at: Date): void {
    const lib = this.libraries.get(library);
    if (lib === undefined) return;
    lib.lastSyncAt = at.toISOString();
    lib.bytesMoved += outcome.bytes;
    delete lib.lastError;
    const v = outcome.version;
    if (v !== undefined) lib.originVersion = v.number;
    const touched = new Set([...(v?.added ?? []), ...(v?.changed ?? []), ...(v?.removed ?? [])]);
    for (const [name, verdict] of Object.entries(outcome.verdicts)) {
      const s = this.source(library, name);
      if (s === undefined) continue;
      s.itemsPending = verdict.pending.length;
      const mine = [...verdict.keep, ...verdict.remove].some((item) => touched.has(item));
      if (v !== undefined && mine) {
        s.changesApplied += 1;
        s.lastChangeAt = at.toISOString();
      }
    }
  }

  /** A problem of the library as a whole (a failed step, the lease, the origin). */
  recordError(library: string, problem: Problem): void {
    const lib = this.libraries.get(library);
    if (lib !== undefined) lib.lastError = problem;
  }

  addBytes(library: string, bytes: number): void {
    const lib = this.libraries.get(library);
    if (lib !== undefined) lib.bytesMoved += bytes;
  }

  setOriginVersion(library: string, version: number | undefined): void {
    const lib = this.libraries.get(library);
    if (lib !== undefined && version !== undefined) lib.originVersion = version;
  }

  /** A replica's state. Returns whether it changed (to report changes only). */
  recordReplica(
    library: string,
    name: string,
    r: { state: ReplicaHealth; version?: number; lagSeconds?: number },
  ): boolean {
    const rep = this.libraries.get(library)?.replicas.find((x) => x.name === name);
    if (rep === undefined) return false;
    const changed = rep.state !== r.state;
    const next: ReplicaStatus = { name: rep.name, mode: rep.mode, state: r.state };
    if (r.version !== undefined) next.version = r.version;
    if (r.lagSeconds !== undefined) next.lagSeconds = r.lagSeconds;
    Object.assign(rep, next);
    if (r.version === undefined) delete rep.version;
    if (r.lagSeconds === undefined) delete rep.lagSeconds;
    return changed;
  }

  /** The archive schedule's state (fields given replace the old ones; lastError: null clears it). */
  recordArchive(
    library: string,
    a: Partial<Omit<ArchiveStatus, 'schedule' | 'lastError'>> & { lastError?: Problem | null },
  ): void {
    const archive = this.libraries.get(library)?.archive;
    if (archive === undefined) return;
    const { lastError, ...rest } = a;
    Object.assign(archive, rest);
    if (lastError === null) delete archive.lastError;
    else if (lastError !== undefined) archive.lastError = lastError;
  }
}
