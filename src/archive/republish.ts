// Publishing content that is already stored — an item's old version (rollback) or an archived library
// version (archive restore) — as a NEW library version through the publish engine, so subscribers re-sync
// it like any other change. Nothing is uploaded: the planned keys are content-addressed
// (<item>/<sha256>/<file>), so old bytes are usually still at exactly the key the new version names; where
// they are not (an adopted library's own keys, an archive), they are copied there first, server-side when
// the stores share an S3 endpoint, and verified by SHA-256. The files' origins (`stored`, `stream`) let the
// engine copy them itself should one vanish in between (a concurrent gc).

import type { ObjectStore, WriteSettings } from '../store/types.js';
import type { FileOrigin, SourceItem } from '../content/types.js';
import type { ItemJson, VersionSnapshot } from '../vcsp/types.js';
import { planNextVersion, readPreviousFromSnapshot } from '../vcsp/diff.js';
import type { DesiredItem } from '../vcsp/diff.js';
import { ClaasError } from '../errors.js';
import { publish } from '../publish/publish.js';
import type { PublishOptions, PublishResult } from '../publish/publish.js';
import { readLibraryState, readSnapshot } from '../publish/state.js';
import type { EventSink } from '../publish/events.js';
import { appendAudit, versionAuditEntry } from '../publish/audit.js';
import type { AuditAction, StoredAuditEntry } from '../publish/audit.js';
import { copyMany } from '../store/transfer.js';
import type { CopyJob, CopyMethod } from '../store/transfer.js';
import { presentSizes } from './history.js';
import type { Actor } from '../publish/identity.js';

export interface StoredFile {
  name: string;
  size: number;
  sha256: string;
  /** Where the bytes are now: the library itself, or an archive. */
  source: { store: ObjectStore; key: string };
}

export interface StoredItem {
  name: string;
  description: string;
  type: ItemJson['type'];
  isVappTemplate?: boolean;
  files: StoredFile[];
}

/** The vApp template flag of an OVF item, as the publish engine compares it. */
export function isVappTemplateItem(item: ItemJson): boolean {
  const entry = item.metadata?.find((m) => m.key === 'type-metadata');
  if (entry === undefined) return false;
  try {
    const value = JSON.parse(entry.value) as { isVappTemplate?: unknown };
    return value.isVappTemplate === 'true' || value.isVappTemplate === true;
  } catch {
    return false;
  }
}

/** An item of a snapshot as stored content: its files at the keys (in `store`) its hrefs name. */
export function storedItemOf(
  item: ItemJson,
  snapshot: Pick<VersionSnapshot, 'hashes'>,
  store: ObjectStore,
  keyOf: (href: string) => string,
): StoredItem {
  return {
    name: item.name,
    description: item.description,
    type: item.type,
    ...(item.type === 'vcsp.ovf' ? { isVappTemplate: isVappTemplateItem(item) } : {}),
    files: item.files.map((f) => {
      const href = f.hrefs[0];
      const sha256 = href === undefined ? undefined : snapshot.hashes[href];
      if (href === undefined || sha256 === undefined) {
        throw new ClaasError(
          'INTEGRITY',
          `item "${item.name}" file "${f.name}" has no recorded SHA-256, so claas cannot republish it`,
          { input: `${item.name}/${f.name}`, hint: 'publish the item again from its source' },
        );
      }
      return { name: f.name, size: f.size, sha256, source: { store, key: keyOf(href) } };
    }),
  };
}

/**
 * Where the engine finds a file that is already stored: in the library itself a `stored` origin (the engine
 * copies it to the planned key if that is missing), elsewhere (an archive) a `stream` from that store.
 * republish places files at their planned keys first, server-side where it can, so the engine normally
 * finds them present and reads neither.
 */
export function storedOrigin(library: ObjectStore, source: StoredFile['source']): FileOrigin {
  if (source.store === library) return { kind: 'stored', key: source.key };
  return {
    kind: 'stream',
    open: () => source.store.read(source.key),
    describe: `${source.store.display}/${source.key}`,
  };
}

/** A stored item as the publish engine takes it (its files' origins in `library` or elsewhere). */
export function storedSourceItem(library: ObjectStore, i: StoredItem, sourcePath: string): SourceItem {
  return {
    name: i.name,
    description: i.description,
    type: i.type,
    ...(i.isVappTemplate === undefined ? {} : { isVappTemplate: i.isVappTemplate }),
    sourcePath,
    files: i.files.map((f) => ({
      name: f.name,
      size: f.size,
      sha256: f.sha256,
      origin: storedOrigin(library, f.source),
    })),
  };
}

function desiredOf(items: StoredItem[]): DesiredItem[] {
  return items.map((i) => ({
    name: i.name,
    description: i.description,
    type: i.type,
    ...(i.isVappTemplate === undefined ? {} : { isVappTemplate: i.isVappTemplate }),
    files: i.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
  }));
}

/** How a republish runs: the settings rollback and archive restore pass through as they got them. */
export interface RepublishSettings {
  actor: Actor;
  /** Encryption / storage class for files copied into the library (server-side copies). */
  write?: WriteSettings;
  gcGraceMs?: number;
  noGc?: boolean;
  dryRun?: boolean;
  now?: () => Date;
  onEvent?: EventSink;
  signal?: AbortSignal;
}

