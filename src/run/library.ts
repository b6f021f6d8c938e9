// One library inside `claas run`: take the run lease (leader.ts) or wait as standby; while active, poll each
// source on its own interval, run a sync step (run/sync.ts: guard, publish) when a listing changed, pending
// deletions need their confirming poll or the previous step failed, fill and check the replicas after a
// committed version (replicas.ts) and run the archive schedule (schedule.ts).
//
// - Steps never overlap: a queue of one (requests while a step runs coalesce into one more step). A step sees
//   the latest outcome of every source; nothing older is kept (memory is bounded by sources and items).
// - Every wait is bounded: a poll by pollTimeoutMs, the lease by its TTL, status checks by their timeout.
// - Errors never end the loop: a failed poll or step is reported (status + 'error' event) and tried again on
//   a later interval, backing off while it keeps failing.
// - Losing the lease (not refreshed, or another holder) aborts everything at once, the step in progress
//   included (the publish commits lib.json last, so an abandoned step leaves the previous version), and the
//   library goes back to standby. stop() drains: polls stop, a step in progress may finish within drainMs,
//   then it is aborted; the lease is released.

import type { ClaasConfig } from '../config/schema.js';
import type { ObjectStore } from '../store/types.js';
import { ClaasError } from '../errors.js';
import { newGuardMemory } from './guard.js';
import type { GuardMemory } from './guard.js';
import { tryAcquireLease } from './leader.js';
import type { RunLease } from './leader.js';
import { originVersion } from '../replicate/mirror.js';
import { ReplicaFollower } from './replicas.js';
import type { ReplicaFollowerOptions, ReplicaWatch } from './replicas.js';
import { ArchiveSchedule } from './schedule.js';
import { problemOf } from './status-book.js';
import type { StatusBook } from './status-book.js';
import type { Source } from './sources/index.js';
import type { SyncOptions } from './sync.js';
import { withDeadline } from '../util/deadline.js';
import { backoff, jitter, sleep } from './time.js';
import type { PollOutcome, RunEvent, RunEventSink, SyncOutcome } from './types.js';

/** One sync step (run/sync.ts syncLibrary): guard every source's latest outcome, publish what changed. */
export type SyncStep = (o: SyncOptions) => Promise<SyncOutcome>;

export interface LibraryTiming {
  leaseTtlMs: number;
  /** How often a standby tries the lease again (default 5 s). */
  standbyRetryMs: number;
  /** Bound on one poll of a source (default 2 min). */
  pollTimeoutMs: number;
  /** How often the archive schedule looks at the clock (default 30 s). */
  archiveTickMs: number;
  /**
   * How often the origin's lib.json is read to notice versions published outside this process (a one-shot
   * `claas publish`, `rollback`, `archive restore`), which the replicas must follow too (default 60 s).
   */
  originCheckMs: number;
  drainMs: number;
  replicaWatch?: Partial<ReplicaWatch>;
}

export interface LibraryRunnerOptions {
  config: ClaasConfig;
  origin: ObjectStore;
  sources: Source[];
  allowDelete: boolean;
  book: StatusBook;
  onEvent: RunEventSink;
  timing: LibraryTiming;
  sync: SyncStep;
  /** The archive schedule's clock (tests). */
  now?: () => Date;
  /** Replica status with other openers (tests). */
  check?: ReplicaFollowerOptions['check'];
}

/** Longest wait between polls of a failing source, and between retries of a failing step. */
const MAX_BACKOFF_MS = 15 * 60_000;
/** How long cleanup waits for work that was told to stop. */
const SETTLE_MS = 15_000;

/** What one activation (one time holding the lease) runs; all of it ends with the activation. */
interface Activation {
  lease: RunLease;
  /** Aborted on step-down or at the end of a stop: polls, steps, mirror, archive. */
  controller: AbortController;
  /** Aborted as soon as the service stops: polls only (a step may still finish within drainMs). */
  polls: AbortController;
  timers: Set<NodeJS.Timeout>;
  memory: GuardMemory;
  outcomes: Map<string, PollOutcome>;
  tokens: Map<string, string>;
  pollFailures: Map<string, number>;
  follower: ReplicaFollower;
  schedule?: ArchiveSchedule;
  syncing?: Promise<void>;
  syncWanted: boolean;
  /** A step failed or pending deletions wait for a poll: the next poll runs a step even without a change. */
  dirty: boolean;
  stepFailures: number;
  retryAt: number;
  /** The origin version last seen (own commits included), for the origin watch. */
  knownOrigin?: number;
}

