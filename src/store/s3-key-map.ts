// Where an S3 library store keeps each key (issue 16). Public keys live under the library prefix as always;
// provider-private keys (private-keys.ts) live in the library's private area under the control prefix,
// `<controlPrefix>/libraries/<prefix>/<key>`, outside the library prefix, so that a replication rule whose
// filter is the library prefix (a client's cross-account replica) never carries them. Libraries written
// before keep private objects under the prefix (the legacy place): reads fall back to it, listings merge it,
// deletes remove both, and `claas replication apply` moves them (PrivateArea.migrate, s3-private-area.ts).
//
// Only library stores opened with a private area relocate: local folders, stores at the bucket root (nothing
// can be kept out of a root library's replication) and stores rooted at the control prefix itself do not.

import { isPrivateKey, listingMayHoldPrivate } from './private-keys.js';
import type { StoredObject } from './types.js';

/** A library's private area: the bucket key prefix (with its trailing '/') of its provider-private keys. */
export function privateAreaBase(controlPrefix: string, libraryPrefix: string): string {
  return `${controlPrefix}/libraries/${libraryPrefix}/`;
}

/** True when a library prefix is the control prefix or lies under it (such a store does not relocate). */
export function isUnderControlPrefix(libraryPrefix: string, controlPrefix: string): boolean {
  return libraryPrefix === controlPrefix || libraryPrefix.startsWith(`${controlPrefix}/`);
}

/** One place a listing looks: a bucket key prefix, and whether only private keys found there count. */
export interface ListPlace {
  base: string;
  privateOnly: boolean;
}

export class S3KeyMap {
  /** The library prefix with its trailing '/' ('' = the bucket root). */
  readonly base: string;
  /** The private area with its trailing '/', or undefined when this store does not relocate. */
  readonly privateBase: string | undefined;

  constructor(libraryPrefix: string, controlPrefix: string | undefined) {
    this.base = libraryPrefix === '' ? '' : `${libraryPrefix}/`;
    this.privateBase =
      controlPrefix === undefined ||
      libraryPrefix === '' ||
      isUnderControlPrefix(libraryPrefix, controlPrefix)
        ? undefined
        : privateAreaBase(controlPrefix, libraryPrefix);
  }

  /** True when `key` lives in the private area. */
  relocates(key: string): boolean {
    return this.privateBase !== undefined && isPrivateKey(key);
  }

  /** The bucket key that holds `key`. */
  objectKey(key: string): string {
    return this.relocates(key) ? `${this.privateBase}${key}` : `${this.base}${key}`;
  }

  /** Where an older claas kept a relocated key (under the library prefix), or undefined. */
  legacyKey(key: string): string | undefined {
    return this.relocates(key) ? `${this.base}${key}` : undefined;
  }

  /** The store key of a bucket key found under `base`. */
  storeKey(bucketKey: string, base: string): string {
    return bucketKey.slice(base.length);
  }

  /** Where a listing of `prefix` looks: the private area first (it wins on equal keys), then the prefix. */
  places(prefix: string): ListPlace[] {
    const pub: ListPlace = { base: this.base, privateOnly: false };
    if (this.privateBase === undefined || !listingMayHoldPrivate(prefix)) return [pub];
    return [{ base: this.privateBase, privateOnly: true }, pub];
  }
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Merges listings that are each in key order (S3's: UTF-8 byte order) into one in key order; a key found in
 * several comes from the first listing that has it.
 */
export async function* mergeListings(
  listings: AsyncIterable<StoredObject>[],
): AsyncGenerator<StoredObject, void, undefined> {
  const iters = listings.map((l) => l[Symbol.asyncIterator]());
  const heads = await Promise.all(iters.map((i) => i.next()));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done === true) continue;
      if (best < 0 || byteOrder(h.value.key, (heads[best]!.value as StoredObject).key) < 0) best = i;
    }
    if (best < 0) return;
    const obj = heads[best]!.value as StoredObject;
    yield obj;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done !== true && (i === best || h.value.key === obj.key)) heads[i] = await iters[i]!.next();
    }
  }
}

/** The private keys of a listing (what the private area may hold; anything else there is not this store's). */
export async function* onlyPrivate(listing: AsyncIterable<StoredObject>): AsyncIterable<StoredObject> {
  for await (const o of listing) if (isPrivateKey(o.key)) yield o;
}
