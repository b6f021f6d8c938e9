// The publish engine: scan the source, read the destination, plan the next version, upload new files,
// then commit metadata in the order that keeps invariant 1 (files -> snapshot -> item JSON -> item index
// -> lib.json). Every key but lib.json is immutable, so a crash at any moment leaves the previous version
// whole; a re-run finds the files already there (content-addressed keys) and sends only what is missing.

import type { EarlyUploads } from './early-uploads.js';
import { listKeys } from '../store/list-keys.js';
import { basename } from 'node:path';
import type { ObjectStore, PutSource, PutStats, StoredObject } from '../store/types.js';
import type { ItemJson, LibJson, VersionSnapshot } from '../vcsp/types.js';
import { planNextVersion, readPreviousFromSnapshot } from '../vcsp/diff.js';
import type { DesiredItem, ItemChange, NewFile, NextState, PreviousState } from '../vcsp/diff.js';
import { serializeJson, isoNow } from '../vcsp/build.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import type { SourceItem, SourceFile } from '../content/types.js';
import { ClaasError } from '../errors.js';
import type { EventSink } from './events.js';
import { ignoreEvents } from './events.js';
import { mapLimited } from '../util/pool.js';
import { LIB_KEY, itemSelfHref, itemsKey, snapshotKey } from './layout.js';
import { readJsonKey, readLibraryState } from './state.js';
import { parseLibJson } from '../vcsp/schema.js';
import type { LibraryState } from './state.js';
import { adoptLibrary } from './adopt.js';
import { acquireLock } from './lock.js';
import { collectGarbage } from './gc.js';
import type { GcResult } from './gc.js';
import { appendAudit, versionAuditEntry } from './audit.js';
import type { AuditAction } from './audit.js';
import { osIdentity, resolveActor } from './identity.js';
import type { Actor } from './identity.js';

export interface PublishInput {
  /** The items to publish (from a source: a scanned folder, a vCenter, a VCSP URL). */
  items: SourceItem[];
  /** Name used when the destination holds no library yet and no name is given. */
  defaultName: string;
}

export interface PublishOptions {
  store: ObjectStore;
  name?: string;
  description?: string;
  dryRun?: boolean;
  /** Take over a library another tool wrote, keeping its ids and versions. */
  adopt?: boolean;
  /** Superseded files stay this long after the commit that dropped them (subscribers mid-sync). */
  gcGraceMs?: number;
  /** Skip the garbage collection that follows a commit. */
  noGc?: boolean;
  concurrency?: number;
  /** Uploads the CLI started while the scan was hashing (early-uploads.ts); taken instead of new ones. */
  early?: Pick<EarlyUploads, 'has' | 'take'>;
  /** Who publishes, when no audit actor is given: recorded in the audit entry (snapshots name no one). */
  publisher?: string;
  onEvent?: EventSink;
  signal?: AbortSignal;
  now?: () => Date;
  /** What the destination held when the caller looked (saves a read); re-read under the lock anyway. */
  state?: LibraryState;
  /**
   * The audit entry of the commit: action (default publish, or adopt), who (default: resolveActor(store)),
   * and what else to record. Every commit appends one entry to the library's audit log.
   */
  audit?: { action?: AuditAction; actor?: Actor; summary?: string; details?: Record<string, unknown> };
}

export interface PublishResult {
  location: string;
  library: { name: string; id: string; version: number; previousVersion?: number };
  committed: boolean;
  dryRun: boolean;
  adopted: boolean;
  changes: ItemChange[];
  upload: {
    files: number;
    bytes: number;
    /** New files already at the destination (a resumed run): not sent again. */
    reusedFiles: number;
    reusedBytes: number;
    /** Multipart uploads continued from a checkpoint, and their parts kept and sent (S3). */
    resumedFiles: number;
    partsSent: number;
    partsReused: number;
    retries: number;
  };
  gc?: GcResult;
  /** The commit's audit entry, or why it could not be written (the version is committed either way). */
  audit?: { key: string } | { error: string };
}