export class LibraryRunner {
  readonly library: string;
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private act: Activation | undefined;
  private lastRole: string | undefined;

  constructor(private readonly o: LibraryRunnerOptions) {
    this.library = o.config.library;
  }

  get config(): ClaasConfig {
    return this.o.config;
  }

  get sources(): readonly Source[] {
    return this.o.sources;
  }

  /** Starts the lease loop (returns at once; the library becomes active when it gets the lease). */
  start(): void {
    this.loop ??= this.leaseLoop();
  }

  /** Stops polling, drains the step in progress (up to drainMs), releases the lease, closes the sources. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await (this.loop ?? Promise.resolve());
    await Promise.all(
      this.o.sources.map((s) =>
        withDeadline(s.close(), SETTLE_MS, `closing ${s.name}`).catch(() => undefined),
      ),
    );
    this.o.origin.close();
  }

  private emit(e: RunEvent): void {
    try {
      this.o.onEvent(e);
    } catch {
      // A failing sink must not stop the library.
    }
  }

  private reportError(e: unknown, what?: string): void {
    const p = problemOf(e);
    const problem = what === undefined ? p : { ...p, message: `${what}: ${p.message}` };
    this.o.book.recordError(this.library, problem);
    this.emit({ type: 'error', library: this.library, problem });
  }

  private setRole(role: 'active' | 'standby', holder?: string): void {
    this.o.book.setRole(this.library, role, holder);
    const key = `${role}:${holder ?? ''}`;
    if (key === this.lastRole) return;
    this.lastRole = key;
    this.emit({ type: 'role', library: this.library, role, ...(holder === undefined ? {} : { holder }) });
  }

  private async leaseLoop(): Promise<void> {
    const stop = this.stopController.signal;
    let failures = 0;
    while (!stop.aborted) {
      let lease: RunLease | undefined;
      try {
        const attempt = await tryAcquireLease(this.o.origin, {
          operation: `claas run ${this.library}`,
          ttlMs: this.o.timing.leaseTtlMs,
        });
        failures = 0;
        if (attempt.held === undefined) {
          const h = attempt.holder;
          this.setRole(
            'standby',
            h === undefined ? undefined : `${h.holder} (pid ${h.pid}) since ${h.since}`,
          );
        } else lease = attempt.held;
      } catch (e) {
        failures += 1;
        this.setRole('standby');
        this.reportError(e, 'taking the run lease');
      }
      if (lease === undefined) {
        await sleep(jitter(backoff(this.o.timing.standbyRetryMs, failures, 60_000)), stop);
        continue;
      }
      if (stop.aborted) {
        await lease.release();
        break;
      }
      await this.runActive(lease);
    }
  }

  /** Holds the lease until it is lost or the service stops. */
  private async runActive(lease: RunLease): Promise<void> {
    const config = this.o.config;
    const act: Activation = {
      lease,
      controller: new AbortController(),
      polls: new AbortController(),
      timers: new Set(),
      memory: newGuardMemory(),
      outcomes: new Map(),
      tokens: new Map(),
      pollFailures: new Map(),
      follower: new ReplicaFollower({
        config,
        origin: this.o.origin,
        book: this.o.book,
        onEvent: (e) => this.emit(e),
        ...(this.o.timing.replicaWatch === undefined ? {} : { watch: this.o.timing.replicaWatch }),
        ...(this.o.check === undefined ? {} : { check: this.o.check }),
      }),
      syncWanted: false,
      dirty: false,
      stepFailures: 0,
      retryAt: 0,
    };
    this.act = act;
    this.setRole('active');
    act.follower.request(); // at start: bring the replicas to the origin's current version
    this.startSchedule(act);
    this.startOriginWatch(act);
    for (const s of this.o.sources) this.schedulePoll(act, s, jitter(250, 1));

    const stop = this.stopController.signal;
    await new Promise<void>((resolve) => {
      if (lease.lost.aborted || stop.aborted) resolve();
      lease.lost.addEventListener('abort', () => resolve(), { once: true });
      stop.addEventListener('abort', () => resolve(), { once: true });
    });
    const lost = lease.lost.aborted && !stop.aborted;
    if (lost) this.reportError(lease.lost.reason, 'stepping down');
    await this.wind(act, lost ? 0 : this.o.timing.drainMs);
    this.act = undefined;
    if (lost) this.setRole('standby');
  }

