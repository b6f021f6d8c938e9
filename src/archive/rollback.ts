// `claas rollback <item> --item-version <n>`: the item's content as it was in that version (files,
// description, type) is published again as a NEW, higher item version in a new library version, so every
// subscriber re-syncs it. Other items are carried over unchanged. The old bytes are still in the store
// (immutable content-addressed keys) unless garbage collection removed them; then the rollback is refused
// with a pointer to archives and retention.

import type { ObjectStore } from '../store/types.js';
import type { ItemJson, VersionSnapshot } from '../vcsp/types.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { ClaasError, badInput } from '../errors.js';
import type { PublishResult } from '../publish/publish.js';
import { presentSizes, readCommittedSnapshots } from './history.js';
import { republish, republishSettings, storedItemOf } from './republish.js';
import type { RepublishResult, RepublishSettings, StoredItem } from './republish.js';

export interface RollbackOptions extends RepublishSettings {
  store: ObjectStore;
  item: string;
  /** The item version whose content to publish again. */
  toVersion?: number;
  /** Alternatively: the item as it was in this library version. */
  libraryVersion?: number;
}

export interface RollbackResult {
  item: string;
  /** The version whose content was published again. */
  restored: { itemVersion: number; itemId: string; libraryVersion: number; committedAt: string };
  /** The item version before the rollback (undefined when the item had been removed). */
  fromItemVersion?: number;
  /** The new item version (undefined for a dry run or when nothing changed). */
  toItemVersion?: number;
  files: { name: string; size: number; sha256: string }[];
  publish: PublishResult;
  copied: RepublishResult['copied'];
  auditKey?: string;
}

function key(href: string, what: string): string {
  return hrefToKey(href, what);
}

/** The snapshot and item the rollback restores. */
export function findSource(
  snapshots: VersionSnapshot[],
  item: string,
  o: { toVersion?: number; libraryVersion?: number },
): { snapshot: VersionSnapshot; item: ItemJson } {
  if (o.libraryVersion !== undefined) {
    const snapshot = snapshots.find((s) => Number(s.lib.version) === o.libraryVersion);
    if (snapshot === undefined) {
      throw badInput(`library version ${o.libraryVersion} has no snapshot`, String(o.libraryVersion));
    }
    const it = snapshot.items.find((i) => i.name === item);
    if (it === undefined) {
      throw badInput(
        `library version ${o.libraryVersion} has no item "${item}"`,
        item,
        'see `claas history <item>` for the versions it had',
      );
    }
    return { snapshot, item: it };
  }
  // Newest first: an item removed and published again restarts at version 1 with a new id; the newest
  // occurrence is the one meant.
  for (const s of [...snapshots].sort((a, b) => Number(b.lib.version) - Number(a.lib.version))) {
    const it = s.items.find((i) => i.name === item && Number(i.version) === o.toVersion);
    if (it === undefined) continue;
    // The first library version that had this item version (its committedAt is the version's date).
    const first = [...snapshots]
      .sort((a, b) => Number(a.lib.version) - Number(b.lib.version))
      .find((x) => x.items.some((i) => i.id === it.id && i.version === it.version));
    return { snapshot: first ?? s, item: it };
  }
  const versions = [
    ...new Set(
      snapshots.flatMap((s) => s.items.filter((i) => i.name === item).map((i) => Number(i.version))),
    ),
  ].sort((a, b) => a - b);
  if (versions.length === 0) {
    throw new ClaasError('NOT_FOUND', `no version of the library ever had an item named "${item}"`, {
      input: item,
    });
  }
  throw badInput(
    `item "${item}" never had version ${o.toVersion}`,
    String(o.toVersion),
    `its versions: ${versions.join(', ')} (claas history ${item})`,
  );
}

export async function rollbackItem(o: RollbackOptions): Promise<RollbackResult> {
  if ((o.toVersion === undefined) === (o.libraryVersion === undefined)) {
    throw badInput(
      'give the item version to roll back to (--item-version), or a library version',
      '--item-version',
    );
  }
  const { store } = o;
  const { current, snapshots } = await readCommittedSnapshots(store);
  const now = snapshots.find((s) => Number(s.lib.version) === current);
  if (now === undefined) throw new ClaasError('INTERNAL', `no snapshot of the current version ${current}`);
  const source = findSource(snapshots, o.item, o);
  const currentItem = now.items.find((i) => i.name === o.item);
  if (
    currentItem !== undefined &&
    currentItem.id === source.item.id &&
    currentItem.version === source.item.version
  ) {
    throw badInput(
      `item "${o.item}" is at version ${currentItem.version} already`,
      String(o.toVersion ?? o.libraryVersion),
      'give an older version (claas history shows them)',
    );
  }

  // The old bytes must still be in the store.
  const keyOf = (href: string) => key(href, `${o.item} (library version ${source.snapshot.lib.version})`);
  const restored = storedItemOf(source.item, source.snapshot, store, keyOf);
  const present = await presentSizes(
    store,
    restored.files.map((f) => f.source.key),
  );
  const gone = restored.files.filter((f) => present.get(f.source.key) !== f.size);
  if (gone.length > 0) {
    throw new ClaasError(
      'NOT_FOUND',
      `the bytes of item "${o.item}" version ${source.item.version} are no longer in ${store.display}: ` +
        gone.map((f) => `${f.name} (${f.source.key})`).join(', '),
      {
        input: `${o.item} version ${source.item.version}`,
        hint:
          'garbage collection removed them after the grace period; restore that library version from an ' +
          'archive (claas archive list / restore), and keep versions you may roll back to with ' +
          '`claas archive retain <library-version>`',
      },
    );
  }

  const items: StoredItem[] = now.items
    .filter((i) => i.name !== o.item)
    .map((i) => storedItemOf(i, now, store, (href) => key(href, i.name)));
  items.push(restored);
  const details = {
    item: o.item,
    restoredItemVersion: Number(source.item.version),
    restoredFromLibraryVersion: Number(source.snapshot.lib.version),
    ...(currentItem === undefined ? {} : { replacedItemVersion: Number(currentItem.version) }),
  };
  const r = await republish({
    store,
    items,
    action: 'rollback',
    ...republishSettings(o),
    summary: `rollback of "${o.item}" to the content of its version ${source.item.version}`,
    details,
  });
  const change = r.publish.changes.find((c) => c.name === o.item);
  return {
    item: o.item,
    restored: {
      itemVersion: Number(source.item.version),
      itemId: source.item.id,
      libraryVersion: Number(source.snapshot.lib.version),
      committedAt: source.snapshot.committedAt,
    },
    ...(currentItem === undefined ? {} : { fromItemVersion: Number(currentItem.version) }),
    ...(change?.toVersion === undefined || !(r.publish.committed || r.publish.dryRun)
      ? {}
      : { toItemVersion: change.toVersion }),
    files: restored.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
    publish: r.publish,
    copied: r.copied,
    ...(r.audit === undefined ? {} : { auditKey: r.audit.key }),
  };
}
