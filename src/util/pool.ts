// Bounded parallelism: run an async function over a list with at most `limit` calls in flight, and a
// counting semaphore for work that arrives over time.
// The first failure stops new work and aborts running work through the signal handed to each call.

/** Results in input order; throws the first error (after every running call has settled). */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && !ctrl.signal.aborted && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, ctrl.signal);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          ctrl.abort(error);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure.error;
  signal?.throwIfAborted();
  return results;
}

/** A counting semaphore: at most `max` callers run at once, the rest wait in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
