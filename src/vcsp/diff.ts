// Version planning: from the previous committed version and the desired items, the next version.
// Keeps invariant 2: an unchanged item is carried over as it was (same id, version, files), a changed
// item keeps its id and goes up by one, and the library version goes up only when something changed.

import { ClaasError, badInput } from '../errors.js';
import { makeItem, makeLib, isoNow, newUrn } from './build.js';
import { assertSafeItemName, encodeHref, hrefToKey, isSafeSegment } from './hrefs.js';
import type { ItemJson, ItemType, LibJson, VersionSnapshot } from './types.js';

export interface DesiredFile {
  name: string;
  size: number;
  sha256: string;
}

export interface DesiredItem {
  name: string;
  description: string;
  type: ItemType;
  isVappTemplate?: boolean;
  files: DesiredFile[];
}

export interface PreviousState {
  lib: LibJson;
  items: ItemJson[];
  /** href -> lowercase hex SHA-256 */
  hashes: Record<string, string>;
}

export type ItemChange = {
  name: string;
  kind: 'added' | 'changed' | 'removed' | 'unchanged';
  reasons: string[];
  fromVersion?: number;
  toVersion?: number;
};

export interface NewFile {
  href: string;
  key: string;
  itemName: string;
  file: DesiredFile;
}

export interface NextState {
  lib: LibJson;
  items: ItemJson[];
  hashes: Record<string, string>;
  changes: ItemChange[];
  libChanged: boolean;
  /** files the new version references that the previous one did not: must be uploaded before commit */
  newFiles: NewFile[];
}

/** Folder names the library root already uses (compared case-insensitively). */
const RESERVED_NAMES = new Set(['.claas', 'lib.json', 'items.json']);
const SHA256_HEX = /^[0-9a-f]{64}$/;

const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

function ownValue(record: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function integerOf(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new ClaasError('PROTOCOL', `${what}: version ${JSON.stringify(value)} is not an integer`, {
      input: what,
      hint: 'The previous library version is damaged; verify it with `claas verify`.',
    });
  }
  return n;
}

/** Checks the desired items (safe, unique names; plausible files) and returns them sorted by name. */
function checkDesired(items: DesiredItem[]): DesiredItem[] {
  const seen = new Map<string, string>();
  for (const item of items) {
    assertSafeItemName(item.name, item.name);
    const folded = item.name.toLowerCase();
    if (RESERVED_NAMES.has(folded)) {
      throw badInput(
        `The item name "${item.name}" is reserved by the library layout`,
        item.name,
        'Rename it.',
      );
    }
    const other = seen.get(folded);
    if (other !== undefined) {
      throw badInput(
        `Two items are named "${other}" and "${item.name}" (names must differ, also in letter case)`,
        item.name,
        'Rename one of them.',
      );
    }
    seen.set(folded, item.name);
    const fileNames = new Set<string>();
    for (const file of item.files) {
      const input = `${item.name}/${file.name}`;
      if (!isSafeSegment(file.name)) {
        throw badInput(`Unsafe file name ${JSON.stringify(file.name)}`, input, 'Rename the file.');
      }
      if (fileNames.has(file.name))
        throw badInput('Two files of one item share a name', input, 'Rename one.');
      fileNames.add(file.name);
      if (!Number.isSafeInteger(file.size) || file.size < 0 || !SHA256_HEX.test(file.sha256)) {
        throw new ClaasError('INTERNAL', `${input}: size or sha256 is invalid`, { input });
      }
    }
  }
  return [...items].sort(byName);
}

function isVappTemplate(item: ItemJson): boolean {
  const entry = item.metadata?.find((m) => m.key === 'type-metadata');
  if (entry === undefined) return false;
  try {
    const value = JSON.parse(entry.value) as { isVappTemplate?: unknown };
    return value.isVappTemplate === 'true' || value.isVappTemplate === true;
  } catch {
    return false;
  }
}

/** The recorded SHA-256 of a previous file record (its first href). */
function previousHash(file: ItemJson['files'][number], hashes: Record<string, string>): string | undefined {
  const href = file.hrefs[0];
  return href === undefined ? undefined : ownValue(hashes, href);
}

/** What differs between a previous item and the desired one; empty when unchanged. */
function changeReasons(previous: ItemJson, desired: DesiredItem, hashes: Record<string, string>): string[] {
  const reasons: string[] = [];
  if (previous.description !== desired.description) reasons.push('description changed');
  if (previous.type !== desired.type) reasons.push(`type changed from ${previous.type} to ${desired.type}`);
  else if (desired.type === 'vcsp.ovf' && isVappTemplate(previous) !== (desired.isVappTemplate === true)) {
    reasons.push('vApp template flag changed');
  }
  const previousFiles = new Map(previous.files.map((f) => [f.name, f]));
  for (const file of desired.files) {
    const old = previousFiles.get(file.name);
    const oldHash = old === undefined ? undefined : previousHash(old, hashes);
    if (old === undefined) reasons.push(`file "${file.name}" added`);
    else if (oldHash === undefined) reasons.push(`file "${file.name}" has no recorded hash`);
    else if (oldHash !== file.sha256) reasons.push(`file "${file.name}" content changed`);
    else if (old.size !== file.size) reasons.push(`file "${file.name}" size changed`);
  }
  const desiredNames = new Set(desired.files.map((f) => f.name));
  for (const old of previous.files)
    if (!desiredNames.has(old.name)) reasons.push(`file "${old.name}" removed`);
  return reasons;
}

