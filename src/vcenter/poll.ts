// Waiting for vCenter to finish something it does in the background (preparing a download, completing
// an update session): ask again at an interval until done, or fail with a clear timeout.

import { setTimeout as delay } from 'node:timers/promises';
import { ClaasError } from '../errors.js';

export interface PollOptions {
  /** Between two questions (default 1 s). */
  intervalMs?: number;
  /** Overall limit (default 30 min: vCenter may first have to fetch an on-demand file). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Calls check() until it returns a value; `what` and `server` name the wait in the timeout error. */
export async function pollUntil<T>(
  what: string,
  server: string,
  check: () => Promise<T | undefined>,
  o: PollOptions = {},
): Promise<T> {
  const interval = o.intervalMs ?? 1_000;
  const timeout = o.timeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    o.signal?.throwIfAborted();
    const done = await check();
    if (done !== undefined) return done;
    if (Date.now() >= deadline) {
      throw new ClaasError(
        'UNREACHABLE',
        `vCenter ${server} did not ${what} within ${Math.round(timeout / 1000)} s`,
        {
          input: server,
          hint: 'vCenter may be overloaded or the content may still be syncing; try again later.',
        },
      );
    }
    await delay(interval, undefined, o.signal === undefined ? {} : { signal: o.signal });
  }
}