const NO_UPLOAD: PublishResult['upload'] = {
  files: 0,
  bytes: 0,
  reusedFiles: 0,
  reusedBytes: 0,
  resumedFiles: 0,
  partsSent: 0,
  partsReused: 0,
  retries: 0,
};

export const DEFAULT_GC_GRACE_MS = 24 * 3600 * 1000;

function toDesired(items: SourceItem[]): DesiredItem[] {
  return items.map((i) => ({
    name: i.name,
    description: i.description,
    type: i.type,
    ...(i.isVappTemplate === undefined ? {} : { isVappTemplate: i.isVappTemplate }),
    files: i.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
  }));
}

/** Immutable per-version keys for item JSON and the item index (layout.ts). */
function withVersionedHrefs(
  next: NextState,
  previous: PreviousState | undefined,
): { lib: LibJson; items: ItemJson[] } {
  const before = new Map((previous?.items ?? []).map((i) => [i.id, i]));
  const items = next.items.map((item) => {
    const old = before.get(item.id);
    // Carried over unchanged: keep its key (and bytes), so subscribers see nothing new.
    if (old !== undefined && old.version === item.version && JSON.stringify(old) === JSON.stringify(item))
      return item;
    const folder = item.selfHref.split('/')[0] ?? item.name;
    return { ...item, selfHref: itemSelfHref(decodeURIComponent(folder), item.version, item.id) };
  });
  return { lib: { ...next.lib, itemsHref: itemsKey(next.lib.version) }, items };
}

/** Where a planned file's bytes come from, as the store takes them. */
function putSourceFor(store: ObjectStore, file: SourceFile, targetKey: string): PutSource {
  const o = file.origin;
  switch (o.kind) {
    case 'file':
      return { kind: 'file', path: o.path, ...(o.stat === undefined ? {} : { stat: o.stat }) };
    case 'file-range':
      return { kind: 'file', path: o.path, offset: o.offset, length: o.length };
    case 'stream':
      return { kind: 'stream', size: file.size, open: o.open, describe: o.describe };
    case 'stored':
      if (o.key === targetKey) throw new ClaasError('INTERNAL', `${targetKey} is its own source but missing`);
      return {
        kind: 'stream',
        size: file.size,
        open: () => store.read(o.key),
        describe: `${store.display}/${o.key}`,
      };
  }
}

/** The state under the lock: `before` when lib.json is unchanged since, else a fresh read. */
async function recheckState(store: ObjectStore, before: LibraryState): Promise<LibraryState> {
  const lib = await readJsonKey(store, LIB_KEY, parseLibJson);
  const unchanged =
    before.kind === 'empty'
      ? lib === undefined
      : lib !== undefined && lib.id === before.lib.id && lib.version === before.lib.version;
  return unchanged ? before : readLibraryState(store);
}

export async function publish(input: PublishInput, options: PublishOptions): Promise<PublishResult> {
  const { store } = options;
  const run: Run = {
    store,
    options,
    onEvent: options.onEvent ?? ignoreEvents,
    now: options.now ?? (() => new Date()),
    dryRun: options.dryRun ?? false,
  };

  // Read-only checks first: bad input or a wrong destination must leave the destination untouched.
  const before = options.state ?? (await readLibraryState(store));
  refuseForeign(before, run);
  const unchanged = unchangedResult(input, before, run);
  if (unchanged !== undefined) return unchanged;

  const lock = run.dryRun ? undefined : await acquireLock(store, { operation: 'publish' });
  try {
    // Re-check under the lock: another publisher may have committed since we looked.
    const state = run.dryRun ? before : await recheckState(store, before);
    const plan = await planVersion(input, state, run);
    const result = plannedResult(plan, run);
    if (run.dryRun || !plan.mustCommit) return result;
    await uploadFiles(input, plan, result, run);
    const { snapshot, actor } = await commitVersion(plan, run);
    result.committed = true;
    result.audit = await auditCommit(snapshot, actor, plan, run);
    // A first version supersedes nothing; later ones let gc drop what has outlived the grace period.
    if (!options.noGc && plan.previous !== undefined) {
      result.gc = await collectGarbage(store, {
        graceMs: options.gcGraceMs ?? DEFAULT_GC_GRACE_MS,
        now: run.now(),
        current: snapshot,
      });
      run.onEvent({ type: 'gc', deleted: result.gc.deleted.length, kept: result.gc.kept });
    }
    return result;
  } finally {
    await lock?.release();
  }
}

