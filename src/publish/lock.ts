// The library lock: keeps two publishers from interleaving writes to one library, on any store.
// Protocol (needs only strongly consistent PUT/LIST/DELETE, which S3, RGW and local folders give):
// write our own lock entry, list all entries; if any other live entry exists we remove ours and fail
// fast naming the holder. A holder refreshes its entry while it works; an entry whose holder stopped
// refreshing (expired), or whose process on this host is gone, is stale and removed by the next taker.
// The same protocol under another key prefix gives other exclusive roles (the run lease of `claas run`,
// RUN_LEASE_PREFIX), independent of the publish lock.

import { hostname, userInfo } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../store/types.js';
import { ClaasError } from '../errors.js';
import { LOCK_PREFIX } from './layout.js';

export interface LockInfo {
  holder: string; // user@host
  host: string;
  pid: number;
  operation: string;
  since: string;
  expiresAt: string;
  token: string;
}

export interface HeldLock {
  info: LockInfo;
  /** Writes the entry again now with a new expiry; rejects when the store refuses (manual refresh). */
  refresh(): Promise<void>;
  release(): Promise<void>;
}

export interface LockOptions {
  operation: string;
  /** How long an entry stays valid without a refresh. */
  ttlMs?: number;
  now?: () => Date;
  /** Where the entries live (default LOCK_PREFIX, the publish lock). */
  prefix?: string;
  /** Refresh the entry on a timer every ttl/3 (default true); false: the holder calls refresh() itself. */
  autoRefresh?: boolean;
}

/** LOCKED, with the live holder that refused the taker (when its entry could be read). */
export class LockedError extends ClaasError {
  readonly holder: LockInfo | undefined;

  constructor(message: string, options: { input: string; hint: string; holder?: LockInfo }) {
    super('LOCKED', message, { input: options.input, hint: options.hint });
    this.holder = options.holder;
  }
}

const DEFAULT_TTL_MS = 120_000;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(info: LockInfo, now: Date): boolean {
  if (Date.parse(info.expiresAt) < now.getTime()) return true;
  return info.host === hostname() && !isProcessAlive(info.pid);
}

async function readEntries(
  store: ObjectStore,
  prefix: string,
  skipKey?: string,
): Promise<{ key: string; info: LockInfo | undefined }[]> {
  const out: { key: string; info: LockInfo | undefined }[] = [];
  for await (const obj of store.list(prefix)) {
    if (obj.key === skipKey) continue; // our own entry: no need to read it back
    const bytes = await store.readBytes(obj.key);
    let info: LockInfo | undefined;
    try {
      info = bytes ? (JSON.parse(bytes.toString('utf8')) as LockInfo) : undefined;
    } catch {
      info = undefined;
    }
    out.push({ key: obj.key, info });
  }
  return out;
}

export async function acquireLock(store: ObjectStore, options: LockOptions): Promise<HeldLock> {
  const now = options.now ?? (() => new Date());
  const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
  const prefix = options.prefix ?? LOCK_PREFIX;
  const token = randomUUID();
  const key = `${prefix}${token}.json`;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry: keep 'unknown' */
  }
  const since = now().toISOString();
  const makeInfo = (): LockInfo => ({
    holder: `${user}@${hostname()}`,
    host: hostname(),
    pid: process.pid,
    operation: options.operation,
    since,
    expiresAt: new Date(now().getTime() + ttl).toISOString(),
    token,
  });
  const write = (): Promise<void> =>
    store.put(
      key,
      { kind: 'bytes', data: Buffer.from(JSON.stringify(makeInfo())) },
      { contentType: 'application/json', role: 'metadata' },
    );

  await write();
  const others = await readEntries(store, prefix, key);
  const stale = others.filter((e) => e.info === undefined || isStale(e.info, now()));
  const live = others.filter((e) => !stale.includes(e));
  if (live.length > 0) {
    await store.delete([key]);
    const holder = live
      .map((e) => e.info)
      .filter((i): i is LockInfo => i !== undefined)
      .sort((a, b) => a.since.localeCompare(b.since))[0];
    throw new LockedError(
      holder
        ? `${store.display} is locked by ${holder.holder} (pid ${holder.pid}, ${holder.operation}) since ${holder.since}`
        : `${store.display} is locked by another publisher`,
      {
        input: store.display,
        hint: `wait for that run to finish; a lock whose holder died expires by itself ${Math.round(ttl / 1000)} s after its last refresh`,
        ...(holder === undefined ? {} : { holder }),
      },
    );
  }
  if (stale.length > 0) await store.delete(stale.map((e) => e.key));

  let refreshing: Promise<void> = Promise.resolve();
  const timer =
    options.autoRefresh === false
      ? undefined
      : setInterval(
          () => {
            refreshing = write().catch(() => undefined);
          },
          Math.max(1000, Math.floor(ttl / 3)),
        );
  timer?.unref();
  let released = false;
  return {
    info: makeInfo(),
    refresh: write,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await refreshing;
      await store.delete([key]);
    },
  };
}

/** The live lock entries of a library (for status and error messages); `prefix`: another kind of lock. */
export async function readLocks(
  store: ObjectStore,
  now: Date = new Date(),
  prefix: string = LOCK_PREFIX,
): Promise<LockInfo[]> {
  const entries = await readEntries(store, prefix);
  return entries.map((e) => e.info).filter((i): i is LockInfo => i !== undefined && !isStale(i, now));
}
