// Garbage collection: deletes what no library version a subscriber may still be reading references.
// A version stays "live" until its successor has been committed for longer than the grace period, so a
// subscriber that started syncing version N can fetch all of N's files until then (invariant 1).
// Only keys claas's layout writes, or keys a walked snapshot references, are ever deleted: anything
// else a user put beside the library is left alone. Orphans of crashed runs (uploaded, never committed)
// go once they are older than the grace period.

import type { ObjectStore } from '../store/types.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { parseLibJson } from '../vcsp/schema.js';
import { LIB_KEY, isClaasManagedKey, isInternalKey } from './layout.js';
import { readJsonKey, readSnapshot } from './state.js';
import { retainedVersions } from './retain.js';
import { appendAudit } from './audit.js';

export interface GcResult {
  deleted: string[];
  deletedBytes: number;
  /** Unreferenced keys kept because they are still within the grace period. */
  kept: number;
  /** Versions whose files are still live. */
  liveVersions: number[];
  /** Older versions kept because they are retained (claas archive retain). */
  retainedVersions: number[];
  /** The audit entry of a gc that deleted something, or why it could not be written. */
  audit?: { key: string } | { error: string };
  abortedUploads: number;
}

export interface GcOptions {
  graceMs: number;
  now?: Date;
  dryRun?: boolean;
  /** The committed version's snapshot when the caller just wrote it (saves reading it back). */
  current?: VersionSnapshot;
  /** false: no audit entry in the store (a client's mirror replica holds no provider-private data). */
  audit?: boolean;
}

/** Every key a version references: file hrefs, item JSON, the item index. */
export function keysOfSnapshot(s: VersionSnapshot): Set<string> {
  const keys = new Set<string>([LIB_KEY]);
  keys.add(hrefToKey(s.lib.itemsHref, 'itemsHref'));
  for (const item of s.items) {
    keys.add(hrefToKey(item.selfHref, item.name));
    for (const f of item.files) for (const h of f.hrefs) keys.add(hrefToKey(h, item.name));
  }
  return keys;
}

export async function collectGarbage(store: ObjectStore, options: GcOptions): Promise<GcResult> {
  const now = options.now ?? new Date();
  const cutoff = now.getTime() - options.graceMs;
  const result: GcResult = {
    deleted: [],
    deletedBytes: 0,
    kept: 0,
    liveVersions: [],
    retainedVersions: [],
    abortedUploads: 0,
  };
  const lib = options.current?.lib ?? (await readJsonKey(store, LIB_KEY, parseLibJson));
  if (lib === undefined) return result;
  const current = options.current ?? (await readSnapshot(store, lib.version));
  if (current === undefined) return result; // not (yet) a claas library: nothing is known to be garbage

  // Walk back from the current version while the successor's commit is within the grace period.
  const live = keysOfSnapshot(current);
  const known = new Set(live);
  result.liveVersions.push(Number(lib.version));
  let successorCommitted = Date.parse(current.committedAt);
  for (let v = Number(lib.version) - 1; v >= 1; v -= 1) {
    const snap = await readSnapshot(store, v);
    if (snap === undefined) break;
    const keys = keysOfSnapshot(snap);
    const stillLive = successorCommitted > cutoff;
    for (const k of keys) (stillLive ? live : known).add(k);
    if (stillLive) result.liveVersions.push(v);
    if (!stillLive) break; // one dead version read, so its keys are known to be ours
    successorCommitted = Date.parse(snap.committedAt);
  }

  // Versions someone asked to keep (claas archive retain): their keys stay, whatever their age.
  for (const v of [...(await retainedVersions(store))].sort((a, b) => b - a)) {
    if (result.liveVersions.includes(v)) continue;
    const snap = await readSnapshot(store, v);
    if (snap === undefined) continue;
    for (const k of keysOfSnapshot(snap)) live.add(k);
    result.retainedVersions.push(v);
  }

  const doomed: { key: string; size: number }[] = [];
  for await (const obj of store.list('')) {
    if (isInternalKey(obj.key) || live.has(obj.key)) continue;
    if (!isClaasManagedKey(obj.key) && !known.has(obj.key)) continue;
    // A key of a dead version goes now; any other unreferenced key of ours only once it is old enough
    // (it may be an upload of a run that will still resume and commit).
    if (!known.has(obj.key) && obj.mtime.getTime() > cutoff) {
      result.kept += 1;
      continue;
    }
    doomed.push({ key: obj.key, size: obj.size });
  }
  if (!options.dryRun && doomed.length > 0) await store.delete(doomed.map((d) => d.key));
  result.deleted = doomed.map((d) => d.key);
  result.deletedBytes = doomed.reduce((n, d) => n + d.size, 0);
  if (!options.dryRun && doomed.length > 0 && options.audit !== false) {
    try {
      const entry = await appendAudit(store, {
        action: 'gc',
        library: { id: lib.id, name: lib.name, version: Number(lib.version) },
        summary: `deleted ${doomed.length} superseded objects (${result.deletedBytes} bytes)`,
        details: {
          deleted: result.deleted,
          deletedBytes: result.deletedBytes,
          liveVersions: result.liveVersions,
          retainedVersions: result.retainedVersions,
        },
      });
      result.audit = { key: entry.key };
    } catch (e) {
      result.audit = { error: e instanceof Error ? e.message : String(e) };
    }
  }

  const uploads = store.features.multipart;
  if (uploads !== undefined) {
    for (const u of await uploads.list()) {
      if (u.initiated.getTime() > cutoff) continue;
      if (!options.dryRun) await uploads.abort(u.key, u.uploadId);
      result.abortedUploads += 1;
    }
  }
  return result;
}
