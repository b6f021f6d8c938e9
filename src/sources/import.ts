// The import pipeline the remote sources share (a VCSP URL, a vCenter library): decide per item whether
// the destination already has it (the import record), stream the others' files through the staging area
// with every digest the source states checked on the way, check OVF items (one descriptor, references
// present, manifest digests), then hand the engine SourceItems whose files are `stored` origins and let it
// plan, copy and commit. Anything wrong with the source fails before the engine runs: the destination's
// library is untouched and the staging keys are removed.

import type { Readable } from 'node:stream';
import { ClaasError } from '../errors.js';
import { hashAlgoOf, parseManifest } from '../content/manifest.js';
import type { ManifestEntry } from '../content/manifest.js';
import { MAX_DESCRIPTOR_BYTES, parseOvfDescriptor } from '../content/ovf.js';
import type { OvfInfo } from '../content/ovf.js';
import type { SourceFile, SourceItem } from '../content/types.js';
import type { PublishEvent } from '../publish/events.js';
import { publish } from '../publish/publish.js';
import type { PublishOptions, PublishResult } from '../publish/publish.js';
import { readLibraryState } from '../publish/state.js';
import { mapLimited } from '../util/pool.js';
import { MAX_ITEM_NAME_CHARS, isSafeSegment } from '../vcsp/hrefs.js';
import type { ItemType } from '../vcsp/types.js';
import {
  StagingArea,
  addExpected,
  cleanStaleStaging,
  decideItem,
  destinationIndex,
  importRecordKey,
  readImportRecord,
  recordedItems,
  storedFile,
  writeImportRecord,
} from './staging.js';
import type { DestinationIndex, Expected, ImportRecord, RecordedItem } from './staging.js';

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

export interface ImportOptions extends Omit<PublishOptions, 'state' | 'onEvent' | 'dryRun'> {
  onEvent?: (e: ImportEvent) => void;
  /** Items downloaded at once (default 2; files of one item go one after the other). */
  itemConcurrency?: number;
  /** Size of staging parts on S3 for files of unknown SHA-256 (tests make it small). */
  stagingChunkBytes?: number;
}

export interface ImportedItem {
  name: string;
  action: 'reused' | 'fetched';
  reason: string;
}

export interface ImportResult {
  source: { kind: RemoteLibrary['kind']; url: string; name: string };
  location: string;
  items: ImportedItem[];
  download: {
    /** Items whose files were read from the source. */
    items: number;
    files: number;
    bytes: number;
    /** Files of fetched items the destination already held (a known SHA-256): not downloaded. */
    dedupedFiles: number;
  };
  publish: PublishResult;
  recordKey: string;
  warnings: string[];
}

/** Descriptors and manifests are kept in memory while staged, to be parsed. */
const MAX_KEPT_BYTES = MAX_DESCRIPTOR_BYTES;
const RESERVED_NAMES = new Set(['.claas', 'lib.json', 'items.json']);

