// A gateway's view of the tenants kept in the store (gateway.tenants: store): read from the first store of
// gateway.prefer that carries the control data (tenants-store.ts), refreshed on a period, handed to the
// authenticator through onChange (TenantAuthenticator.setTenants) only when it changed.
//
// Fail-static: when no store can be read, or what it holds is damaged or foreign (bad JSON, wrong format,
// schema violation, oversized), the last good view stays in force and the problem is reported (status(),
// onProblem) until a refresh succeeds again. A damaged object is never trusted, and a store that does not
// answer (or not within the attempt timeout: a store that hangs must not stop the refreshes) is skipped for
// the next one in the list. Before the first good view there is nothing to serve:
// start() fails, and the gateway does not start. When every store answers and none holds a tenants object
// (a provider that has not added any tenant yet), the view is empty, as a missing tenants file is.

import { withDeadline } from '../../util/deadline.js';
import { ClaasError, isClaasError } from '../../errors.js';
import type { ObjectStore } from '../../store/types.js';
import { readStoredTenants } from './tenants-store.js';
import type { StoredTenants } from './tenants-store.js';
import type { TenantRecord } from './tenants.js';

/** A store whose control prefix the view may read, by its name in gateway.prefer. */
export interface ControlSource {
  name: string;
  /** Rooted at the control prefix, opened with the gateway's own credential. */
  store: ObjectStore;
}

export type ViewProblemKind = 'unreachable' | 'damaged' | 'missing';

export interface ViewProblem {
  kind: ViewProblemKind;
  /** The store it happened at (undefined: all of them). */
  source?: string;
  message: string;
  /** ms since the epoch. */
  at: number;
}

/** What /healthz, /metrics and the dashboard show of the view. */
export interface TenantViewStatus {
  /** True once a view was read (else the gateway has no tenants to serve). */
  ready: boolean;
  /** The store the view came from; null for an empty view (no store has tenants yet). */
  source: string | null;
  tenants: number;
  /** When the view was last read successfully, and its age in seconds then. */
  readAt: string | null;
  ageSeconds: number | null;
  /** True when the last refresh failed and the gateway serves the last good view. */
  stale: boolean;
  refreshSeconds: number;
  /** The problem of the last refresh (or of stores skipped by it); absent when none. */
  lastError?: { kind: ViewProblemKind; source?: string; message: string; at: string };
}

export interface TenantViewOptions {
  refreshMs: number;
  /** How long one store may take to answer (default: the refresh period, at least 5 s, at most 30 s). */
  attemptTimeoutMs?: number;
  onChange: (tenants: TenantRecord[]) => void;
  /** Each failed refresh (fail-static in force) and each problem of a skipped store. */
  onProblem?: (p: ViewProblem, stale: boolean) => void;
  /** A refresh that succeeded after failures. */
  onRecovered?: (source: string | null) => void;
  now?: () => number;
}

type Attempt =
  | { kind: 'ok'; source: ControlSource; got: StoredTenants }
  | { kind: 'absent'; source: ControlSource }
  | { kind: 'problem'; problem: ViewProblem };

export class TenantView {
  private sources: ControlSource[];
  private tenants: TenantRecord[] | undefined;
  private sourceName: string | null = null;
  private signature = '';
  private readAt: number | undefined;
  private lastError: ViewProblem | undefined;
  private stale = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(
    sources: ControlSource[],
    private readonly o: TenantViewOptions,
  ) {
    this.sources = [...sources];
    this.now = o.now ?? Date.now;
  }

  /** The store the current view came from (where activity is read too), if any. */
  currentSource(): ControlSource | undefined {
    return this.sources.find((s) => s.name === this.sourceName);
  }

  /** Replaces the stores read (reload); the view in force stays until the next refresh. */
  setSources(sources: ControlSource[]): ControlSource[] {
    const old = this.sources;
    this.sources = [...sources];
    return old;
  }

