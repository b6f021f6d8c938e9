// What a remote source (a VCSP URL, a vCenter library) hands the import pipeline: the library, its items
// (cheap to list; files read only when an item must be downloaded), the events an import reports, and the
// checks every remote item list must pass before anything is downloaded.

import type { Readable } from 'node:stream';
import { ClaasError } from '../errors.js';
import type { PublishEvent } from '../publish/events.js';
import { MAX_ITEM_NAME_CHARS, isSafeSegment } from '../vcsp/hrefs.js';
import type { ItemType } from '../vcsp/types.js';
import type { Expected, ImportRecord } from './staging.js';

/** One file of a remote item: what the source declares and how to read it once. */
export interface RemoteFile {
  name: string;
  size: number;
  /** Digests the source states up front (a content-addressed href, a vCenter checksum). */
  expected: Expected[];
  /** The file's address for messages (no credentials). */
  describe: string;
  open(): Promise<Readable>;
}

export interface RemoteItemContent {
  files: RemoteFile[];
  /** Releases what reading the files needed (a vCenter download session). */
  close?(): Promise<void>;
}

export interface RemoteItem {
  /** The source's stable id of the item. */
  id: string;
  /** Changes whenever the item's files may have changed (see decideItem). */
  fingerprint: string;
  name: string;
  description: string;
  type: ItemType;
  /** How messages name the item: `item "photon"` plus where it is listed. */
  where: string;
  /** Reads the item's file list; called only for items that must be downloaded. */
  content(signal: AbortSignal): Promise<RemoteItemContent>;
}

export interface RemoteLibrary {
  kind: ImportRecord['source']['kind'];
  /** What identifies the library across runs (a VCSP library id, a vCenter server + library id). */
  identity: string;
  /** The library's address for messages and the record (no credentials). */
  url: string;
  name: string;
  description?: string;
  items: RemoteItem[];
  /** Oddities found while listing (items skipped, quirks). */
  warnings: { message: string; input?: string }[];
}

export type ImportEvent =
  | PublishEvent
  | { type: 'import-item'; name: string; action: 'reuse' | 'fetch'; reason: string }
  | { type: 'import-file'; item: string; file: string; size: number; action: 'download' | 'dedupe' };

export interface ImportedItem {
  name: string;
  action: 'reused' | 'fetched';
  reason: string;
}

const RESERVED_NAMES = new Set(['.claas', 'lib.json', 'items.json']);

/** A PROTOCOL error about the source: what is wrong, where, and that nothing was imported. */
export function refused(where: string, message: string, input: string, hint?: string): ClaasError {
  return new ClaasError('PROTOCOL', `${where}: ${message}`, {
    input,
    hint: hint ?? 'The source library is not usable as it is; ask its owner to fix it. Nothing was imported.',
  });
}

/** Names and ids every item must have before anything is downloaded. */
export function checkRemoteItems(remote: RemoteLibrary): void {
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  for (const item of remote.items) {
    const name = item.name;
    const shown = JSON.stringify(name.slice(0, 100));
    const problem = !isSafeSegment(name)
      ? 'is not a safe folder name (empty, "." or "..", a slash, backslash or control character, ' +
        'leading or trailing spaces, or an encoded separator)'
      : [...name].length > MAX_ITEM_NAME_CHARS
        ? `has more than ${MAX_ITEM_NAME_CHARS} characters (vCenter's limit)`
        : RESERVED_NAMES.has(name.toLowerCase())
          ? 'is reserved by the library layout'
          : undefined;
    if (problem !== undefined) {
      throw refused(`${remote.url}: ${item.where}`, `the item name ${shown} ${problem}`, remote.url);
    }
    const otherId = ids.get(item.id);
    if (otherId !== undefined) {
      throw refused(
        `${remote.url}: ${item.where}`,
        `item id ${JSON.stringify(item.id)} is used twice (also by item ${JSON.stringify(otherId)})`,
        remote.url,
      );
    }
    ids.set(item.id, name);
    const otherName = names.get(name.toLowerCase());
    if (otherName !== undefined) {
      throw refused(
        `${remote.url}: ${item.where}`,
        `two items are named ${JSON.stringify(otherName)} and ${shown} (names must differ, also in letter case)`,
        remote.url,
      );
    }
    names.set(name.toLowerCase(), name);
  }
}
