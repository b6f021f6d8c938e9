// Where `claas mirror` takes its lock: at the ORIGIN, under .claas/mirror-lock/<replica>/, never in the
// replica. A lock entry names its holder (user@host, pid): provider-private data that must not land in a
// client's replica (issue 16), where even a released entry would stay as a noncurrent version of a
// versioned bucket. Two mirrors into one replica from one origin still exclude each other; publishing is not
// blocked (its lock is the library's own .claas/lock/).
//
// The lock module works on any ObjectStore; this is a view of the origin whose keys live under that prefix.

import { acquireLock } from '../publish/lock.js';
import type { HeldLock } from '../publish/lock.js';
import type { ListOptions, ObjectStore, PutOptions, PutSource, StoredObject } from '../store/types.js';

/** The origin prefix of the mirror locks of one replica (provider-private: under .claas/). */
export function mirrorLockPrefix(replica: string): string {
  return `.claas/mirror-lock/${encodeURIComponent(replica)}/`;
}

/** A view of `store` rooted at `prefix`: what the lock module needs (list, read, put, delete). */
function rootedAt(store: ObjectStore, prefix: string): ObjectStore {
  const full = (key: string): string => `${prefix}${key}`;
  const strip = (o: StoredObject): StoredObject => ({ ...o, key: o.key.slice(prefix.length) });
  return {
    display: `${store.display}/${prefix.replace(/\/$/, '')}`,
    kind: store.kind,
    features: {},
    head: async (key: string) => {
      const o = await store.head(full(key));
      return o === undefined ? undefined : strip(o);
    },
    list: async function* (p: string, options?: ListOptions) {
      for await (const o of store.list(full(p), options)) yield strip(o);
    },
    read: (key, range) => store.read(full(key), range),
    readBytes: (key: string) => store.readBytes(full(key)),
    put: (key: string, source: PutSource, options?: PutOptions) => store.put(full(key), source, options),
    delete: (keys: string[]) => store.delete(keys.map(full)),
    probe: () => store.probe(),
    close: () => {},
  };
}

/** Takes the lock of mirroring into `replica`, at the origin. */
export function acquireMirrorLock(
  origin: ObjectStore,
  replica: string,
  destDisplay: string,
): Promise<HeldLock> {
  return acquireLock(rootedAt(origin, mirrorLockPrefix(replica)), {
    operation: `claas mirror from ${origin.display} to ${destDisplay}`,
  });
}
