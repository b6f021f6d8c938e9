// `claas run` as a service: one LibraryRunner (library.ts) per configured library, the status they keep
// (status-book.ts), reloading the configurations (SIGHUP) and stopping with a drain (SIGTERM). Nothing here
// prints; the CLI (src/cli/commands/run*) renders the events and serves /healthz and /metrics from status().
//
// The service keeps the process alive from start until stop() has drained (its own timers are unref'd).
//
// Starting or reloading prepares every new or changed library first (its origin store, its sources, its
// archive schedule): when one of them cannot start, the prepared ones are closed, a ClaasError names the
// problem and whatever ran before keeps running unchanged. Only then are removed and changed libraries
// stopped (draining, releasing their leases) and the new ones started.

import type { ClaasConfig } from '../config/schema.js';
import { ClaasError, isClaasError } from '../errors.js';
import { openOriginStore } from '../replicate/open-stores.js';
import type { ObjectStore } from '../store/types.js';
import { DEFAULT_LEASE_TTL_MS } from './leader.js';
import { LibraryRunner } from './library.js';
import type { LibraryRunnerOptions, LibraryTiming } from './library.js';
import type { ReplicaWatch } from './replicas.js';
import { parseSchedule } from './schedule.js';
import { StatusBook, problemOf } from './status-book.js';
import { openSources } from './sources/index.js';
import type { Source } from './sources/index.js';
import { syncLibrary } from './sync.js';
import type { RunEventSink, ServiceStatus } from './types.js';

export interface RunServiceOptions {
  configs: ClaasConfig[];
  allowDelete: boolean;
  onEvent: RunEventSink;
  /** Clock for the archive schedule only (tests). */
  now?: () => Date;
  leaseTtlMs?: number; // default 60 s
  /** Drain time for stop(). */
  drainMs?: number;
  /** How often a standby tries the lease again (default 5 s). */
  standbyRetryMs?: number;
  /** Bound on one poll of a source (default 2 min). */
  pollTimeoutMs?: number;
  /** How often the archive schedule looks at its clock (default 30 s). */
  archiveTickMs?: number;
  /** How often the origin is read for versions published outside this process (default 60 s). */
  originCheckMs?: number;
  /** How native replicas are watched after a version (period, total, check timeout). */
  replicaWatch?: Partial<ReplicaWatch>;
  /** Environment for the sources (credentials files, CLAAS_* settings); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Seams for unit tests: other sources, origin store, sync step or replica status. */
  hooks?: RunServiceHooks;
}

export interface RunServiceHooks {
  openSources?: (config: ClaasConfig) => Source[];
  openOrigin?: (config: ClaasConfig) => Promise<ObjectStore>;
  sync?: LibraryRunnerOptions['sync'];
  check?: LibraryRunnerOptions['check'];
}

export interface RunService {
  status(): ServiceStatus;
  /** Replace the configurations (SIGHUP): libraries added/removed/changed; sources reopened. Throws ClaasError (and keeps the old ones running) when something in the new set cannot start. */
  reload(configs: ClaasConfig[]): Promise<void>;
  /** Abort polls; a publish in progress is abandoned (its signal aborted) or finished within drainMs; leases released. Never leaves a partial version (publish commits lib.json last). */
  stop(reason: string): Promise<void>;
}

export const DEFAULT_DRAIN_MS = 30_000;

function timingOf(o: RunServiceOptions): LibraryTiming {
  return {
    leaseTtlMs: o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    standbyRetryMs: o.standbyRetryMs ?? 5_000,
    pollTimeoutMs: o.pollTimeoutMs ?? 120_000,
    archiveTickMs: o.archiveTickMs ?? 30_000,
    originCheckMs: o.originCheckMs ?? 60_000,
    drainMs: o.drainMs ?? DEFAULT_DRAIN_MS,
    ...(o.replicaWatch === undefined ? {} : { replicaWatch: o.replicaWatch }),
  };
}

/** Refuses two configurations for one library name (their status and leases would be confused). */
function checkNames(configs: ClaasConfig[]): void {
  const seen = new Map<string, string>();
  for (const c of configs) {
    const other = seen.get(c.library);
    if (other !== undefined) {
      throw new ClaasError(
        'BAD_INPUT',
        `library "${c.library}" is configured twice: ${other} and ${c.file}`,
        {
          input: c.file,
          hint: 'give each library one claas.yaml (library: names must differ)',
        },
      );
    }
    seen.set(c.library, c.file);
  }
}