function refused(where: string, message: string, input: string, hint?: string): ClaasError {
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

/** Checks a fetched item's file list: safe, unique names; an OVF item has exactly one descriptor. */
function checkFiles(remote: RemoteLibrary, item: RemoteItem, files: readonly RemoteFile[]): void {
  const where = `${remote.url}: ${item.where}`;
  const seen = new Set<string>();
  for (const f of files) {
    if (!isSafeSegment(f.name)) {
      throw refused(
        where,
        `file name ${JSON.stringify(f.name.slice(0, 100))} is not a plain file name`,
        f.describe,
      );
    }
    if (seen.has(f.name)) throw refused(where, `lists the file "${f.name}" twice`, f.describe);
    seen.add(f.name);
    if (!Number.isSafeInteger(f.size) || f.size < 0) {
      throw refused(where, `file "${f.name}" has no valid size (${String(f.size)})`, f.describe);
    }
  }
  if (item.type === 'vcsp.ovf') {
    const descriptors = files.filter((f) => f.name.toLowerCase().endsWith('.ovf'));
    if (descriptors.length !== 1) {
      throw refused(
        where,
        `an OVF template needs exactly one .ovf descriptor, it has ${descriptors.length}`,
        remote.url,
      );
    }
  }
}

const extension = (name: string): string => name.slice(name.lastIndexOf('.')).toLowerCase();

/** The manifest of an OVF item: same base name as the descriptor, else the only .mf. */
function manifestOf(
  files: readonly RemoteFile[],
  descriptor: RemoteFile | undefined,
): RemoteFile | undefined {
  const manifests = files.filter((f) => extension(f.name) === '.mf');
  const base = descriptor?.name.slice(0, -'.ovf'.length);
  return (
    manifests.find((f) => f.name === `${base}.mf`) ?? (manifests.length === 1 ? manifests[0] : undefined)
  );
}

interface BuiltItem {
  source: SourceItem;
  recorded: RecordedItem;
  action: ImportedItem;
  downloaded: { files: number; bytes: number; deduped: number };
}

interface Context {
  remote: RemoteLibrary;
  staging: StagingArea;
  index: DestinationIndex;
  store: ImportOptions['store'];
  onEvent: (e: ImportEvent) => void;
  warn: (message: string, input?: string) => void;
}

/** Downloads (or finds at the destination) every file of one item and checks it. */
async function fetchItem(ctx: Context, item: RemoteItem, signal: AbortSignal): Promise<BuiltItem> {
  const { remote } = ctx;
  const where = `${remote.url}: ${item.where}`;
  const content = await item.content(signal);
  try {
    const files = content.files;
    checkFiles(remote, item, files);
    const descriptor =
      item.type === 'vcsp.ovf' ? files.find((f) => f.name.toLowerCase().endsWith('.ovf')) : undefined;
    const manifestFile = item.type === 'vcsp.ovf' ? manifestOf(files, descriptor) : undefined;
    // The manifest first (its digests check the others), then the descriptor, then the rest.
    const rank = (f: RemoteFile) => (f === manifestFile ? 0 : f === descriptor ? 1 : 2);
    const ordered = [...files].sort((a, b) => rank(a) - rank(b));
    let manifest: Map<string, ManifestEntry> | undefined;
    let info: OvfInfo | undefined;
    const out = new Map<string, SourceFile>();
    const stats = { files: 0, bytes: 0, deduped: 0 };

    for (const f of ordered) {
      signal.throwIfAborted();
      const fileWhere = `${item.where} file "${f.name}"`;
      const expected = [...f.expected];
      const listed = manifest?.get(f.name);
      if (listed !== undefined) {
        const ok = addExpected(expected, {
          algo: hashAlgoOf(listed.algo),
          hex: listed.hex,
          from: `manifest ${manifestFile?.name ?? ''}`,
        });
        if (!ok) {
          throw new ClaasError(
            'INTEGRITY',
            `${remote.url}: ${fileWhere}: the manifest and the source state different digests`,
            { input: f.describe, hint: 'The source library is inconsistent; nothing was imported.' },
          );
        }
      }
      const keep = f === manifestFile || f === descriptor;
      const got = await fetchFile(ctx, item, f, expected, keep, signal);
      out.set(f.name, got.file);
      stats.deduped += got.deduped ? 1 : 0;
      stats.files += got.deduped ? 0 : 1;
      stats.bytes += got.deduped ? 0 : got.file.size;
      const bytes = got.bytes;
      if (f === manifestFile) {
        if (bytes === undefined)
          ctx.warn(`${fileWhere}: the manifest is too large to be read; not checked`, f.describe);
        else manifest = readManifest(bytes, `${where} file "${f.name}"`, f.describe);
      }
      if (f === descriptor) {
        if (bytes === undefined) {
          throw refused(
            where,
            `the descriptor "${f.name}" is larger than ${MAX_KEPT_BYTES} bytes`,
            f.describe,
          );
        }
        info = readDescriptor(bytes, `${where} file "${f.name}"`, f.describe);
      }
    }

    checkListed(ctx, item, out, manifest, info);
    const sourceFiles = files.map((f) => out.get(f.name)!);
    const isVappTemplate = info?.isVappTemplate;
    return {
      source: {
        name: item.name,
        description: item.description,
        type: item.type,
        files: sourceFiles,
        ...(isVappTemplate === undefined ? {} : { isVappTemplate }),
        sourcePath: `${remote.url} ${item.where}`,
      },
      recorded: recordOf(item, sourceFiles, isVappTemplate),
      action: { name: item.name, action: 'fetched', reason: '' },
      downloaded: stats,
    };
  } finally {
    await content.close?.().catch(() => undefined);
  }
}

/** One file of an item: found at the destination by its SHA-256 (dedupe), or staged from the source. */
async function fetchFile(
  ctx: Context,
  item: RemoteItem,
  f: RemoteFile,
  expected: Expected[],
  keep: boolean,
  signal: AbortSignal,
): Promise<{ file: SourceFile; deduped: boolean; bytes?: Buffer }> {
  const sha256 = expected.find((e) => e.algo === 'sha256')?.hex;
  const present = sha256 === undefined ? undefined : storedFile(ctx.index, { ...f, sha256 });
  if (present !== undefined) {
    // Bytes with this SHA-256 are already published here: nothing to download.
    ctx.onEvent({ type: 'import-file', item: item.name, file: f.name, size: f.size, action: 'dedupe' });
    const bytes =
      keep && f.size <= MAX_KEPT_BYTES && present.origin.kind === 'stored'
        ? await ctx.store.readBytes(present.origin.key)
        : undefined;
    return { file: present, deduped: true, ...(bytes === undefined ? {} : { bytes }) };
  }
  ctx.onEvent({ type: 'import-file', item: item.name, file: f.name, size: f.size, action: 'download' });
  const key = `${item.name}/${f.name}`;
  ctx.onEvent({ type: 'file-start', key, size: f.size });
  const staged = await ctx.staging.stage({
    where: `${ctx.remote.url}: ${item.where} file "${f.name}"`,
    size: f.size,
    expected,
    describe: f.describe,
    open: () => f.open(),
    ...(keep ? { keepBytes: MAX_KEPT_BYTES } : {}),
    onBytes: (n) => ctx.onEvent({ type: 'file-progress', key, bytes: n }),
    signal,
  });
  ctx.onEvent({ type: 'file-done', key, size: f.size, skipped: false });
  return {
    file: { name: f.name, size: staged.size, sha256: staged.sha256, origin: staged.origin },
    deduped: false,
    ...(staged.bytes === undefined ? {} : { bytes: staged.bytes }),
  };
}

/** The manifest's names (a warning for each the item lacks) and the descriptor's references (refused). */
function checkListed(
  ctx: Context,
  item: RemoteItem,
  out: Map<string, SourceFile>,
  manifest: Map<string, ManifestEntry> | undefined,
  info: OvfInfo | undefined,
): void {
  const where = `${ctx.remote.url}: ${item.where}`;
  for (const name of manifest?.keys() ?? []) {
    if (!out.has(name)) ctx.warn(`${item.where}: the manifest lists "${name}", which the item does not have`);
  }
  for (const ref of info?.references ?? []) {
    const file = out.get(ref.href);
    if (file === undefined) {
      throw refused(
        where,
        `the descriptor references "${ref.href}", which the item does not have`,
        ctx.remote.url,
      );
    }
    if (ref.size !== undefined && ref.size !== file.size) {
      throw refused(
        where,
        `the descriptor says "${ref.href}" is ${ref.size} bytes, but it is ${file.size} bytes`,
        ctx.remote.url,
      );
    }
  }
}

function readManifest(bytes: Buffer, where: string, input: string): Map<string, ManifestEntry> {
  try {
    return parseManifest(bytes.toString('utf8'), where);
  } catch (e) {
    throw refused(where, `the manifest cannot be read: ${(e as Error).message}`, input);
  }
}

function readDescriptor(bytes: Buffer, where: string, input: string): OvfInfo {
  try {
    return parseOvfDescriptor(bytes.toString('utf8'), where);
  } catch (e) {
    if (e instanceof ClaasError) throw refused(where, e.message, input, e.hint);
    throw e;
  }
}

function recordOf(item: RemoteItem, files: SourceFile[], isVappTemplate: boolean | undefined): RecordedItem {
  return {
    id: item.id,
    fingerprint: item.fingerprint,
    name: item.name,
    ...(isVappTemplate === undefined ? {} : { isVappTemplate }),
    files: files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
  };
}

function sameRecord(a: ImportRecord | undefined, b: ImportRecord): boolean {
  if (a === undefined) return false;
  const strip = (r: ImportRecord) => JSON.stringify({ ...r, updatedAt: '' });
  return strip(a) === strip(b);
}

/** An item unchanged at the source whose files the destination still holds: nothing is downloaded. */
function reusedItem(
  remote: RemoteLibrary,
  item: RemoteItem,
  decision: { files: SourceFile[]; isVappTemplate?: boolean },
): BuiltItem {
  const vapp = item.type === 'vcsp.ovf' ? (decision.isVappTemplate ?? false) : undefined;
  return {
    source: {
      name: item.name,
      description: item.description,
      type: item.type,
      files: decision.files,
      ...(vapp === undefined ? {} : { isVappTemplate: vapp }),
      sourcePath: `${remote.url} ${item.where}`,
    },
    recorded: recordOf(item, decision.files, vapp),
    action: { name: item.name, action: 'reused', reason: 'unchanged at the source' },
    downloaded: { files: 0, bytes: 0, deduped: 0 },
  };
}

/**
 * Imports a remote library into the location of options.store: the destination ends up holding exactly
 * the remote items (names, descriptions, types, files), as a new library version when anything changed.
 */
export async function importLibrary(remote: RemoteLibrary, o: ImportOptions): Promise<ImportResult> {
  const { store } = o;
  const onEvent = o.onEvent ?? (() => undefined);
  const warnings: string[] = [];
  const warn = (message: string, input?: string): void => {
    warnings.push(input === undefined ? message : `${message} (${input})`);
    onEvent({ type: 'warning', message, ...(input === undefined ? {} : { input }) });
  };
  for (const w of remote.warnings) warn(w.message, w.input);

  // Read-only checks first: a wrong destination or a bad source fails before anything is written.
  const state = await readLibraryState(store);
  if (state.kind === 'foreign' && !o.adopt) {
    throw new ClaasError(
      'NOT_A_LIBRARY',
      `${store.display} holds a library that claas did not write (no .claas/ snapshot)`,
      {
        input: store.display,
        hint: 'add --adopt to take it over in place: ids and versions are kept, so subscribers download nothing again',
      },
    );
  }
  checkRemoteItems(remote);

  await cleanStaleStaging(store);
  const recordKey = importRecordKey(remote.kind, remote.identity);
  const record = await readImportRecord(store, recordKey);
  const recorded = recordedItems(record?.source.id === remote.identity ? record : undefined);
  const index = destinationIndex(state);
  const staging = new StagingArea(store, {
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.stagingChunkBytes === undefined ? {} : { chunkBytes: o.stagingChunkBytes }),
  });
  const ctx: Context = { remote, staging, index, store, onEvent, warn };

  let failed = true;
  try {
    const built = await mapLimited(
      remote.items,
      Math.max(1, o.itemConcurrency ?? 2),
      async (item, signal): Promise<BuiltItem> => {
        const decision = decideItem(item, recorded, index);
        if (decision.action === 'reuse') {
          onEvent({
            type: 'import-item',
            name: item.name,
            action: 'reuse',
            reason: 'unchanged at the source',
          });
          return reusedItem(remote, item, decision);
        }
        onEvent({ type: 'import-item', name: item.name, action: 'fetch', reason: decision.reason });
        const b = await fetchItem(ctx, item, signal);
        return { ...b, action: { ...b.action, reason: decision.reason } };
      },
      o.signal,
    );

    const { onEvent: _ignored, itemConcurrency: _c, stagingChunkBytes: _s, ...publishOptions } = o;
    const result = await publish(
      { items: built.map((b) => b.source), defaultName: remote.name },
      {
        ...publishOptions,
        state,
        ...(o.description === undefined && state.kind === 'empty' && remote.description
          ? { description: remote.description }
          : {}),
        onEvent,
      },
    );

    const next: ImportRecord = {
      format: 'claas.import/1',
      source: { kind: remote.kind, url: remote.url, id: remote.identity },
      updatedAt: new Date().toISOString(),
      items: built.map((b) => b.recorded),
    };
    if (!sameRecord(record, next)) await writeImportRecord(store, recordKey, next);
    failed = false;
    const fetched = built.filter((b) => b.action.action === 'fetched');
    return {
      source: { kind: remote.kind, url: remote.url, name: remote.name },
      location: store.display,
      items: built.map((b) => b.action),
      download: {
        items: fetched.length,
        files: fetched.reduce((n, b) => n + b.downloaded.files, 0),
        bytes: fetched.reduce((n, b) => n + b.downloaded.bytes, 0),
        dedupedFiles: fetched.reduce((n, b) => n + b.downloaded.deduped, 0),
      },
      publish: result,
      recordKey,
      warnings,
    };
  } finally {
    try {
      await staging.cleanup();
    } catch (e) {
      // A failed import reports its own error; a successful one reports what is left behind.
      if (!failed) {
        warn(`could not remove the staging area ${staging.prefix}: ${(e as Error).message}`, store.display);
      }
    }
  }
}
