// Adopting a library another tool wrote (make_vcsp_2018.py, a hand-made tree) in place: keep its library
// id, item ids and versions so existing subscribers download nothing again, hash its files once so claas
// can verify them from then on, and repair file records vCenter trips over (a missing integer
// generationNum) without bumping any version.

import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '../store/types.js';
import type { FileRecord, ItemJson, LibJson } from '../vcsp/types.js';
import type { PreviousState } from '../vcsp/diff.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { ClaasError } from '../errors.js';
import type { EventSink } from './events.js';
import { ignoreEvents } from './events.js';
import { itemSelfHref } from './layout.js';

const CONTENT_ADDRESSED = /(?:^|\/)([0-9a-f]{64})\/[^/]+$/;

export async function hashStoredObject(store: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(await store.read(key), hash);
  return hash.digest('hex');
}

function generationFromCreated(created: string): number {
  const t = Date.parse(created);
  return Number.isFinite(t) ? Math.floor(t / 1000) : 1;
}

/** File records as vCenter needs them: an integer generationNum on every file, one etag per item. */
function repairFiles(item: ItemJson): { files: FileRecord[]; repaired: boolean } {
  let repaired = false;
  const etags = new Set(item.files.map((f) => f.etag));
  const sharedEtag =
    etags.size === 1 && [...etags][0] !== undefined && [...etags][0] !== '' ? [...etags][0]! : item.version;
  const files = item.files.map((f) => {
    const generationNum = Number.isSafeInteger(f.generationNum)
      ? f.generationNum
      : generationFromCreated(item.created);
    if (generationNum !== f.generationNum || f.etag !== sharedEtag) repaired = true;
    return { ...f, etag: sharedEtag, generationNum };
  });
  return { files, repaired };
}

export interface AdoptResult {
  previous: PreviousState;
  /** Items whose stored JSON was repaired and must be rewritten (same id and version). */
  repairedItems: string[];
  hashedFiles: number;
  hashedBytes: number;
}

export async function adoptLibrary(
  store: ObjectStore,
  lib: LibJson,
  items: ItemJson[],
  onEvent: EventSink = ignoreEvents,
): Promise<AdoptResult> {
  const hashes: Record<string, string> = {};
  const repairedItems: string[] = [];
  const adoptedItems: ItemJson[] = [];
  let hashedFiles = 0;
  let hashedBytes = 0;
  for (const item of items) {
    for (const file of item.files) {
      for (const href of file.hrefs) {
        const key = hrefToKey(href, `${store.display}: item "${item.name}" file "${file.name}"`);
        const head = await store.head(key);
        if (head === undefined) {
          throw new ClaasError(
            'NOT_A_LIBRARY',
            `cannot adopt ${store.display}: item "${item.name}" names ${href}, which is missing`,
            {
              input: `${store.display}/${key}`,
              hint: 'repair the library (restore the file or remove the item from items.json) and adopt again',
            },
          );
        }
        if (head.size !== file.size) {
          throw new ClaasError(
            'INTEGRITY',
            `cannot adopt ${store.display}: ${href} has ${head.size} bytes, items.json says ${file.size}`,
            {
              input: `${store.display}/${key}`,
              hint: 'the library is inconsistent; repair it and adopt again',
            },
          );
        }
        const fromPath = CONTENT_ADDRESSED.exec(key)?.[1];
        onEvent({ type: 'hash-progress', path: `${store.display}/${key}`, bytes: 0, total: head.size });
        const sha = await hashStoredObject(store, key);
        if (fromPath !== undefined && fromPath !== sha) {
          throw new ClaasError(
            'INTEGRITY',
            `cannot adopt ${store.display}: ${href} does not hash to the SHA-256 in its path`,
            {
              input: `${store.display}/${key}`,
            },
          );
        }
        onEvent({
          type: 'hash-progress',
          path: `${store.display}/${key}`,
          bytes: head.size,
          total: head.size,
        });
        hashes[href] = sha;
        hashedFiles += 1;
        hashedBytes += head.size;
      }
    }
    const { files, repaired } = repairFiles(item);
    if (repaired) {
      const folder = hrefToKey(item.selfHref, item.name).split('/')[0] ?? item.name;
      adoptedItems.push({ ...item, files, selfHref: itemSelfHref(folder, item.version, item.id) });
      repairedItems.push(item.name);
    } else {
      adoptedItems.push(item);
    }
  }
  return { previous: { lib, items: adoptedItems, hashes }, repairedItems, hashedFiles, hashedBytes };
}
