// Item history from claas's own immutable version snapshots (.claas/versions/<N>.json, never deleted):
// every version an item had, the library version that published it, when and by whom, its files with size
// and SHA-256, and whether those bytes are still in the store (garbage collection deletes the bytes of
// superseded versions after the grace period unless the version is retained).

import type { ObjectStore } from '../store/types.js';
import type { ItemJson, VersionSnapshot } from '../vcsp/types.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { ClaasError } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import { LIB_KEY, VERSIONS_PREFIX, versionFromSnapshotKey } from '../publish/layout.js';
import { readJsonKey, readSnapshot } from '../publish/state.js';
import { parseLibJson } from '../vcsp/schema.js';
import { entriesByVersion, readAudit } from '../publish/audit.js';
import type { StoredAuditEntry } from '../publish/audit.js';
import { retainedVersions } from '../publish/retain.js';

export interface HistoryFile {
  name: string;
  size: number;
  /** Recorded SHA-256 (absent only for files of adopted libraries claas never hashed). */
  sha256?: string;
  href: string;
  key: string;
  /** The object is in the store with the recorded size. */
  retrievable: boolean;
}

export interface HistoryVersion {
  itemId: string;
  itemVersion: number;
  /** The library version that published this item version. */
  libraryVersion: number;
  /** Every library version that contained it. */
  libraryVersions: number[];
  /** When the publishing library version was committed. */
  committedAt: string;
  publisher?: string;
  /** What committed it, from the audit log (publish, rollback, restore, import, adopt). */
  action?: string;
  description: string;
  type: ItemJson['type'];
  files: HistoryFile[];
  /** Every file's bytes are still in the store. */
  retrievable: boolean;
  /** Part of the current library version. */
  current: boolean;
  /** Kept by a retention marker or rule, whatever garbage collection's grace period says. */
  retained: boolean;
}

export interface ItemHistory {
  item: string;
  library: { id: string; name: string; version: number };
  /** Oldest first. */
  versions: HistoryVersion[];
  /** Library versions in which the item was removed. */
  removals: { libraryVersion: number; committedAt: string; publisher?: string }[];
}

/** Library versions with a snapshot, ascending. */
export async function snapshotVersions(store: ObjectStore): Promise<number[]> {
  const versions: number[] = [];
  for await (const obj of store.list(VERSIONS_PREFIX)) {
    const v = versionFromSnapshotKey(obj.key);
    if (v !== undefined) versions.push(v);
  }
  return versions.sort((a, b) => a - b);
}

/** Every committed version's snapshot (none past lib.json's version: those are uncommitted leftovers). */
export async function readCommittedSnapshots(
  store: ObjectStore,
): Promise<{ current: number; snapshots: VersionSnapshot[] }> {
  const lib = await readJsonKey(store, LIB_KEY, parseLibJson);
  if (lib === undefined) {
    throw new ClaasError('NOT_A_LIBRARY', `${store.display} holds no library (no lib.json)`, {
      input: store.display,
      hint: 'check the location (--location or the origin in --config)',
    });
  }
  const current = Number(lib.version);
  const versions = (await snapshotVersions(store)).filter((v) => v <= current);
  if (!versions.includes(current)) {
    throw new ClaasError('NOT_A_LIBRARY', `${store.display} was not written by claas (no version snapshot)`, {
      input: store.display,
      hint: 'publish it once with `claas publish --adopt`; history starts with the adopted version',
    });
  }
  const snapshots = await mapLimited(versions, 8, (v) => readSnapshot(store, v));
  return { current, snapshots: snapshots.filter((s): s is VersionSnapshot => s !== undefined) };
}

export interface AssembleOptions {
  current: number;
  /** key -> size of what the store holds (for `retrievable`); omitted = unknown, reported as false. */
  present?: Map<string, number>;
  /** Library version -> the audit entries that committed it. */
  audit?: Map<number, StoredAuditEntry[]>;
  retained?: Set<number>;
}