  /** Ends an activation: polls at once, the step after `drainMs`, then mirror and archive; the lease last. */
  private async wind(act: Activation, drainMs: number): Promise<void> {
    act.polls.abort();
    for (const t of act.timers) clearTimeout(t);
    act.timers.clear();
    if (act.syncing !== undefined && drainMs > 0) await Promise.race([act.syncing, sleep(drainMs)]);
    act.controller.abort(new ClaasError('CONFLICT', `claas run stopped following ${this.library}`));
    const settle = (p: Promise<unknown> | undefined, what: string) =>
      withDeadline(p ?? Promise.resolve(), SETTLE_MS, what).catch(() => undefined);
    await Promise.all([
      settle(act.syncing, 'the step in progress'),
      settle(act.follower.stop(), 'the replica round'),
      settle(act.schedule?.idle(), 'the archive snapshot'),
    ]);
    await act.lease.release();
  }

  private startSchedule(act: Activation): void {
    if (this.o.config.archive === undefined) return;
    act.schedule = new ArchiveSchedule({
      config: this.o.config,
      origin: this.o.origin,
      book: this.o.book,
      onEvent: (e) => this.emit(e),
      ...(this.o.now === undefined ? {} : { now: this.o.now }),
    });
    const tick = (): void => {
      if (act.controller.signal.aborted) return;
      void act.schedule?.tick(act.controller.signal).then(() => {
        if (act.controller.signal.aborted) return;
        const t = setTimeout(tick, this.o.timing.archiveTickMs);
        t.unref();
        act.timers.add(t);
      });
    };
    tick();
  }

  /** Reads the origin's version every originCheckMs; a version this process did not commit starts a replica round. */
  private startOriginWatch(act: Activation): void {
    const tick = async (): Promise<void> => {
      if (act.controller.signal.aborted) return;
      try {
        const v = await withDeadline(
          originVersion(this.o.origin),
          this.o.timing.pollTimeoutMs,
          `reading ${this.o.origin.display}/lib.json`,
        );
        if (v !== undefined) this.o.book.setOriginVersion(this.library, v);
        const seen = act.knownOrigin;
        act.knownOrigin = v;
        if (seen !== undefined && v !== seen && act.syncing === undefined) act.follower.request();
      } catch {
        // The origin cannot be read now: the next poll or replica round reports it; try again later.
      }
      if (act.controller.signal.aborted) return;
      const t = setTimeout(() => {
        act.timers.delete(t);
        void tick();
      }, jitter(this.o.timing.originCheckMs));
      t.unref();
      act.timers.add(t);
    };
    void tick();
  }

  private schedulePoll(act: Activation, source: Source, delayMs: number): void {
    if (act.polls.signal.aborted) return;
    const t = setTimeout(() => {
      act.timers.delete(t);
      void this.poll(act, source);
    }, delayMs);
    t.unref();
    act.timers.add(t);
  }