/** Where a desired file lives: its previous href when the bytes are the same, else a content address. */
function hrefFor(
  itemName: string,
  file: DesiredFile,
  previous: ItemJson | undefined,
  hashes: Record<string, string>,
): string {
  const old = previous?.files.find((f) => f.name === file.name);
  if (old !== undefined && old.size === file.size && previousHash(old, hashes) === file.sha256) {
    return old.hrefs[0] as string;
  }
  return encodeHref([itemName, file.sha256, file.name]);
}

/** A new or changed item: one version up, same id and creation time, all files at one etag. */
function nextItem(
  desired: DesiredItem,
  old: ItemJson | undefined,
  context: { previousHashes: Record<string, string>; libraryId: string; now: Date },
): { item: ItemJson; files: { file: DesiredFile; href: string }[] } {
  const version = (old === undefined ? 0 : integerOf(old.version, `item "${old.name}"`)) + 1;
  const nowSeconds = Math.floor(context.now.getTime() / 1000);
  const previousGeneration = Math.max(0, ...(old?.files.map((f) => f.generationNum ?? 0) ?? []));
  const files = desired.files.map((file) => ({
    file,
    href: hrefFor(desired.name, file, old, context.previousHashes),
  }));
  const item = makeItem({
    id: old?.id ?? newUrn(),
    name: desired.name,
    description: desired.description,
    version,
    created: old?.created ?? isoNow(context.now),
    type: desired.type,
    folder: desired.name,
    files: files.map(({ file, href }) => ({ name: file.name, size: file.size, href })),
    generationNum: old === undefined ? nowSeconds : Math.max(nowSeconds, previousGeneration + 1),
    libraryId: context.libraryId,
    isVappTemplate: desired.isVappTemplate === true,
  });
  return { item, files };
}

export function planNextVersion(o: {
  previous?: PreviousState;
  name: string;
  description?: string;
  items: DesiredItem[];
  now: Date;
  libraryId?: string;
}): NextState {
  if (o.name.length === 0) throw badInput('The library needs a name', '(library name)', 'Give it a name.');
  const previous = o.previous;
  const previousHashes = previous?.hashes ?? {};
  const libraryId = previous?.lib.id ?? o.libraryId ?? newUrn();
  const previousByName = new Map<string, ItemJson>();
  for (const item of previous?.items ?? [])
    if (!previousByName.has(item.name)) previousByName.set(item.name, item);
  const previouslyReferenced = new Set(previous?.items.flatMap((i) => i.files.flatMap((f) => f.hrefs)) ?? []);

  const items: ItemJson[] = [];
  const changes: ItemChange[] = [];
  const hashes = new Map<string, string>();
  const newFiles: NewFile[] = [];

  const reference = (href: string, sha256: string): void => {
    const known = hashes.get(href) ?? ownValue(previousHashes, href);
    if (known !== undefined && known !== sha256) {
      throw new ClaasError('PROTOCOL', `${href}: the previous version records other bytes at this href`, {
        input: href,
        hint: 'The previous library version is inconsistent; verify it with `claas verify`.',
      });
    }
    hashes.set(href, sha256);
  };

  for (const desired of checkDesired(o.items)) {
    const old = previousByName.get(desired.name);
    const reasons = old === undefined ? ['new item'] : changeReasons(old, desired, previousHashes);
    if (old !== undefined && reasons.length === 0) {
      const version = integerOf(old.version, `item "${old.name}"`);
      items.push(old);
      changes.push({
        name: desired.name,
        kind: 'unchanged',
        reasons,
        fromVersion: version,
        toVersion: version,
      });
      for (const file of old.files) {
        const sha256 = previousHash(file, previousHashes) ?? ''; // present: changeReasons checked it
        for (const href of file.hrefs) reference(href, sha256);
      }
      continue;
    }
    const { item, files } = nextItem(desired, old, { previousHashes, libraryId, now: o.now });
    items.push(item);
    changes.push({
      name: desired.name,
      kind: old === undefined ? 'added' : 'changed',
      reasons,
      ...(old === undefined ? {} : { fromVersion: Number(old.version) }),
      toVersion: Number(item.version),
    });
    for (const { file, href } of files) {
      reference(href, file.sha256);
      if (!previouslyReferenced.has(href)) {
        newFiles.push({ href, key: hrefToKey(href, href), itemName: desired.name, file });
      }
    }
  }

  const desiredNames = new Set(o.items.map((i) => i.name));
  for (const old of previousByName.values()) {
    if (desiredNames.has(old.name)) continue;
    changes.push({
      name: old.name,
      kind: 'removed',
      reasons: ['item removed'],
      fromVersion: integerOf(old.version, `item "${old.name}"`),
    });
  }
  changes.sort(byName);

  const description = o.description ?? '';
  const libChanged =
    previous === undefined ||
    changes.some((c) => c.kind !== 'unchanged') ||
    previous.lib.name !== o.name ||
    (previous.lib.description ?? '') !== description;
  const lib =
    previous !== undefined && !libChanged
      ? previous.lib
      : makeLib({
          name: o.name,
          id: libraryId,
          version: previous === undefined ? 1 : integerOf(previous.lib.version, 'lib.json') + 1,
          created: previous?.lib.created ?? isoNow(o.now),
          description,
        });
  return { lib, items, hashes: Object.fromEntries(hashes), changes, libChanged, newFiles };
}

/** The previous state recorded in a claas version snapshot. */
export function readPreviousFromSnapshot(s: VersionSnapshot): PreviousState {
  return { lib: s.lib, items: s.items, hashes: s.hashes };
}
