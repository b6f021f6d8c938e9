// The run lease: which `claas run` publishes a library. Two services following one library must never both
// publish; the second waits and takes over when the first goes away. Built on the library lock
// (publish/lock.ts) under its own prefix (RUN_LEASE_PREFIX), so the publish inside a run still takes the
// ordinary publish lock beside it.
//
// - Taking: write an own entry, list the others; a live other entry refuses (standby, naming the holder). A
//   holder whose entry expired (it stopped refreshing), or whose pid on this host is gone, is stale and
//   removed by the taker.
// - Holding: the entry is written again every ttl/4 and the prefix listed: another live entry that sorts
//   before ours (since, then token) means two holders (a clock or network partition let a taker in), and
//   the later one steps down. A holder that could not refresh for ttl/2 steps down before its entry expires
//   for others (a refresh that hangs does not delay that check). Either way `lost` aborts, with the reason.

import { LockedError, acquireLock, readLocks } from '../publish/lock.js';
import type { HeldLock, LockInfo } from '../publish/lock.js';
import { RUN_LEASE_PREFIX } from '../publish/layout.js';
import type { ObjectStore } from '../store/types.js';
import { ClaasError, isClaasError } from '../errors.js';
import { withDeadline } from '../util/deadline.js';

export const DEFAULT_LEASE_TTL_MS = 60_000;

export interface RunLease {
  readonly info: LockInfo;
  /** Aborted when the lease is lost (reason: a ClaasError saying why); never aborted by release(). */
  readonly lost: AbortSignal;
  /** Stops refreshing and removes the entry (best effort: an entry left behind expires by itself). */
  release(): Promise<void>;
}

export type LeaseAttempt = { held: RunLease } | { held?: undefined; holder?: LockInfo };

export interface LeaseOptions {
  /** What the entry says the holder does ("claas run templates"). */
  operation: string;
  ttlMs?: number;
  /** Real time for expiry (tests only). */
  now?: () => Date;
}

/** Orders two entries: the earlier taker (since, then token) wins. */
function before(a: LockInfo, b: LockInfo): boolean {
  return a.since === b.since ? a.token < b.token : a.since < b.since;
}

/** Tries once to take the run lease of the library in `store`. Rejects only on store errors. */
export async function tryAcquireLease(store: ObjectStore, o: LeaseOptions): Promise<LeaseAttempt> {
  const ttlMs = o.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  let lock: HeldLock;
  try {
    lock = await withDeadline(
      acquireLock(store, {
        operation: o.operation,
        ttlMs,
        prefix: RUN_LEASE_PREFIX,
        autoRefresh: false,
        ...(o.now === undefined ? {} : { now: o.now }),
      }),
      ttlMs / 2,
      `taking the run lease at ${store.display}`,
    );
  } catch (e) {
    if (e instanceof LockedError) return e.holder === undefined ? {} : { holder: e.holder };
    if (isClaasError(e, 'LOCKED')) return {};
    throw e;
  }
  return { held: holdLease(store, lock, ttlMs, o.now ?? (() => new Date())) };
}

function holdLease(store: ObjectStore, lock: HeldLock, ttlMs: number, now: () => Date): RunLease {
  const controller = new AbortController();
  const graceMs = ttlMs / 2;
  let lastOk = Date.now();
  let inFlight: Promise<void> | undefined;
  const lose = (message: string): void => {
    if (controller.signal.aborted) return;
    clearInterval(timer);
    controller.abort(new ClaasError('LOCKED', message, { input: store.display }));
  };
  const refreshOnce = async (): Promise<void> => {
    await lock.refresh();
    const live = await readLocks(store, now(), RUN_LEASE_PREFIX);
    const earlier = live.find((l) => l.token !== lock.info.token && before(l, lock.info));
    if (earlier !== undefined) {
      lose(
        `the run lease at ${store.display} is also held by ${earlier.holder} (pid ${earlier.pid}) since ${earlier.since}`,
      );
      return;
    }
    lastOk = Date.now();
  };
  const timer = setInterval(
    () => {
      if (Date.now() - lastOk > graceMs) {
        lose(`the run lease at ${store.display} could not be refreshed for ${Math.round(graceMs / 1000)} s`);
        return;
      }
      if (inFlight !== undefined) return;
      inFlight = refreshOnce()
        .catch(() => undefined) // counted by lastOk: the next tick decides
        .finally(() => {
          inFlight = undefined;
        });
    },
    Math.max(250, Math.floor(ttlMs / 4)),
  );
  timer.unref();
  let released = false;
  return {
    info: lock.info,
    lost: controller.signal,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      // A refresh still in flight would write the entry again after the delete.
      const release = (inFlight ?? Promise.resolve()).then(() => lock.release());
      await withDeadline(release, graceMs, `releasing the run lease at ${store.display}`).catch(
        () => undefined,
      );
    },
  };
}
