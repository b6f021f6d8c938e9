// Reads what a library location holds now: nothing, a claas library (lib.json + its snapshot), or a
// library some other tool wrote (lib.json without a snapshot, e.g. make_vcsp_2018.py output) that can be
// adopted in place. Only reads; never writes. Also what a version snapshot looks like in a client's replica
// (publicSnapshot: without the publisher identity older snapshots carry).

import type { ObjectStore } from '../store/types.js';
import type { ItemJson, LibJson, VersionSnapshot } from '../vcsp/types.js';
import { parseItemJson, parseItemsJson, parseLibJson, parseSnapshot } from '../vcsp/schema.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { ClaasError } from '../errors.js';
import { LIB_KEY, isClaasManagedKey, isInternalKey, snapshotKey } from './layout.js';

export type LibraryState =
  | { kind: 'empty' }
  | { kind: 'claas'; lib: LibJson; snapshot: VersionSnapshot }
  | { kind: 'foreign'; lib: LibJson; items: ItemJson[]; itemJsons: Map<string, ItemJson> };

export async function readJsonKey<T>(
  store: ObjectStore,
  key: string,
  parse: (text: string, input: string) => T,
): Promise<T | undefined> {
  const bytes = await store.readBytes(key);
  if (bytes === undefined) return undefined;
  return parse(bytes.toString('utf8'), `${store.display}/${key}`);
}

export async function readSnapshot(
  store: ObjectStore,
  version: number | string,
): Promise<VersionSnapshot | undefined> {
  return readJsonKey(store, snapshotKey(version), parseSnapshot);
}

/**
 * A snapshot as a client's replica may hold it: the VCSP documents, hashes and commit time, without the
 * `publisher` identity (an ARN, access key id, profile or user@host) that snapshots written before issue 16
 * carry. Who published stays in the provider's audit log. Parsing drops fields the schema does not know, so
 * a parsed snapshot holds no other identity.
 */
export function publicSnapshot(snapshot: VersionSnapshot): VersionSnapshot {
  const { publisher: _publisher, ...rest } = snapshot;
  return rest;
}

/** True when a snapshot names who published it (written before issue 16): mirror writes it stripped. */
export function snapshotNamesIdentity(snapshot: VersionSnapshot): boolean {
  return snapshot.publisher !== undefined;
}

/**
 * A key claas did not write. claas's own keys without a lib.json are a first publish under way or
 * interrupted (content-addressed files go up before anything references them): publishing goes on there.
 */
async function hasForeignContent(store: ObjectStore): Promise<string | undefined> {
  for await (const obj of store.list('')) {
    if (!isInternalKey(obj.key) && !isClaasManagedKey(obj.key)) return obj.key;
  }
  return undefined;
}

export async function readLibraryState(store: ObjectStore): Promise<LibraryState> {
  const lib = await readJsonKey(store, LIB_KEY, parseLibJson);
  if (lib === undefined) {
    const other = await hasForeignContent(store);
    if (other !== undefined) {
      throw new ClaasError(
        'NOT_A_LIBRARY',
        `${store.display} is not empty and holds no library (found ${other})`,
        {
          input: store.display,
          hint: 'publish to an empty location or to an existing library; claas never writes into a folder or prefix that holds other data',
        },
      );
    }
    return { kind: 'empty' };
  }
  const snapshot = await readSnapshot(store, lib.version);
  if (snapshot !== undefined) {
    if (snapshot.lib.id !== lib.id) {
      throw new ClaasError(
        'CONFLICT',
        `${store.display}: lib.json (id ${lib.id}) does not match claas's snapshot of version ${lib.version} (id ${snapshot.lib.id})`,
        {
          input: `${store.display}/${LIB_KEY}`,
          hint: 'lib.json was changed by another tool; restore it or re-adopt with --adopt',
        },
      );
    }
    return { kind: 'claas', lib, snapshot };
  }
  const itemsKey = hrefToKey(lib.itemsHref, `${store.display}/${LIB_KEY}: itemsHref`);
  const index = await readJsonKey(store, itemsKey, parseItemsJson);
  if (index === undefined) {
    throw new ClaasError(
      'NOT_A_LIBRARY',
      `${store.display}: lib.json names ${lib.itemsHref}, which is missing`,
      {
        input: `${store.display}/${itemsKey}`,
        hint: 'the library is broken; restore the item index or publish to a new location',
      },
    );
  }
  const itemJsons = new Map<string, ItemJson>();
  for (const item of index.items) {
    const key = hrefToKey(item.selfHref, `${store.display}/${itemsKey}: item "${item.name}" selfHref`);
    const itemJson = await readJsonKey(store, key, parseItemJson);
    if (itemJson !== undefined) itemJsons.set(item.id, itemJson);
  }
  return { kind: 'foreign', lib, items: index.items, itemJsons };
}
