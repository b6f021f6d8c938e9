// The VCSP subscriber algorithm (docs/vcsp.md), as a vCenter runs it: nothing to do when lib.json's
// version is unchanged; otherwise fetch the items index, download every item that is new or has a
// higher version into `<target>/<item id>/<file name>`, and drop items that are no longer listed.
// End-to-end tests use it to prove what a vCenter would see.

import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClaasError } from '../errors.js';
import { renameDurably, tempPathFor } from '../util/fs-atomic.js';
import { isSafeSegment, parseItemJson, parseItemsJson, parseLibJson } from '../vcsp/index.js';
import type { FileRecord, ItemJson } from '../vcsp/index.js';
import { digestStream, expectedDigests, manifestDigests, mismatches } from './content-check.js';
import type { ExpectedDigest } from './content-check.js';
import type { LibrarySource } from './reader.js';

export interface SyncState {
  libVersion: string;
  libId: string;
  /** item id -> version downloaded */
  items: Record<string, string>;
  /** item id -> name, to name removed items */
  names?: Record<string, string>;
}

export interface SyncResult {
  state: SyncState;
  /** Names of the items downloaded, in index order. */
  downloaded: string[];
  /** Names of the items removed. */
  removed: string[];
  /** lib.json's version was the one synced last time: nothing else was read. */
  unchangedLibrary: boolean;
}

/** True when version a is higher than b (integers as strings; anything else counts as a change). */
function isNewer(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}

function unsafeName(what: string, name: string, where: string): ClaasError {
  return new ClaasError(
    'PROTOCOL',
    `${where}: ${what} ${JSON.stringify(name)} cannot be a local folder or file name`,
    {
      input: where,
      hint: 'A subscriber stores items by id and files by name; ask the publisher to fix the library.',
    },
  );
}

export async function syncLibrary(
  src: LibrarySource,
  targetDir: string,
  state?: SyncState,
): Promise<SyncResult> {
  const lib = parseLibJson((await src.getJson(src.libHref)).text, src.describe);
  if (state !== undefined && state.libId === lib.id && state.libVersion === lib.version) {
    return { state, downloaded: [], removed: [], unchangedLibrary: true };
  }
  // A different library id at the same URL is a new library: nothing of the old one is kept.
  const previous = state !== undefined && state.libId === lib.id ? state : undefined;
  const before = previous?.items ?? {};
  const names: Record<string, string> = { ...(state?.names ?? {}) };
  const items = parseItemsJson((await src.getJson(lib.itemsHref)).text, lib.itemsHref).items;

  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id))
      throw new ClaasError('PROTOCOL', `${lib.itemsHref} lists item id ${item.id} twice`, {
        input: lib.itemsHref,
      });
    seen.add(item.id);
    if (!isSafeSegment(item.id)) throw unsafeName('item id', item.id, lib.itemsHref);
  }

  await mkdir(targetDir, { recursive: true });
  const next: Record<string, string> = {};
  const downloaded: string[] = [];
  for (const entry of items) {
    const had = before[entry.id];
    if (had !== undefined && !isNewer(entry.version, had)) {
      next[entry.id] = had;
      continue;
    }
    const item = parseItemJson((await src.getJson(entry.selfHref)).text, entry.selfHref);
    await downloadItem(src, item, join(targetDir, entry.id));
    next[entry.id] = entry.version;
    names[entry.id] = entry.name;
    downloaded.push(entry.name);
  }

  const removed: string[] = [];
  const gone = Object.keys(state?.items ?? {}).filter((id) => !seen.has(id));
  for (const id of gone) {
    if (isSafeSegment(id)) await rm(join(targetDir, id), { recursive: true, force: true });
    removed.push(names[id] ?? id);
    delete names[id];
  }
  return {
    state: { libVersion: lib.version, libId: lib.id, items: next, names },
    downloaded,
    removed,
    unchangedLibrary: false,
  };
}

/** Downloads every file of an item into dir (verifying size and known hashes), then drops stale files. */
async function downloadItem(src: LibrarySource, item: ItemJson, dir: string): Promise<void> {
  const where = item.selfHref;
  for (const file of item.files) {
    if (!isSafeSegment(file.name)) throw unsafeName('file name', file.name, where);
  }
  await mkdir(dir, { recursive: true });
  const manifest = (await manifestDigests(src, item)).digests;
  for (const file of item.files) await downloadFile(src, item, file, join(dir, file.name), manifest);
  const keep = new Set(item.files.map((f) => f.name));
  for (const name of await readdir(dir)) {
    if (!keep.has(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

async function downloadFile(
  src: LibrarySource,
  item: ItemJson,
  file: FileRecord,
  target: string,
  manifest: Map<string, ExpectedDigest>,
): Promise<void> {
  const href = file.hrefs[0];
  const what = `item "${item.name}" file "${file.name}"`;
  if (href === undefined) {
    throw new ClaasError('PROTOCOL', `${what} has no href`, { input: item.selfHref });
  }
  const expected = expectedDigests(file, href, undefined, manifest);
  const tmp = tempPathFor(target);
  try {
    const got = await digestStream(
      await src.open(href),
      expected.map((d) => d.algo),
      undefined,
      createWriteStream(tmp),
    );
    if (got.bytes !== file.size) {
      throw new ClaasError(
        'INTEGRITY',
        `${what}: downloaded ${got.bytes} bytes, the record says ${file.size}`,
        {
          input: href,
          hint: 'The publisher serves a file that does not match its index; run `claas verify --deep` on it.',
        },
      );
    }
    const wrong = mismatches(expected, got)[0];
    if (wrong !== undefined) {
      throw new ClaasError(
        'INTEGRITY',
        `${what}: ${wrong.algo.toUpperCase()} is ${got.digests[wrong.algo]}, expected ${wrong.hex} (from ${wrong.from})`,
        { input: href, hint: 'The publisher serves corrupt bytes; run `claas verify --deep` on it.' },
      );
    }
    await renameDurably(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