/** One publish run: its options with their defaults. */
interface Run {
  store: ObjectStore;
  options: PublishOptions;
  onEvent: EventSink;
  now: () => Date;
  dryRun: boolean;
}

/** The next version, and what must be uploaded for it. */
interface VersionPlan {
  previous?: PreviousState;
  adopted: boolean;
  next: NextState;
  versioned: { lib: LibJson; items: ItemJson[] };
  /** What the destination holds now, by key. */
  present: Map<string, StoredObject>;
  toUpload: NewFile[];
  /** New files already at the destination (a resumed run). */
  reused: NewFile[];
  mustCommit: boolean;
}

function refuseForeign(before: LibraryState, run: Run): void {
  if (before.kind !== 'foreign' || run.options.adopt) return;
  throw new ClaasError(
    'NOT_A_LIBRARY',
    `${run.store.display} holds a library that claas did not write (no .claas/ snapshot)`,
    {
      input: run.store.display,
      hint: 'add --adopt to take it over in place: ids and versions are kept, so subscribers download nothing again',
    },
  );
}

/**
 * Fast path for the common no-op: nothing changed against the committed version, so nothing is written, no
 * lock is taken and the store is not listed. Undefined when there is something to do.
 */
function unchangedResult(input: PublishInput, before: LibraryState, run: Run): PublishResult | undefined {
  if (before.kind !== 'claas' || run.dryRun) return undefined;
  const { options } = run;
  const previous = readPreviousFromSnapshot(before.snapshot);
  const description = options.description ?? previous.lib.description;
  const next = planNextVersion({
    previous,
    name: options.name ?? previous.lib.name,
    ...(description === undefined ? {} : { description }),
    items: toDesired(input.items),
    now: run.now(),
  });
  if (next.libChanged) return undefined;
  const unchanged = next.changes.length;
  run.onEvent({ type: 'plan', added: 0, changed: 0, removed: 0, unchanged, uploadFiles: 0, uploadBytes: 0 });
  return {
    location: run.store.display,
    library: {
      name: previous.lib.name,
      id: previous.lib.id,
      version: Number(previous.lib.version),
      previousVersion: Number(previous.lib.version),
    },
    committed: false,
    dryRun: run.dryRun,
    adopted: false,
    changes: next.changes,
    upload: { ...NO_UPLOAD },
  };
}

/** Plans the next version against the state under the lock (adopting a foreign library first). */
async function planVersion(input: PublishInput, state: LibraryState, run: Run): Promise<VersionPlan> {
  const { store, options } = run;
  let previous: PreviousState | undefined;
  let adopted = false;
  let repaired: string[] = [];
  if (state.kind === 'claas') previous = readPreviousFromSnapshot(state.snapshot);
  if (state.kind === 'foreign') {
    const adoption = await adoptLibrary(store, state.lib, state.items, run.onEvent);
    previous = adoption.previous;
    repaired = adoption.repairedItems;
    adopted = true;
  }

  const name = options.name ?? previous?.lib.name ?? input.defaultName;
  const description = options.description ?? previous?.lib.description;
  const next = planNextVersion({
    ...(previous === undefined ? {} : { previous }),
    name,
    ...(description === undefined ? {} : { description }),
    items: toDesired(input.items),
    now: run.now(),
  });
  const present = await listKeys(store);
  // A file this run started uploading early counts as uploaded, wherever its upload is now.
  const sent = (f: NewFile): boolean =>
    options.early?.has(f.key) === true || present.get(f.key)?.size !== f.file.size;
  const toUpload = next.newFiles.filter(sent);
  const counts = { added: 0, changed: 0, removed: 0, unchanged: 0 };
  for (const c of next.changes) counts[c.kind] += 1;
  run.onEvent({ type: 'plan', ...counts, uploadFiles: toUpload.length, uploadBytes: bytesOf(toUpload) });
  return {
    ...(previous === undefined ? {} : { previous }),
    adopted,
    next,
    versioned: withVersionedHrefs(next, previous),
    present,
    toUpload,
    reused: next.newFiles.filter((f) => !sent(f)),
    mustCommit: next.libChanged || adopted || repaired.length > 0,
  };
}

