// Throttling of repeated authentication failures: at most `limit` failures per key (a client address, a
// password's key id) within a sliding window; past that the key is refused (429 + Retry-After) until its
// oldest failure in the window expires. Memory is bounded: at most maxKeys keys of `limit` times each,
// the least recently failed key is forgotten first.

export interface ThrottleOptions {
  /** Failures allowed within the window (default 10). */
  limit?: number;
  /** Window length (default 60 s). */
  windowMs?: number;
  /** Keys remembered at most (default 10,000). */
  maxKeys?: number;
  now?: () => number;
}

export class FailureThrottle {
  readonly limit: number;
  readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** key -> failure times, oldest first, at most `limit`. Map order = least recently failed first. */
  private readonly failures = new Map<string, number[]>();

  constructor(o: ThrottleOptions = {}) {
    this.limit = Math.max(1, o.limit ?? 10);
    this.windowMs = Math.max(1, o.windowMs ?? 60_000);
    this.maxKeys = Math.max(1, o.maxKeys ?? 10_000);
    this.now = o.now ?? Date.now;
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (times === undefined) return [];
    const kept = times.filter((t) => now - t < this.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== times.length) this.failures.set(key, kept);
    return kept;
  }

  /** 0 when the key may try again now, else the milliseconds until it may. */
  retryAfterMs(key: string): number {
    const now = this.now();
    const times = this.recent(key, now);
    if (times.length < this.limit) return 0;
    return Math.max(1, times[0]! + this.windowMs - now);
  }

  /** Records a failure. */
  fail(key: string): void {
    const now = this.now();
    const times = this.recent(key, now);
    times.push(now);
    if (times.length > this.limit) times.shift();
    this.failures.delete(key);
    this.failures.set(key, times);
    while (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  /** Keys currently remembered (for tests and metrics). */
  get size(): number {
    return this.failures.size;
  }
}
