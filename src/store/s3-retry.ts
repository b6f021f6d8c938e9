// claas's own retry around whole uploads of a part or object, on top of the SDK's per-request retries:
// exponential backoff with full jitter (sleep a random time up to base * 2^attempt, capped), only for
// errors that can pass (5xx, SlowDown, RequestTimeout, dropped connections), never for 4xx auth errors.

import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable } from './s3-errors.js';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 20_000 };

/** The full-jitter delay before retry number `attempt` (1 = the first retry). */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Runs fn until it succeeds, fails with an error that is not retryable, or runs out of attempts. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: {
    policy?: RetryPolicy;
    signal?: AbortSignal;
    onRetry?: (err: unknown, attempt: number) => void;
  } = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || !isRetryable(err) || options.signal?.aborted === true) throw err;
      options.onRetry?.(err, attempt);
      await sleep(backoffDelay(attempt, policy), undefined, options.signal ? { signal: options.signal } : {});
    }
  }
}
