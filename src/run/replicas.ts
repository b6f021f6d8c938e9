// After a committed version (and when a service becomes active): fill every `mirror` replica with
// mirrorOnce, as `claas mirror` does, then check every replica as `claas status` does. Native replicas (the
// store replicates them) are watched: checked again every `periodMs` until all are consistent, for at most
// `totalMs`; one still behind then stays reported 'lagging'. A new request (another version committed) ends
// the watch early and starts a new round; rounds never overlap and requests coalesce (one pending at most).

import { storeWriteSettings } from '../config/schema.js';
import type { ClaasConfig } from '../config/schema.js';
import { mirrorOnce, originVersion } from '../replicate/mirror.js';
import { openReplicaStore, replicaWriter } from '../replicate/open-stores.js';
import type { ConfiguredStore } from '../replicate/open-stores.js';
import { checkStatus } from '../replicate/status.js';
import type { StatusReport, StoreStatus } from '../replicate/status.js';
import type { ObjectStore } from '../store/types.js';
import { problemOf } from './status-book.js';
import type { StatusBook } from './status-book.js';
import { withDeadline } from '../util/deadline.js';
import { sleep } from './time.js';
import type { ReplicaHealth, RunEventSink } from './types.js';

export interface ReplicaWatch {
  /** Re-check period while a native replica lags (default 15 s). */
  periodMs: number;
  /** How long a round watches at most (default 10 min). */
  totalMs: number;
  /** Bound on one status check (default 5 min). */
  checkTimeoutMs: number;
}

export const DEFAULT_REPLICA_WATCH: ReplicaWatch = {
  periodMs: 15_000,
  totalMs: 600_000,
  checkTimeoutMs: 300_000,
};

export interface ReplicaFollowerOptions {
  config: ClaasConfig;
  origin: ObjectStore;
  book: StatusBook;
  onEvent: RunEventSink;
  watch?: Partial<ReplicaWatch>;
  /** Status with other openers (tests). */
  check?: (config: ClaasConfig, replicas?: string[]) => Promise<StatusReport>;
}

/** A store's state as the service reports it ('error': could not be checked). */
export function healthOf(s: StoreStatus): ReplicaHealth {
  switch (s.state) {
    case 'consistent':
    case 'lagging':
    case 'broken':
    case 'empty':
      return s.state;
    default:
      return 'unknown';
  }
}

/** Mirrors one replica the way `claas mirror` does (the writer from claas.yaml's writeWith). */
async function mirrorReplica(config: ClaasConfig, origin: ObjectStore, name: string, signal: AbortSignal) {
  const r = config.replicas.find((x) => x.name === name)!;
  const withoutClass: ClaasConfig = {
    ...config,
    replicas: config.replicas.map((x) => (x.name === name ? { ...x, storageClass: undefined } : x)),
  };
  return mirrorOnce({
    replica: name,
    origin,
    openDestination: (withStorageClass) =>
      openReplicaStore(withStorageClass ? config : withoutClass, name, {
        write: true,
      }) as Promise<ConfiguredStore>,
    writer: { replica: name, as: replicaWriter(config, r).as, config: config.file },
    ...(r.storageClass === undefined ? {} : { storageClass: r.storageClass }),
    write: storeWriteSettings({ ...r, storageClass: undefined }),
    signal,
  });
}

export class ReplicaFollower {
  private readonly watch: ReplicaWatch;
  private readonly controller = new AbortController();
  private requested = false;
  private running: Promise<void> | undefined;

  constructor(private readonly o: ReplicaFollowerOptions) {
    this.watch = { ...DEFAULT_REPLICA_WATCH, ...(o.watch ?? {}) };
  }

  /** Asks for a round (mirror, then check and watch); coalesces with one pending. */
  request(): void {
    if (this.controller.signal.aborted) return;
    this.requested = true;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when no round runs or is pending. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Aborts the round in progress (a mirror stops between objects; the replica keeps its version). */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.idle();
  }

  private async loop(): Promise<void> {
    while (this.requested && !this.controller.signal.aborted) {
      this.requested = false;
      await this.round();
    }
  }

  private emitError(e: unknown, what: string): void {
    if (this.controller.signal.aborted) return;
    const p = problemOf(e);
    this.o.onEvent({
      type: 'error',
      library: this.o.config.library,
      problem: { ...p, message: `${what}: ${p.message}` },
    });
  }

  /** One round: every mirror replica, then status, then the watch while natives lag. */
  private async round(): Promise<void> {
    const { config, book, onEvent } = this.o;
    const signal = this.controller.signal;
    if (config.replicas.length === 0) return;
    let current: number | undefined;
    try {
      current = await originVersion(this.o.origin);
    } catch (e) {
      this.emitError(e, 'reading the origin');
      return;
    }
    // Nothing committed yet: nothing to mirror (status still reports the replicas).
    const mirrors = current === undefined ? [] : config.replicas.filter((x) => x.mode === 'mirror');
    for (const r of mirrors) {
      if (signal.aborted) return;
      try {
        const m = await mirrorReplica(config, this.o.origin, r.name, signal);
        if (!m.upToDate) {
          book.addBytes(config.library, m.copied.bytes);
          onEvent({
            type: 'mirrored',
            library: config.library,
            replica: r.name,
            version: m.version,
            bytes: m.copied.bytes,
          });
        }
      } catch (e) {
        this.emitError(e, `mirror to replica ${r.name}`);
      }
    }
    const deadline = Date.now() + this.watch.totalMs;
    let names: string[] | undefined;
    for (;;) {
      const lagging = await this.check(names);
      if (lagging === undefined || lagging.length === 0) return;
      if (Date.now() + this.watch.periodMs > deadline || this.requested) return;
      await sleep(this.watch.periodMs, signal);
      if (signal.aborted || this.requested) return;
      names = lagging;
    }
  }

  /** Checks the replicas (all, or those named); returns those lagging, undefined when the check failed. */
  private async check(names?: string[]): Promise<string[] | undefined> {
    const { config, book, onEvent } = this.o;
    const check = this.o.check ?? ((c, n) => checkStatus(c, n === undefined ? {} : { replicas: n }));
    let report: StatusReport;
    try {
      report = await withDeadline(
        check(config, names),
        this.watch.checkTimeoutMs,
        `status of ${config.library}`,
      );
    } catch (e) {
      this.emitError(e, 'replica status');
      return undefined;
    }
    if (this.controller.signal.aborted) return undefined;
    book.setOriginVersion(config.library, report.origin.version);
    const lagging: string[] = [];
    for (const s of report.stores) {
      if (s.role !== 'replica') continue;
      const state = healthOf(s);
      if (state === 'lagging' && s.mode !== 'mirror') lagging.push(s.name);
      const changed = book.recordReplica(config.library, s.name, {
        state,
        ...(s.consistentVersion === undefined ? {} : { version: s.consistentVersion }),
        ...(s.lagSeconds === undefined ? {} : { lagSeconds: s.lagSeconds }),
      });
      if (changed) onEvent({ type: 'replica', library: config.library, replica: s.name, state });
      if (s.state === 'error' && s.error !== undefined) {
        this.emitError(s.error, `replica ${s.name}`);
      }
    }
    return lagging;
  }
}
