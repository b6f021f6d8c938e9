// The import pipeline the remote sources share (a VCSP URL, a vCenter library): decide per item whether
// the destination already has it (the import record), stream the others' files through the staging area
// with every digest the source states checked on the way, check OVF items (one descriptor, references
// present, manifest digests), then hand the engine SourceItems whose files are `stored` origins and let it
// plan, copy and commit. Anything wrong with the source fails before the engine runs: the destination's
// library is untouched and the staging keys are removed.

// (The remote library types are in remote.ts, fetching one item in fetch-item.ts; prepareRemote stages a
// library's items without publishing them, so that `claas run` can merge several sources into one version.)

import type { SourceFile, SourceItem } from '../content/types.js';
import { publish } from '../publish/publish.js';
import type { PublishOptions, PublishResult } from '../publish/publish.js';
import type { LibraryState } from '../publish/state.js';
import { readLibraryState } from '../publish/state.js';
import type { ObjectStore } from '../store/types.js';
import { mapLimited } from '../util/pool.js';
import { ClaasError } from '../errors.js';
import { fetchItem, recordOf } from './fetch-item.js';
import type { BuiltItem, Context } from './fetch-item.js';
import { checkRemoteItems } from './remote.js';
import type { ImportEvent, ImportedItem, RemoteItem, RemoteLibrary } from './remote.js';
import {
  StagingArea,
  cleanStaleStaging,
  decideItem,
  destinationIndex,
  importRecordKey,
  readImportRecord,
  recordedItems,
  writeImportRecord,
} from './staging.js';
import type { ImportRecord } from './staging.js';

export { checkRemoteItems } from './remote.js';
export type {
  ImportEvent,
  ImportedItem,
  RemoteFile,
  RemoteItem,
  RemoteItemContent,
  RemoteLibrary,
} from './remote.js';

export interface ImportOptions extends Omit<PublishOptions, 'state' | 'onEvent' | 'dryRun'> {
  onEvent?: (e: ImportEvent) => void;
  /** Items downloaded at once (default 2; files of one item go one after the other). */
  itemConcurrency?: number;
  /** Size of staging parts on S3 for files of unknown SHA-256 (tests make it small). */
  stagingChunkBytes?: number;
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

export interface PrepareOptions {
  store: ObjectStore;
  /** What the destination holds now (the committed version's files are reused by SHA-256). */
  state: LibraryState;
  onEvent?: (e: ImportEvent) => void;
  warn?: (message: string, input?: string) => void;
  signal?: AbortSignal;
  /** Items downloaded at once (default 2). */
  itemConcurrency?: number;
  stagingChunkBytes?: number;
  /** Only the items with these names (default every item); the record then holds only these. */
  only?: ReadonlySet<string>;
}

/** A remote library's items ready for a publish: staged or reused, with the record to write after it. */
export interface PreparedRemote {
  remote: RemoteLibrary;
  /** One per remote item, in the remote's order. */
  items: SourceItem[];
  actions: ImportedItem[];
  download: ImportResult['download'];
  recordKey: string;
  /** Writes the import record (when it changed): call once the publish committed or had nothing to do. */
  commit(): Promise<void>;
  /** Removes what was staged; call whatever happened. */
  cleanup(): Promise<void>;
  /** Where the staged files are (for messages). */
  stagingPrefix: string;
}

/**
 * Stages the items of a remote library that the destination does not hold yet (unchanged items, by the
 * import record, are reused as they are), without publishing anything. On failure the staging is removed.
 */
export async function prepareRemote(remote: RemoteLibrary, o: PrepareOptions): Promise<PreparedRemote> {
  const { store } = o;
  const onEvent = o.onEvent ?? (() => undefined);
  const warn =
    o.warn ??
    ((message: string, input?: string) =>
      onEvent({ type: 'warning', message, ...(input === undefined ? {} : { input }) }));
  checkRemoteItems(remote);
  const wanted = o.only === undefined ? remote.items : remote.items.filter((i) => o.only!.has(i.name));

  await cleanStaleStaging(store);
  const recordKey = importRecordKey(remote.kind, remote.identity);
  const record = await readImportRecord(store, recordKey);
  const recorded = recordedItems(record?.source.id === remote.identity ? record : undefined);
  const index = destinationIndex(o.state);
  const staging = new StagingArea(store, {
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.stagingChunkBytes === undefined ? {} : { chunkBytes: o.stagingChunkBytes }),
  });
  const ctx: Context = { remote, staging, index, store, onEvent, warn };
  let built: BuiltItem[];
  try {
    built = await mapLimited(
      wanted,
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
  } catch (e) {
    await staging.cleanup().catch(() => undefined);
    throw e;
  }
  const next: ImportRecord = {
    format: 'claas.import/1',
    source: { kind: remote.kind, url: remote.url, id: remote.identity },
    updatedAt: new Date().toISOString(),
    items: built.map((b) => b.recorded),
  };
  const fetched = built.filter((b) => b.action.action === 'fetched');
  return {
    remote,
    items: built.map((b) => b.source),
    actions: built.map((b) => b.action),
    download: {
      items: fetched.length,
      files: fetched.reduce((n, b) => n + b.downloaded.files, 0),
      bytes: fetched.reduce((n, b) => n + b.downloaded.bytes, 0),
      dedupedFiles: fetched.reduce((n, b) => n + b.downloaded.deduped, 0),
    },
    recordKey,
    stagingPrefix: staging.prefix,
    commit: async () => {
      if (!sameRecord(record, next)) await writeImportRecord(store, recordKey, next);
    },
    cleanup: () => staging.cleanup(),
  };
}

/** How the audit log names a remote source: its kind and address (a vCenter host + library, a lib.json URL). */
export function remoteAuditSource(remote: RemoteLibrary): Record<string, string> {
  return { kind: remote.kind, url: remote.url, name: remote.name };
}

/**
 * Imports a remote library into the location of options.store: the destination ends up holding exactly
 * the remote items (names, descriptions, types, files), as a new library version when anything changed.
 * The version's audit entry is an 'import' naming the source.
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

  const prepared = await prepareRemote(remote, {
    store,
    state,
    onEvent,
    warn,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.itemConcurrency === undefined ? {} : { itemConcurrency: o.itemConcurrency }),
    ...(o.stagingChunkBytes === undefined ? {} : { stagingChunkBytes: o.stagingChunkBytes }),
  });
  let failed = true;
  try {
    const { onEvent: _ignored, itemConcurrency: _c, stagingChunkBytes: _s, ...publishOptions } = o;
    const result = await publish(
      { items: prepared.items, defaultName: remote.name },
      {
        ...publishOptions,
        state,
        ...(o.description === undefined && state.kind === 'empty' && remote.description
          ? { description: remote.description }
          : {}),
        audit: {
          action: 'import',
          ...o.audit,
          details: { source: remoteAuditSource(remote), ...o.audit?.details },
        },
        onEvent,
      },
    );
    await prepared.commit();
    failed = false;
    return {
      source: { kind: remote.kind, url: remote.url, name: remote.name },
      location: store.display,
      items: prepared.actions,
      download: prepared.download,
      publish: result,
      recordKey: prepared.recordKey,
      warnings,
    };
  } finally {
    try {
      await prepared.cleanup();
    } catch (e) {
      // A failed import reports its own error; a successful one reports what is left behind.
      if (!failed) {
        warn(
          `could not remove the staging area ${prepared.stagingPrefix}: ${(e as Error).message}`,
          store.display,
        );
      }
    }
  }
}
