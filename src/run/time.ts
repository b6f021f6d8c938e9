// Waiting inside `claas run`, always bounded (util/deadline.ts bounds a promise): an abortable sleep, a
// little jitter so that many sources (or services) do not poll in step, and a capped exponential backoff.

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). The timer does not hold the process. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `ms` give or take `fraction` of it. */
export function jitter(ms: number, fraction = 0.1): number {
  return Math.max(0, Math.round(ms * (1 + (Math.random() * 2 - 1) * fraction)));
}

/** The delay after `failures` consecutive failures: base, 2x, 4x ... up to `maxMs`. */
export function backoff(baseMs: number, failures: number, maxMs: number): number {
  if (failures <= 0) return baseMs;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures, 16));
}
