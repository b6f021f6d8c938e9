// Library items by name: list with details, find, create when missing, delete.

import { ClaasError } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import type { VcenterApi } from './api.js';
import type { ItemInfo } from './types.js';

/** Every item of a library with its details (4 requests in flight). */
export async function listLibraryItems(api: VcenterApi, libraryId: string): Promise<ItemInfo[]> {
  const ids = await api.listItems(libraryId);
  return mapLimited(ids, 4, (id) => api.getItem(id));
}

/** The item of that exact name in the library, if any. */
export async function findItemByName(
  api: VcenterApi,
  libraryId: string,
  name: string,
): Promise<ItemInfo | undefined> {
  const ids = await api.findItems({ libraryId, name });
  const items = await mapLimited(ids, 4, (id) => api.getItem(id));
  return items.find((i) => i.name === name && i.libraryId === libraryId);
}

export async function requireItem(api: VcenterApi, libraryId: string, name: string): Promise<ItemInfo> {
  const item = await findItemByName(api, libraryId, name);
  if (item !== undefined) return item;
  throw new ClaasError('NOT_FOUND', `The library has no item '${name}' on vCenter ${api.server}`, {
    input: name,
    hint: 'Check the item name in the vSphere Client (Content Libraries, Templates / Other Types).',
  });
}

export interface ItemOptions {
  libraryId: string;
  name: string;
  description?: string;
  /** "ovf", "iso" or "file". */
  type?: string;
}

/** The item of that name, created (empty) when missing; its description is brought up to date. */
export async function ensureItem(
  api: VcenterApi,
  o: ItemOptions,
): Promise<{ item: ItemInfo; created: boolean }> {
  const existing = await findItemByName(api, o.libraryId, o.name);
  if (existing === undefined) {
    const id = await api.createItem({
      libraryId: o.libraryId,
      name: o.name,
      ...(o.description === undefined ? {} : { description: o.description }),
      ...(o.type === undefined ? {} : { type: o.type }),
    });
    return { item: await api.getItem(id), created: true };
  }
  if (o.description !== undefined && o.description !== (existing.description ?? '')) {
    await api.updateItem(existing.id, { description: o.description });
    return { item: await api.getItem(existing.id), created: false };
  }
  return { item: existing, created: false };
}
