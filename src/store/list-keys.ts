// Every object of a store by key, from one listing (what the publish engine and early uploads compare
// planned files against: a content-addressed key with the right size already holds the right bytes).

import type { ObjectStore, StoredObject } from './types.js';

export async function listKeys(store: ObjectStore): Promise<Map<string, StoredObject>> {
  const map = new Map<string, StoredObject>();
  for await (const obj of store.list('')) map.set(obj.key, obj);
  return map;
}