/** What makes two configurations of one library the same (a changed one is restarted on reload). */
function sameConfig(a: ClaasConfig, b: ClaasConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

class Service implements RunService {
  private readonly book = new StatusBook();
  private runners = new Map<string, LibraryRunner>();
  private readonly timing: LibraryTiming;
  private stopped = false;
  /** Reloads and stop run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The one handle that keeps the process alive from start until stop() finished (every timer of the
   * libraries is unref'd): the service runs until stopped, and a stop drains before the process may end.
   */
  private alive: NodeJS.Timeout | undefined;

  constructor(private readonly o: RunServiceOptions) {
    this.timing = timingOf(o);
  }

  status(): ServiceStatus {
    return this.book.status();
  }

  private emit: RunEventSink = (e) => {
    try {
      this.o.onEvent(e);
    } catch {
      // A failing sink must not stop the service.
    }
  };

  /** Prepares a runner: its origin, sources and schedule. Throws (having closed what it opened) when it cannot. */
  private async prepare(config: ClaasConfig): Promise<LibraryRunner> {
    const hooks = this.o.hooks ?? {};
    if (config.archive !== undefined)
      parseSchedule(config.archive.schedule, `${config.file}: archive.schedule`);
    const origin = await (hooks.openOrigin ?? ((c) => openOriginStore(c)))(config);
    let sources: Source[];
    try {
      const open =
        hooks.openSources ??
        ((c: ClaasConfig) =>
          openSources(c, {
            pollTimeoutMs: this.timing.pollTimeoutMs,
            ...(this.o.env === undefined ? {} : { env: this.o.env }),
          }));
      sources = open(config);
    } catch (e) {
      origin.close();
      throw e;
    }
    return new LibraryRunner({
      config,
      origin,
      sources,
      allowDelete: this.o.allowDelete,
      book: this.book,
      onEvent: this.emit,
      timing: this.timing,
      sync: hooks.sync ?? syncLibrary,
      ...(this.o.now === undefined ? {} : { now: this.o.now }),
      ...(hooks.check === undefined ? {} : { check: hooks.check }),
    });
  }

  /** Prepares every config, or none: on a failure the prepared ones are stopped and the error thrown. */
  private async prepareAll(configs: ClaasConfig[]): Promise<LibraryRunner[]> {
    const prepared: LibraryRunner[] = [];
    try {
      for (const c of configs) prepared.push(await this.prepare(c));
      return prepared;
    } catch (e) {
      await Promise.all(prepared.map((r) => r.stop()));
      if (isClaasError(e)) throw e;
      throw new ClaasError('BAD_INPUT', `a library could not start: ${(e as Error)?.message ?? String(e)}`, {
        cause: e,
      });
    }
  }

  private launch(runner: LibraryRunner): void {
    const c = runner.config;
    this.book.addLibrary({
      library: c.library,
      configFile: c.file,
      sources: runner.sources.map((s) => ({ name: s.name, kind: s.config.kind })),
      replicas: c.replicas.map((r) => ({ name: r.name, mode: r.mode })),
      ...(c.archive === undefined ? {} : { archiveSchedule: c.archive.schedule }),
    });
    this.runners.set(c.library, runner);
    runner.start();
  }

  async start(): Promise<void> {
    checkNames(this.o.configs);
    const runners = await this.prepareAll(this.o.configs);
    this.alive = setInterval(() => {}, 3_600_000);
    this.emit({ type: 'start', libraries: runners.map((r) => r.library) });
    for (const r of runners) this.launch(r);
  }

  reload(configs: ClaasConfig[]): Promise<void> {
    const next = this.queue.then(() => this.reloadNow(configs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(configs: ClaasConfig[]): Promise<void> {
    if (this.stopped) throw new ClaasError('CONFLICT', 'claas run is stopping: nothing reloaded');
    let fresh: LibraryRunner[];
    try {
      checkNames(configs);
      const changed = configs.filter((c) => {
        const old = this.runners.get(c.library);
        return old === undefined || !sameConfig(old.config, c);
      });
      fresh = await this.prepareAll(changed);
    } catch (e) {
      this.emit({ type: 'reload', ok: false, problem: problemOf(e) });
      throw e;
    }
    const wanted = new Set(configs.map((c) => c.library));
    const replaced = new Set(fresh.map((r) => r.library));
    const going = [...this.runners.values()].filter((r) => !wanted.has(r.library) || replaced.has(r.library));
    await Promise.all(going.map((r) => r.stop()));
    for (const r of going) {
      this.runners.delete(r.library);
      this.book.removeLibrary(r.library);
    }
    for (const r of fresh) this.launch(r);
    this.emit({ type: 'reload', ok: true });
  }

  stop(reason: string): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.stopped) return;
      this.stopped = true;
      this.emit({ type: 'stop', reason });
      try {
        await Promise.all([...this.runners.values()].map((r) => r.stop()));
      } finally {
        clearInterval(this.alive);
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Starts the service: every library prepared (or a ClaasError naming what cannot start), then running. */
export async function startRunService(o: RunServiceOptions): Promise<RunService> {
  const service = new Service(o);
  await service.start();
  return service;
}