function bytesOf(files: NewFile[]): number {
  return files.reduce((n, f) => n + f.file.size, 0);
}

function plannedResult(plan: VersionPlan, run: Run): PublishResult {
  const { versioned, previous } = plan;
  return {
    location: run.store.display,
    library: {
      name: versioned.lib.name,
      id: versioned.lib.id,
      version: Number(versioned.lib.version),
      ...(previous === undefined ? {} : { previousVersion: Number(previous.lib.version) }),
    },
    committed: false,
    dryRun: run.dryRun,
    adopted: plan.adopted,
    changes: plan.next.changes,
    upload: {
      ...NO_UPLOAD,
      files: plan.toUpload.length,
      bytes: bytesOf(plan.toUpload),
      reusedFiles: plan.reused.length,
      reusedBytes: bytesOf(plan.reused),
    },
  };
}

/** 1. Files (content-addressed, so a key that exists with the right size already holds these bytes). */
async function uploadFiles(
  input: PublishInput,
  plan: VersionPlan,
  result: PublishResult,
  run: Run,
): Promise<void> {
  const { store, options, onEvent } = run;
  const sources = new Map(
    input.items.flatMap((i) => i.files.map((f) => [`${i.name}\u0000${f.name}`, f] as const)),
  );
  await mapLimited(
    plan.toUpload,
    options.concurrency ?? 4,
    async (f, signal) => {
      const src = sources.get(`${f.itemName}\u0000${f.file.name}`);
      if (src === undefined)
        throw new ClaasError('INTERNAL', `planned file ${f.itemName}/${f.file.name} has no source`);
      onEvent({ type: 'file-start', key: f.key, size: f.file.size });
      await uploadFile(f, src, plan, run, signal);
      countPutStats(store.features.putStats?.(f.key), result.upload);
      onEvent({ type: 'file-done', key: f.key, size: f.file.size, skipped: false });
    },
    options.signal,
  );
  options.signal?.throwIfAborted();
}

async function uploadFile(
  f: NewFile,
  src: SourceFile,
  plan: VersionPlan,
  run: Run,
  signal: AbortSignal,
): Promise<void> {
  const { store, options, onEvent } = run;
  // Bytes already in this store (a staged import, a rollback): a server-side copy when the store can.
  const from = src.origin.kind === 'stored' && src.origin.key !== f.key ? src.origin.key : undefined;
  const early = options.early?.take(f.key);
  if (early !== undefined && (await early.catch(() => false))) {
    onEvent({ type: 'file-progress', key: f.key, bytes: f.file.size });
  } else if (plan.present.get(f.key)?.size === f.file.size) {
    // Listed before the early upload (if any) decided against it: the bytes are there already.
  } else if (from !== undefined && store.copyWithin !== undefined) {
    await store.copyWithin(from, f.key);
  } else {
    await store.put(f.key, putSourceFor(store, src, f.key), {
      sha256: f.file.sha256,
      onProgress: (bytes) => onEvent({ type: 'file-progress', key: f.key, bytes }),
      signal,
    });
  }
}