  /** One poll of one source; then the next is scheduled (backing off while it fails). */
  private async poll(act: Activation, source: Source): Promise<void> {
    const timeoutMs = this.o.timing.pollTimeoutMs;
    const signal = AbortSignal.any([act.polls.signal, AbortSignal.timeout(timeoutMs)]);
    let outcome: PollOutcome;
    try {
      // The source should honour the signal; the race is the backstop for one that does not.
      outcome = await withDeadline(source.poll(signal), timeoutMs + 5_000, `polling ${source.name}`);
    } catch (e) {
      outcome = { ok: false, problem: problemOf(e) };
    }
    if (act.polls.signal.aborted) return;
    if (!outcome.ok && signal.aborted) {
      outcome = {
        ok: false,
        problem: {
          code: 'UNREACHABLE',
          message: `polling ${source.name} took longer than ${Math.round(timeoutMs / 1000)} s`,
          hint: 'the listing is tried again on the next interval; the library keeps its items meanwhile',
          at: new Date().toISOString(),
        },
      };
    }
    this.recordPoll(act, source, outcome);
    const failures = outcome.ok ? 0 : (act.pollFailures.get(source.name) ?? 0) + 1;
    act.pollFailures.set(source.name, failures);
    const interval = source.config.intervalMs;
    this.schedulePoll(act, source, jitter(backoff(interval, failures, Math.max(interval, MAX_BACKOFF_MS))));
  }

  private recordPoll(act: Activation, source: Source, outcome: PollOutcome): void {
    const at = new Date();
    act.outcomes.set(source.name, outcome);
    const vmtxChanged = this.o.book.recordPoll(this.library, source.name, outcome, at);
    if (!outcome.ok) {
      this.emit({
        type: 'poll',
        library: this.library,
        source: source.name,
        ok: false,
        problem: outcome.problem,
      });
      return;
    }
    const listing = outcome.listing;
    const changed = act.tokens.get(source.name) !== listing.token;
    act.tokens.set(source.name, listing.token);
    this.emit({
      type: 'poll',
      library: this.library,
      source: source.name,
      ok: true,
      items: listing.items.length,
      changed,
    });
    if (vmtxChanged && listing.vmtx.length > 0)
      this.emit({ type: 'vmtx', library: this.library, source: source.name, items: [...listing.vmtx] });
    // The first step waits until every source has been polled once (each has an outcome to go by).
    const everyone = this.o.sources.every((s) => act.outcomes.has(s.name));
    if (everyone && (changed || act.dirty)) this.requestStep(act);
  }

  private requestStep(act: Activation): void {
    if (act.controller.signal.aborted) return;
    act.syncWanted = true;
    act.syncing ??= (async () => {
      while (act.syncWanted && !act.controller.signal.aborted) {
        act.syncWanted = false;
        await this.step(act);
      }
    })().finally(() => {
      act.syncing = undefined;
    });
  }

  /** One sync step with the latest outcome of every source. */
  private async step(act: Activation): Promise<void> {
    if (Date.now() < act.retryAt) return; // backing off: a later poll asks again (dirty stays set)
    let published = false;
    try {
      const outcome = await this.o.sync({
        config: this.o.config,
        origin: this.o.origin,
        sources: this.o.sources,
        outcomes: new Map(act.outcomes),
        memory: act.memory,
        allowDelete: this.o.allowDelete,
        signal: act.controller.signal,
        onEvent: (e) => {
          if (e.type === 'published') published = true;
          this.emit(e);
        },
      });
      if (act.controller.signal.aborted) return;
      this.o.book.recordSync(this.library, outcome, new Date());
      act.stepFailures = 0;
      act.retryAt = 0;
      act.dirty = Object.values(outcome.verdicts).some((v) => v.pending.length > 0);
      const v = outcome.version;
      if (v === undefined) return;
      act.knownOrigin = v.number;
      if (!published) {
        this.emit({
          type: 'published',
          library: this.library,
          version: v.number,
          sources: Object.keys(outcome.verdicts),
          added: v.added,
          changed: v.changed,
          removed: v.removed,
          bytes: outcome.bytes,
        });
      }
      act.follower.request();
    } catch (e) {
      if (act.controller.signal.aborted) return;
      act.dirty = true;
      act.stepFailures += 1;
      const base = Math.min(...this.o.sources.map((s) => s.config.intervalMs));
      act.retryAt = Date.now() + backoff(base, act.stepFailures - 1, MAX_BACKOFF_MS);
      this.reportError(e);
    }
  }
}
