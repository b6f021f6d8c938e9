// What every source's poll shares: a bounded total time (a listing that hangs counts as failed), errors
// turned into reported problems (never thrown, never a secret), and the token of a whole listing.

import { createHash } from 'node:crypto';
import { isClaasError } from '../../errors.js';
import type { ListedItem, PollOutcome, Problem, SourceListing } from '../types.js';

/** Longest a poll may take, by default. */
export const POLL_TIMEOUT_MS = 120_000;

/** A failure as /healthz and the events report it: code, message, hint, when. */
export function problemOf(e: unknown, now: Date = new Date()): Problem {
  if (isClaasError(e)) {
    return {
      code: e.code,
      message: e.message,
      ...(e.hint === undefined ? {} : { hint: e.hint }),
      at: now.toISOString(),
    };
  }
  const err = e as NodeJS.ErrnoException;
  return {
    code: err?.code ?? 'INTERNAL',
    message: err?.message ?? String(e),
    at: now.toISOString(),
  };
}

/**
 * Runs one listing with a time limit and the caller's signal; its result or failure as a PollOutcome.
 * `list` gets a signal that fires on either; work it cannot stop is left to finish in the background.
 */
export async function boundedPoll(
  name: string,
  timeoutMs: number,
  signal: AbortSignal,
  list: (signal: AbortSignal) => Promise<SourceListing>,
): Promise<PollOutcome> {
  const timer = new AbortController();
  const combined = AbortSignal.any([signal, timer.signal]);
  let handle: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    handle = setTimeout(() => {
      const e = Object.assign(
        new Error(`${name}: the listing took longer than ${Math.round(timeoutMs / 1000)} s`),
        {
          code: 'TIMEOUT',
        },
      );
      timer.abort(e);
      reject(e);
    }, timeoutMs);
    handle.unref();
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const listing = await Promise.race([list(combined), limit, aborted]);
    return { ok: true, listing };
  } catch (e) {
    return { ok: false, problem: problemOf(e) };
  } finally {
    clearTimeout(handle);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** The token of a listing: equal exactly when names and fingerprints (and vmtx) are equal. */
export function listingToken(items: readonly ListedItem[], vmtx: readonly string[] = [], extra = ''): string {
  const h = createHash('sha256');
  h.update(extra);
  for (const i of [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    h.update(`\u0000${i.name}\u0001${i.fingerprint}`);
  }
  for (const v of [...vmtx].sort()) h.update(`\u0002${v}`);
  return h.digest('hex').slice(0, 32);
}