/** The RepublishSettings part of a larger options object. */
export function republishSettings(o: RepublishSettings): RepublishSettings {
  const { actor, write, gcGraceMs, noGc, dryRun, now, onEvent, signal } = o;
  return { actor, write, gcGraceMs, noGc, dryRun, now, onEvent, signal };
}

export interface RepublishOptions extends RepublishSettings {
  /** The library to publish into (must be a claas library). */
  store: ObjectStore;
  items: StoredItem[];
  action: Extract<AuditAction, 'rollback' | 'restore'>;
  summary?: string;
  details?: Record<string, unknown>;
}

export interface RepublishResult {
  publish: PublishResult;
  /** Files copied to their planned key first (absent where the bytes were already in place). */
  copied: { key: string; from: string; method: CopyMethod }[];
  audit?: StoredAuditEntry;
}

/** The audit settings the engine takes once it appends entries itself (see docs/archives.md). */
interface EngineAuditOptions {
  audit?: { action: AuditAction; actor: Actor; summary?: string; details?: Record<string, unknown> };
}

export async function republish(o: RepublishOptions): Promise<RepublishResult> {
  const { store } = o;
  const state = await readLibraryState(store);
  if (state.kind !== 'claas') {
    throw new ClaasError('NOT_A_LIBRARY', `${store.display} is not a library claas published`, {
      input: store.display,
      hint:
        state.kind === 'empty'
          ? 'publish a library there first, or restore an archive with --to <new location>'
          : 'adopt it first: claas publish --adopt',
    });
  }
  const previous = readPreviousFromSnapshot(state.snapshot);
  const desired = desiredOf(o.items);
  const now = o.now ?? (() => new Date());
  const plan = planNextVersion({
    previous,
    name: previous.lib.name,
    ...(previous.lib.description === undefined ? {} : { description: previous.lib.description }),
    items: desired,
    now: now(),
  });

  const copied = o.dryRun === true ? [] : await placeFiles(o, plan.newFiles);
  const items = o.items.map((i) => storedSourceItem(store, i, `${store.display} (${o.action})`));
  const options: PublishOptions & EngineAuditOptions = {
    store,
    state,
    publisher: o.actor.name,
    dryRun: o.dryRun ?? false,
    gcGraceMs: o.gcGraceMs,
    noGc: o.noGc,
    now,
    onEvent: o.onEvent,
    signal: o.signal,
    audit: { action: o.action, actor: o.actor, summary: o.summary, details: o.details },
  };
  const result = await publish({ items, defaultName: previous.lib.name }, options);
  const out: RepublishResult = { publish: result, copied };
  // Until the engine appends audit entries itself (result.audit), the entry is written here.
  const engineAudit = (result as PublishResult & { audit?: unknown }).audit;
  if (result.committed && engineAudit === undefined) {
    const audit = await auditVersion(o, result);
    if (audit !== undefined) out.audit = audit;
  }
  return out;
}

/**
 * Places every new file at its planned key (content-addressed: an existing object there holds these bytes),
 * copied from where it is stored by the copy engine.
 */
async function placeFiles(
  o: RepublishOptions,
  newFiles: ReturnType<typeof planNextVersion>['newFiles'],
): Promise<RepublishResult['copied']> {
  const { store } = o;
  const byItem = new Map(o.items.map((i) => [i.name, new Map(i.files.map((f) => [f.name, f]))]));
  const present = await presentSizes(
    store,
    newFiles.map((f) => f.key),
  );
  const jobs = newFiles
    .filter((f) => present.get(f.key) !== f.file.size)
    .map((f): CopyJob => {
      const stored = byItem.get(f.itemName)?.get(f.file.name);
      if (stored === undefined) throw new ClaasError('INTERNAL', `no stored source for ${f.key}`);
      return {
        from: stored.source.store,
        fromKey: stored.source.key,
        toKey: f.key,
        source: { size: f.file.size, sha256: f.file.sha256 },
      };
    });
  const copied: RepublishResult['copied'] = [];
  await copyMany(store, jobs, {
    concurrency: 4,
    keepSourceEncryption: true,
    ...(o.write === undefined ? {} : { write: o.write }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    onCopied: (job, r) =>
      copied.push({ key: job.toKey, from: `${job.from.display}/${job.fromKey}`, method: r.method }),
  });
  return copied;
}

/** The audit entry of the version a republish committed. */
async function auditVersion(
  o: RepublishOptions,
  result: PublishResult,
): Promise<StoredAuditEntry | undefined> {
  const snapshot = await readSnapshot(o.store, result.library.version);
  if (snapshot === undefined) return undefined;
  return appendAudit(
    o.store,
    versionAuditEntry({
      action: o.action,
      snapshot,
      ...(result.library.previousVersion === undefined
        ? {}
        : { previousVersion: result.library.previousVersion }),
      changes: result.changes,
      actor: o.actor,
      ...(o.summary === undefined ? {} : { summary: o.summary }),
      ...(o.details === undefined ? {} : { details: o.details }),
    }),
  );
}