/** The history of one item across snapshots (pure: no I/O). */
export function assembleHistory(
  item: string,
  snapshots: VersionSnapshot[],
  o: AssembleOptions,
): ItemHistory | undefined {
  const sorted = [...snapshots].sort((a, b) => Number(a.lib.version) - Number(b.lib.version));
  const latest = sorted[sorted.length - 1];
  if (latest === undefined) return undefined;
  const versions = new Map<string, HistoryVersion>();
  const removals: ItemHistory['removals'] = [];
  let seen = false;
  let wasPresent = false;
  for (const s of sorted) {
    const libVersion = Number(s.lib.version);
    const entry = o.audit?.get(libVersion)?.[0];
    const publisher = s.publisher ?? entry?.actor.name;
    const it = s.items.find((i) => i.name === item);
    if (it === undefined) {
      if (wasPresent) {
        removals.push({
          libraryVersion: libVersion,
          committedAt: s.committedAt,
          ...(publisher === undefined ? {} : { publisher }),
        });
      }
      wasPresent = false;
      continue;
    }
    seen = true;
    wasPresent = true;
    const id = `${it.id}#${it.version}`;
    const known = versions.get(id);
    if (known !== undefined) {
      known.libraryVersions.push(libVersion);
      continue;
    }
    const files: HistoryFile[] = it.files.map((f) => {
      const href = f.hrefs[0] ?? '';
      const key = hrefToKey(href, `${item}/${f.name}`);
      const sha256 = s.hashes[href];
      return {
        name: f.name,
        size: f.size,
        ...(sha256 === undefined ? {} : { sha256 }),
        href,
        key,
        retrievable: o.present?.get(key) === f.size,
      };
    });
    versions.set(id, {
      itemId: it.id,
      itemVersion: Number(it.version),
      libraryVersion: libVersion,
      libraryVersions: [libVersion],
      committedAt: s.committedAt,
      ...(publisher === undefined ? {} : { publisher }),
      ...(entry === undefined ? {} : { action: entry.action }),
      description: it.description,
      type: it.type,
      files,
      retrievable: files.every((f) => f.retrievable),
      current: false,
      retained: false,
    });
  }
  if (!seen) return undefined;
  const out = [...versions.values()];
  for (const v of out) {
    v.current = v.libraryVersions.includes(o.current);
    v.retained = v.libraryVersions.some((lv) => o.retained?.has(lv) === true);
  }
  return {
    item,
    library: { id: latest.lib.id, name: latest.lib.name, version: o.current },
    versions: out,
    removals,
  };
}

/** key -> size for every object below the folders the given keys live in (one listing per folder). */
export async function presentSizes(store: ObjectStore, keys: Iterable<string>): Promise<Map<string, number>> {
  const folders = new Set<string>();
  for (const key of keys) {
    const slash = key.indexOf('/');
    folders.add(slash < 0 ? key : key.slice(0, slash + 1));
  }
  const sizes = new Map<string, number>();
  await mapLimited([...folders], 4, async (folder) => {
    for await (const obj of store.list(folder)) sizes.set(obj.key, obj.size);
  });
  return sizes;
}

/** Names of the items of a snapshot (for "no such item" hints). */
function itemNames(s: VersionSnapshot | undefined): string {
  const names = (s?.items ?? []).map((i) => i.name);
  return names.length === 0 ? 'the library has no items' : `items now: ${names.slice(0, 12).join(', ')}`;
}

/** The full history of an item, read from the store (snapshots, audit log, retention, present objects). */
export async function itemHistory(store: ObjectStore, item: string): Promise<ItemHistory> {
  const { current, snapshots } = await readCommittedSnapshots(store);
  const keys = snapshots.flatMap((s) =>
    s.items
      .filter((i) => i.name === item)
      .flatMap((i) => i.files.map((f) => hrefToKey(f.hrefs[0] ?? '', `${item}/${f.name}`))),
  );
  const [present, audit, retained] = await Promise.all([
    presentSizes(store, keys),
    readAudit(store).then((r) => entriesByVersion(r.entries)),
    retainedVersions(store),
  ]);
  const history = assembleHistory(item, snapshots, { current, present, audit, retained });
  if (history === undefined) {
    throw new ClaasError('NOT_FOUND', `no version of the library ever had an item named "${item}"`, {
      input: item,
      hint: itemNames(snapshots[snapshots.length - 1]),
    });
  }
  return history;
}
