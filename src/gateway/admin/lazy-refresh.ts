// A value the dashboard recomputes only while someone looks at it: reading it returns the last result and,
// when that is older than the refresh interval, starts the next computation in the background (never two
// at once). Only a read that finds no result or a stale one (older than four intervals: the dashboard was
// closed) waits for the computation, and at most firstWaitMs.

export interface LazyRefreshOptions {
  /** A result older than this starts a new computation (default 15 s). */
  refreshMs?: number;
  /** How long a read waits when there is no recent result (default 10 s). */
  firstWaitMs?: number;
  now?: () => number;
}

export interface LazyResult<T> {
  value?: T;
  /** Why the last computation failed (the value, if any, is from an earlier one). */
  error?: string;
  /** When the last computation finished (ms since the epoch). */
  at?: number;
}

export class LazyRefresh<T> {
  private result: LazyResult<T> = {};
  private running: Promise<void> | undefined;
  private readonly refreshMs: number;
  private readonly firstWaitMs: number;
  private readonly now: () => number;

  constructor(
    private readonly compute: () => Promise<T>,
    o: LazyRefreshOptions = {},
  ) {
    this.refreshMs = o.refreshMs ?? 15_000;
    this.firstWaitMs = o.firstWaitMs ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Starts a computation when due; returns the promise to wait for when the result is missing or stale. */
  poke(): Promise<void> | undefined {
    const age = this.result.at === undefined ? Infinity : this.now() - this.result.at;
    if (age < this.refreshMs) return undefined;
    this.running ??= this.compute()
      .then(
        (value) => {
          this.result = { value, at: this.now() };
        },
        (e: unknown) => {
          this.result = { ...this.result, error: e instanceof Error ? e.message : String(e), at: this.now() };
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return age >= 4 * this.refreshMs ? this.running : undefined;
  }

  /** The last result (after starting a computation when due). */
  current(): LazyResult<T> {
    return this.result;
  }

  /** Pokes every refresher and waits (at most firstWaitMs of the first) for those that have nothing recent. */
  static async readAll<T>(all: LazyRefresh<T>[]): Promise<LazyResult<T>[]> {
    const waits = all.map((r) => r.poke()).filter((p): p is Promise<void> => p !== undefined);
    if (waits.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(waits),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, all[0]!.firstWaitMs);
        }),
      ]);
      clearTimeout(timer);
    }
    return all.map((r) => r.current());
  }
}