/** Adds how the last put of a file went (S3 multipart: parts kept and sent, retries) to the totals. */
function countPutStats(stats: PutStats | undefined, upload: PublishResult['upload']): void {
  if (stats === undefined) return;
  upload.partsSent += stats.partsSent;
  upload.partsReused += stats.partsReused;
  upload.retries += stats.retries;
  if (stats.resumed) upload.resumedFiles += 1;
}

/** The actor a `publisher` name stands for (the audit log keeps it; snapshots name no one, issue 16). */
function namedActor(name: string | undefined): Actor | undefined {
  return name === undefined ? undefined : { name, source: 'configured', os: osIdentity() };
}

/** 2. Snapshot, 3. item JSON, 4. item index, 5. lib.json (the commit point). */
async function commitVersion(
  plan: VersionPlan,
  run: Run,
): Promise<{ snapshot: VersionSnapshot; actor: Actor }> {
  const { store, options, onEvent } = run;
  const { versioned, next } = plan;
  const actor = options.audit?.actor ?? namedActor(options.publisher) ?? (await resolveActor(store));
  const snapshot: VersionSnapshot = {
    format: 'claas.version/1',
    lib: versioned.lib,
    items: versioned.items,
    hashes: next.hashes,
    committedAt: isoNow(run.now()),
    // No publisher identity: snapshots reach clients' replicas; who published is in the audit log (issue 16).
  };
  const json = (doc: unknown) => ({ kind: 'bytes' as const, data: Buffer.from(serializeJson(doc)) });
  const jsonType = { contentType: 'application/json', role: 'metadata' as const };
  await store.put(snapshotKey(versioned.lib.version), json(snapshot), jsonType);
  onEvent({ type: 'commit', step: 'snapshot', key: snapshotKey(versioned.lib.version) });
  // Item JSON documents are independent of each other: write them in parallel, all before the index.
  await mapLimited(
    versioned.items.filter((item) => !plan.present.has(hrefToKey(item.selfHref, item.name))),
    8,
    async (item) => {
      const key = hrefToKey(item.selfHref, item.name);
      await store.put(key, json(item), jsonType);
      onEvent({ type: 'commit', step: 'item', key });
    },
    options.signal,
  );
  const indexKey = hrefToKey(versioned.lib.itemsHref, LIB_KEY);
  await store.put(indexKey, json({ items: versioned.items }), jsonType);
  onEvent({ type: 'commit', step: 'items', key: indexKey });
  options.signal?.throwIfAborted();
  await store.put(LIB_KEY, json(versioned.lib), jsonType);
  onEvent({ type: 'commit', step: 'lib', key: LIB_KEY });
  return { snapshot, actor };
}

/** 6. The audit entry, still under the lock (one per committed version, in version order). */
async function auditCommit(
  snapshot: VersionSnapshot,
  actor: Actor,
  plan: VersionPlan,
  run: Run,
): Promise<PublishResult['audit']> {
  const { store, options } = run;
  const { previous } = plan;
  try {
    const entry = await appendAudit(
      store,
      versionAuditEntry({
        action: options.audit?.action ?? (plan.adopted ? 'adopt' : 'publish'),
        snapshot,
        ...(previous === undefined ? {} : { previousVersion: Number(previous.lib.version) }),
        changes: plan.next.changes,
        actor,
        ...(options.audit?.summary === undefined ? {} : { summary: options.audit.summary }),
        ...(options.audit?.details === undefined ? {} : { details: options.audit.details }),
      }),
    );
    return { key: entry.key };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    run.onEvent({
      type: 'warning',
      message: `library version ${snapshot.lib.version} is committed, but its audit entry was not written: ${error}`,
      input: store.display,
    });
    return { error };
  }
}

export function defaultLibraryName(sourceFolder: string): string {
  return basename(sourceFolder.replace(/\/+$/, '')) || 'library';
}