  /** The first view: fails (the last problem) when no store could give one. Then refreshes on the period. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.tenants === undefined) {
      const p = this.lastError;
      throw new ClaasError(
        p?.kind === 'damaged' ? 'BAD_INPUT' : 'UNREACHABLE',
        `the gateway has no tenants to serve: ${p?.message ?? 'no store answered'}`,
        {
          input: p?.source ?? 'gateway.prefer',
          hint:
            p?.kind === 'damaged'
              ? 'restore the tenants object from a backup: claas tenant import <tenants.json> --replace --config ...'
              : "check that the gateway's credential may read the control prefix of a store in gateway.prefer",
        },
      );
    }
    this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => {
        if (this.timer !== undefined) this.schedule();
      });
    }, this.o.refreshMs);
    this.timer.unref();
  }

  /** One refresh now (concurrent callers share it). */
  refresh(): Promise<void> {
    this.running ??= this.refreshOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async attempt(source: ControlSource): Promise<Attempt> {
    try {
      const timeout = this.o.attemptTimeoutMs ?? Math.min(30_000, Math.max(5_000, this.o.refreshMs));
      const got = await withDeadline(readStoredTenants(source.store), timeout, source.store.display);
      return got === undefined ? { kind: 'absent', source } : { kind: 'ok', source, got };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const kind: ViewProblemKind = isClaasError(e, 'BAD_INPUT') ? 'damaged' : 'unreachable';
      return { kind: 'problem', problem: { kind, source: source.name, message, at: this.now() } };
    }
  }

  private async refreshOnce(): Promise<void> {
    const problems: ViewProblem[] = [];
    let absent = 0;
    for (const source of this.sources) {
      const a = await this.attempt(source);
      if (a.kind === 'ok') {
        for (const p of problems) this.o.onProblem?.(p, false);
        return this.accept(a.source.name, a.got.file.tenants, problems[0]);
      }
      if (a.kind === 'absent') absent += 1;
      else problems.push(a.problem);
    }
    if (absent === this.sources.length && (this.tenants === undefined || this.sourceName === null)) {
      return this.accept(null, [], undefined); // nothing added yet: an empty view, as a missing file is
    }
    const problem: ViewProblem = problems.find((p) => p.kind === 'damaged') ??
      problems[0] ?? {
        kind: 'missing',
        message: `no store of gateway.prefer (${this.sources.map((s) => s.name).join(', ')}) holds the tenants object`,
        at: this.now(),
      };
    this.lastError = problem;
    this.stale = this.tenants !== undefined;
    this.o.onProblem?.(problem, this.stale);
  }

  private accept(source: string | null, tenants: TenantRecord[], skipped: ViewProblem | undefined): void {
    const wasStale = this.stale;
    this.readAt = this.now();
    this.sourceName = source;
    this.stale = false;
    this.lastError = skipped;
    const signature = JSON.stringify(tenants);
    if (this.tenants === undefined || signature !== this.signature) {
      this.tenants = tenants;
      this.signature = signature;
      this.o.onChange(tenants);
    }
    if (wasStale) this.o.onRecovered?.(source);
  }

  /** The tenants in force (undefined before the first view). */
  current(): TenantRecord[] | undefined {
    return this.tenants;
  }

  /** Seconds since the view was last read successfully (undefined before the first view). */
  ageSeconds(): number | undefined {
    return this.readAt === undefined ? undefined : Math.max(0, (this.now() - this.readAt) / 1000);
  }

  status(): TenantViewStatus {
    const age = this.ageSeconds();
    const e = this.lastError;
    return {
      ready: this.tenants !== undefined,
      source: this.sourceName,
      tenants: this.tenants?.length ?? 0,
      readAt: this.readAt === undefined ? null : new Date(this.readAt).toISOString(),
      ageSeconds: age === undefined ? null : Math.round(age * 10) / 10,
      stale: this.stale,
      refreshSeconds: this.o.refreshMs / 1000,
      ...(e === undefined
        ? {}
        : {
            lastError: {
              kind: e.kind,
              ...(e.source === undefined ? {} : { source: e.source }),
              message: e.message,
              at: new Date(e.at).toISOString(),
            },
          }),
    };
  }
}
