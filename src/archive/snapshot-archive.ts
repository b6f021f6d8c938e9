// Archives: a copy of one library version at an archive location, with a manifest naming every file with
// its size and SHA-256. An archive is itself a complete claas library at that version (same ids and
// versions), so it can be verified and restored without claas's help too:
//
//   <archive>/<id>/lib.json, items-<N>.json, <item>/item-<v>.json, <item>/<sha256>/<file>   the version
//   <archive>/<id>/.claas/versions/<N>.json                                                 its snapshot
//   <archive>/<id>/.claas/pending.json      written first: which library and version (resume)
//   <archive>/<id>/.claas/archive.json      the manifest, written last: the archive exists from then on
//
// id = v<N>-<YYYYMMDDTHHMMSSZ>. File bytes go with the requested storage class (GLACIER, DEEP_ARCHIVE...),
// the small JSON documents and the manifest stay in STANDARD so listing and planning a restore never need
// a thaw. Copies are server-side where source and archive share an S3 endpoint, streamed otherwise.

import { createHash } from 'node:crypto';
import type { ObjectStore, WriteSettings } from '../store/types.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { serializeJson } from '../vcsp/build.js';
import { parseSnapshot } from '../vcsp/schema.js';
import { ClaasError, badInput } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import { LIB_KEY, snapshotKey } from '../publish/layout.js';
import { readLibraryState } from '../publish/state.js';
import { appendAudit, readAudit } from '../publish/audit.js';
import { copyObject, hashStored } from './copy.js';
import type { CopyMethod } from './copy.js';
import type { Actor } from '../publish/identity.js';
import { republish, republishSettings, storedItemOf } from './republish.js';
import type { RepublishResult, RepublishSettings } from './republish.js';

/** The default archive location: inside the library's own prefix (covered by its IAM policies). */
export const DEFAULT_ARCHIVE_DIR = '.claas-archive';
export const MANIFEST_NAME = '.claas/archive.json';
export const PENDING_NAME = '.claas/pending.json';
export const ARCHIVE_FORMAT = 'claas.archive/1';
/** In a location being restored into: which archive (so an interrupted restore can be continued). */
export const RESTORE_PENDING_KEY = '.claas/restore-pending.json';

export interface ArchiveFile {
  /** Key relative to the archive's folder (= the key in the library). */
  key: string;
  size: number;
  sha256: string;
  kind: 'file' | 'document';
}

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  id: string;
  library: { id: string; name: string; version: number; committedAt: string };
  /** Where the library was (display form, no credentials). */
  source: string;
  createdAt: string;
  actor: Actor;
  /** Storage class of the file bytes (documents are STANDARD). */
  storageClass?: string;
  encryption?: { sse: 'AES256' | 'aws:kms'; kmsKeyId?: string };
  files: ArchiveFile[];
  totals: { files: number; bytes: number };
}

export interface ArchiveSummary {
  id: string;
  complete: boolean;
  manifest?: ArchiveManifest;
  /** SHA-256 of the manifest object as stored. */
  manifestSha256?: string;
  /** For incomplete archives: what the pending marker says. */
  pending?: { libraryId: string; version: number; startedAt: string };
  objects: number;
  bytes: number;
}

export type ArchiveEvent =
  | { type: 'archive-file'; key: string; size: number; method: CopyMethod }
  | { type: 'verify-file'; key: string; size: number; ok: boolean };

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function archiveId(version: number, at: Date): string {
  return (
    `v${version}-${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}T` +
    `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}Z`
  );
}

const ID_RE = /^v(\d+)-\d{8}T\d{6}Z$/;

function assertId(id: string): void {
  if (!ID_RE.test(id)) {
    throw badInput(
      `"${id}" is not an archive id`,
      id,
      'archive ids look like v12-20260115T101502Z (claas archive list)',
    );
  }
}

/** JSON documents: the store's encryption, never its (archive) storage class. */
const META = { contentType: 'application/json', role: 'metadata' as const };

function json(doc: unknown) {
  return { kind: 'bytes' as const, data: Buffer.from(`${JSON.stringify(doc, null, 2)}\n`) };
}

/** Every archive at an archive location, complete or not, oldest first. */
export async function listArchives(archive: ObjectStore): Promise<ArchiveSummary[]> {
  const byId = new Map<string, ArchiveSummary>();
  for await (const obj of archive.list('')) {
    const slash = obj.key.indexOf('/');
    if (slash < 0) continue;
    const id = obj.key.slice(0, slash);
    if (!ID_RE.test(id)) continue;
    const s = byId.get(id) ?? { id, complete: false, objects: 0, bytes: 0 };
    s.objects += 1;
    s.bytes += obj.size;
    if (obj.key === `${id}/${MANIFEST_NAME}`) s.complete = true;
    byId.set(id, s);
  }
  const out = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  await mapLimited(out, 8, async (s) => {
    if (s.complete) {
      const bytes = await archive.readBytes(`${s.id}/${MANIFEST_NAME}`);
      if (bytes !== undefined) {
        s.manifestSha256 = sha256(bytes);
        try {
          s.manifest = JSON.parse(bytes.toString('utf8')) as ArchiveManifest;
        } catch {
          s.complete = false;
        }
      }
    } else {
      const bytes = await archive.readBytes(`${s.id}/${PENDING_NAME}`);
      if (bytes !== undefined) {
        try {
          s.pending = JSON.parse(bytes.toString('utf8')) as ArchiveSummary['pending'];
        } catch {
          /* an unreadable marker: the archive stays incomplete and unmatched */
        }
      }
    }
  });
  return out;
}

/** The manifest of one archive (NOT_FOUND when it is missing or incomplete). */
export async function readManifest(
  archive: ObjectStore,
  id: string,
): Promise<{ manifest: ArchiveManifest; sha256: string }> {
  assertId(id);
  const bytes = await archive.readBytes(`${id}/${MANIFEST_NAME}`);
  if (bytes === undefined) {
    throw new ClaasError('NOT_FOUND', `${archive.display} has no complete archive ${id}`, {
      input: `${archive.display}/${id}`,
      hint: 'see the archives there with `claas archive list`; an archive without manifest was interrupted',
    });
  }
  let manifest: ArchiveManifest;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as ArchiveManifest;
  } catch {
    throw new ClaasError('INTEGRITY', `the manifest of archive ${id} is not valid JSON`, {
      input: `${archive.display}/${id}/${MANIFEST_NAME}`,
    });
  }
  if (manifest.format !== ARCHIVE_FORMAT || !Array.isArray(manifest.files)) {
    throw new ClaasError('INTEGRITY', `the manifest of archive ${id} is not a ${ARCHIVE_FORMAT} manifest`, {
      input: `${archive.display}/${id}/${MANIFEST_NAME}`,
    });
  }
  return { manifest, sha256: sha256(bytes) };
}

/** The keys of a version: documents (snapshot, item JSON, index, lib.json) and files with their hashes. */
export function versionKeys(s: VersionSnapshot): {
  files: { key: string; size: number; sha256: string }[];
  documents: string[];
} {
  const files = new Map<string, { key: string; size: number; sha256: string }>();
  const documents = new Set<string>();
  for (const item of s.items) {
    documents.add(hrefToKey(item.selfHref, item.name));
    for (const f of item.files) {
      for (const href of f.hrefs) {
        const key = hrefToKey(href, `${item.name}/${f.name}`);
        const hash = s.hashes[href];
        if (hash === undefined) {
          throw new ClaasError('INTEGRITY', `version ${s.lib.version}: ${href} has no recorded SHA-256`, {
            input: href,
            hint: 'adopt or publish the library again so claas records every hash',
          });
        }
        files.set(key, { key, size: f.size, sha256: hash });
      }
    }
  }
  documents.add(hrefToKey(s.lib.itemsHref, 'itemsHref'));
  return { files: [...files.values()], documents: [...documents] };
}

export interface SnapshotOptions {
  /** The library (the origin). */
  library: ObjectStore;
  /**
   * The archive location, opened with the encryption and storage class for file bytes (documents and the
   * manifest are written with role 'metadata': encrypted, but in the default class).
   */
  archive: ObjectStore;
  /** Encryption and tags (and storage class) for server-side copies of file bytes. */
  write?: WriteSettings;
  storageClass?: string;
  actor: Actor;
  /** Archive again even when an archive of this version exists. */
  force?: boolean;
  concurrency?: number;
  now?: () => Date;
  onEvent?: (e: ArchiveEvent) => void;
  signal?: AbortSignal;
  /** Server-side copy tuning (tests). */
  multipartCopyThreshold?: number;
  copyPartSize?: number;
}

export interface SnapshotResult {
  id: string;
  location: string;
  /** True when an archive of this version existed and nothing was written. */
  skipped: boolean;
  /** True when an interrupted archive of this version was continued. */
  resumed: boolean;
  library: ArchiveManifest['library'];
  files: number;
  bytes: number;
  copies: Record<CopyMethod, number>;
  manifestSha256: string;
  auditKey?: string;
}

export async function snapshotArchive(o: SnapshotOptions): Promise<SnapshotResult> {
  const now = o.now ?? (() => new Date());
  const state = await readLibraryState(o.library);
  if (state.kind !== 'claas') {
    throw new ClaasError('NOT_A_LIBRARY', `${o.library.display} is not a library claas published`, {
      input: o.library.display,
      hint: state.kind === 'empty' ? 'publish it first' : 'adopt it first: claas publish --adopt',
    });
  }
  const s = state.snapshot;
  const version = Number(s.lib.version);
  const libInfo = { id: s.lib.id, name: s.lib.name, version, committedAt: s.committedAt };
  const existing = await listArchives(o.archive);
  if (o.force !== true) {
    const done = existing.find(
      (a) => a.complete && a.manifest?.library.id === s.lib.id && a.manifest.library.version === version,
    );
    if (done?.manifest !== undefined) {
      return {
        id: done.id,
        location: o.archive.display,
        skipped: true,
        resumed: false,
        library: done.manifest.library,
        files: done.manifest.totals.files,
        bytes: done.manifest.totals.bytes,
        copies: { present: 0, 'server-side': 0, file: 0, stream: 0 },
        manifestSha256: done.manifestSha256 ?? '',
      };
    }
  }
  const interrupted = existing.find(
    (a) => !a.complete && a.pending?.libraryId === s.lib.id && a.pending.version === version,
  );
  const id = interrupted?.id ?? archiveId(version, now());
  if (interrupted === undefined) {
    await o.archive.put(
      `${id}/${PENDING_NAME}`,
      json({ libraryId: s.lib.id, version, startedAt: now().toISOString() }),
      META,
    );
  }

  const { files, documents } = versionKeys(s);
  const copies: Record<CopyMethod, number> = { present: 0, 'server-side': 0, file: 0, stream: 0 };
  const write: WriteSettings = {
    ...(o.write ?? {}),
    ...(o.storageClass === undefined ? {} : { storageClass: o.storageClass }),
  };
  await mapLimited(
    files,
    o.concurrency ?? 4,
    async (f, signal) => {
      const method = await copyObject(
        o.library,
        f.key,
        o.archive,
        `${id}/${f.key}`,
        { sha256: f.sha256, size: f.size },
        {
          write,
          skipPresent: interrupted !== undefined,
          signal,
          ...(o.multipartCopyThreshold === undefined
            ? {}
            : { multipartCopyThreshold: o.multipartCopyThreshold }),
          ...(o.copyPartSize === undefined ? {} : { copyPartSize: o.copyPartSize }),
        },
      );
      copies[method] += 1;
      o.onEvent?.({ type: 'archive-file', key: f.key, size: f.size, method });
    },
    o.signal,
  );

  // Documents: immutable ones copied as they are; lib.json and the snapshot as version N recorded them
  // (the library's lib.json may already name a newer version).
  const docs: ArchiveFile[] = [];
  const docBytes = new Map<string, Buffer>();
  docBytes.set(LIB_KEY, Buffer.from(serializeJson(s.lib)));
  const snapBytes = await o.library.readBytes(snapshotKey(version));
  if (snapBytes === undefined)
    throw new ClaasError('CONFLICT', `the snapshot of version ${version} vanished`);
  docBytes.set(snapshotKey(version), snapBytes);
  await mapLimited(documents, 8, async (key) => {
    const bytes = await o.library.readBytes(key);
    if (bytes === undefined) {
      throw new ClaasError(
        'NOT_FOUND',
        `${o.library.display}/${key} (part of version ${version}) is missing`,
        {
          input: `${o.library.display}/${key}`,
          hint: 'run `claas verify --deep` on the library',
        },
      );
    }
    docBytes.set(key, bytes);
  });
  for (const [key, bytes] of docBytes) {
    await o.archive.put(`${id}/${key}`, { kind: 'bytes', data: bytes }, { ...META, sha256: sha256(bytes) });
    docs.push({ key, size: bytes.length, sha256: sha256(bytes), kind: 'document' });
  }

  const sse = o.write?.sse;
  const manifestFiles: ArchiveFile[] = [
    ...files.map((f) => ({ ...f, kind: 'file' as const })),
    ...docs.sort((a, b) => (a.key < b.key ? -1 : 1)),
  ];
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    id,
    library: libInfo,
    source: o.library.display,
    createdAt: now().toISOString(),
    actor: o.actor,
    ...(o.storageClass === undefined ? {} : { storageClass: o.storageClass }),
    ...(sse === undefined
      ? {}
      : {
          encryption: {
            sse: sse.mode,
            ...(sse.mode === 'aws:kms' && sse.kmsKeyId ? { kmsKeyId: sse.kmsKeyId } : {}),
          },
        }),
    files: manifestFiles,
    totals: { files: manifestFiles.length, bytes: manifestFiles.reduce((n, f) => n + f.size, 0) },
  };
  const manifestDoc = json(manifest);
  const manifestSha256 = sha256(manifestDoc.data);
  await o.archive.put(`${id}/${MANIFEST_NAME}`, manifestDoc, { ...META, sha256: manifestSha256 });
  await o.archive.delete([`${id}/${PENDING_NAME}`]);
  const audit = await appendAudit(o.library, {
    action: 'archive',
    actor: o.actor,
    library: { id: s.lib.id, name: s.lib.name, version },
    summary: `archived library version ${version} to ${o.archive.display}/${id}`,
    details: {
      archiveId: id,
      location: o.archive.display,
      manifestSha256,
      files: manifest.totals.files,
      bytes: manifest.totals.bytes,
      ...(o.storageClass === undefined ? {} : { storageClass: o.storageClass }),
      ...(manifest.encryption === undefined ? {} : { encryption: manifest.encryption }),
    },
  });
  return {
    id,
    location: o.archive.display,
    skipped: false,
    resumed: interrupted !== undefined,
    library: libInfo,
    files: manifest.totals.files,
    bytes: manifest.totals.bytes,
    copies,
    manifestSha256,
    auditKey: audit.key,
  };
}

export interface ArchiveProblem {
  /** The archived file (key relative to the archive's folder). */
  key: string;
  problem: 'missing' | 'size' | 'sha256' | 'unreadable' | 'extra' | 'manifest';
  message: string;
  expected?: string | number;
  actual?: string | number;
}

export interface ArchiveVerifyReport {
  id: string;
  location: string;
  ok: boolean;
  library?: ArchiveManifest['library'];
  files: number;
  bytes: number;
  checked: number;
  manifestSha256: string;
  /** The manifest hash matches the library's audit entry for this archive (undefined: not checked). */
  auditMatch?: boolean;
  problems: ArchiveProblem[];
}

/** Re-reads every archived file and checks its size and SHA-256 against the manifest. */
export async function verifyArchive(
  archive: ObjectStore,
  id: string,
  o: {
    concurrency?: number;
    library?: ObjectStore;
    onEvent?: (e: ArchiveEvent) => void;
    signal?: AbortSignal;
  } = {},
): Promise<ArchiveVerifyReport> {
  const { manifest, sha256: manifestSha256 } = await readManifest(archive, id);
  const problems: ArchiveProblem[] = [];
  let checked = 0;
  await mapLimited(
    manifest.files,
    o.concurrency ?? 4,
    async (f, signal) => {
      const key = `${id}/${f.key}`;
      const head = await archive.head(key);
      if (head === undefined) {
        problems.push({ key: f.key, problem: 'missing', message: `${f.key} is missing` });
        o.onEvent?.({ type: 'verify-file', key: f.key, size: f.size, ok: false });
        return;
      }
      let got: { size: number; sha256: string };
      try {
        got = await hashStored(archive, key, signal);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        problems.push({
          key: f.key,
          problem: 'unreadable',
          message: `${f.key} cannot be read (${why}); objects in GLACIER or DEEP_ARCHIVE must be restored first`,
        });
        o.onEvent?.({ type: 'verify-file', key: f.key, size: f.size, ok: false });
        return;
      }
      checked += 1;
      let ok = true;
      if (got.size !== f.size) {
        ok = false;
        problems.push({
          key: f.key,
          problem: 'size',
          message: `${f.key} has ${got.size} bytes, the manifest says ${f.size}`,
          expected: f.size,
          actual: got.size,
        });
      } else if (got.sha256 !== f.sha256) {
        ok = false;
        problems.push({
          key: f.key,
          problem: 'sha256',
          message: `${f.key} has SHA-256 ${got.sha256}, the manifest says ${f.sha256}`,
          expected: f.sha256,
          actual: got.sha256,
        });
      }
      o.onEvent?.({ type: 'verify-file', key: f.key, size: f.size, ok });
    },
    o.signal,
  );
  const listed = new Set(manifest.files.map((f) => f.key));
  for await (const obj of archive.list(`${id}/`)) {
    const rel = obj.key.slice(id.length + 1);
    if (rel === MANIFEST_NAME || rel === PENDING_NAME || listed.has(rel)) continue;
    problems.push({
      key: rel,
      problem: 'extra',
      message: `${rel} is in the archive but not in its manifest`,
    });
  }
  let auditMatch: boolean | undefined;
  if (o.library !== undefined) {
    const entry = (await readAudit(o.library, { actions: ['archive'] })).entries.find(
      (e) => e.details?.archiveId === id && e.details.location === archive.display,
    );
    if (entry !== undefined) {
      auditMatch = entry.details?.manifestSha256 === manifestSha256;
      if (!auditMatch) {
        problems.push({
          key: MANIFEST_NAME,
          problem: 'manifest',
          message: `the manifest's SHA-256 ${manifestSha256} differs from the one the library's audit log recorded when the archive was made (${String(entry.details?.manifestSha256)})`,
          expected: String(entry.details?.manifestSha256),
          actual: manifestSha256,
        });
      }
    }
  }
  problems.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    id,
    location: archive.display,
    ok: problems.every((p) => p.problem === 'extra'),
    library: manifest.library,
    files: manifest.files.length,
    bytes: manifest.totals.bytes,
    checked,
    manifestSha256,
    ...(auditMatch === undefined ? {} : { auditMatch }),
    problems,
  };
}

/** The archived version's snapshot, checked against the manifest. */
async function archivedSnapshot(
  archive: ObjectStore,
  id: string,
  manifest: ArchiveManifest,
): Promise<VersionSnapshot> {
  const key = snapshotKey(manifest.library.version);
  const bytes = await archive.readBytes(`${id}/${key}`);
  const expected = manifest.files.find((f) => f.key === key);
  if (bytes === undefined || expected === undefined || sha256(bytes) !== expected.sha256) {
    throw new ClaasError('INTEGRITY', `archive ${id}: the version snapshot is missing or altered`, {
      input: `${archive.display}/${id}/${key}`,
      hint: `run \`claas archive verify ${id}\``,
    });
  }
  return parseSnapshot(bytes.toString('utf8'), `${archive.display}/${id}/${key}`);
}

export interface RestoreAsVersionOptions extends RepublishSettings {
  archive: ObjectStore;
  id: string;
  /** The library to publish the archived content into, as a new version. */
  library: ObjectStore;
  /** Restore into a library with another id. */
  force?: boolean;
}

/** Publishes an archived version's items as a new library version (subscribers re-sync what changed). */
export async function restoreAsNewVersion(
  o: RestoreAsVersionOptions,
): Promise<{ id: string; restoredVersion: number; result: RepublishResult }> {
  const { manifest } = await readManifest(o.archive, o.id);
  const snapshot = await archivedSnapshot(o.archive, o.id, manifest);
  const state = await readLibraryState(o.library);
  if (state.kind === 'claas' && state.lib.id !== manifest.library.id && o.force !== true) {
    throw new ClaasError(
      'CONFLICT',
      `archive ${o.id} is of library ${manifest.library.id} ("${manifest.library.name}"), ${o.library.display} holds library ${state.lib.id}`,
      {
        input: `${o.archive.display}/${o.id}`,
        hint: 'restore it into a new location with --to, or pass --force to publish its items into this library',
      },
    );
  }
  const items = snapshot.items.map((item) =>
    storedItemOf(item, snapshot, o.archive, (href) => `${o.id}/${hrefToKey(href, item.name)}`),
  );
  const result = await republish({
    store: o.library,
    items,
    action: 'restore',
    ...republishSettings(o),
    summary: `restore of library version ${manifest.library.version} from archive ${o.id}`,
    details: {
      archiveId: o.id,
      archiveLocation: o.archive.display,
      restoredLibraryVersion: manifest.library.version,
    },
  });
  return { id: o.id, restoredVersion: manifest.library.version, result };
}

export interface RestoreToLocationOptions {
  archive: ObjectStore;
  id: string;
  /** An empty location: receives the archived library as it was (same ids and versions). */
  target: ObjectStore;
  actor: Actor;
  write?: WriteSettings;
  concurrency?: number;
  onEvent?: (e: ArchiveEvent) => void;
  signal?: AbortSignal;
}

/**
 * Copies an archived version into an empty location as a complete library (same library id, item ids and
 * versions): files first, then the snapshot, item JSON, the item index and lib.json last, as publish does.
 */
export async function restoreToLocation(o: RestoreToLocationOptions): Promise<{
  id: string;
  location: string;
  library: ArchiveManifest['library'];
  files: number;
  bytes: number;
  auditKey: string;
}> {
  const { manifest } = await readManifest(o.archive, o.id);
  const marker = { archiveId: o.id, archiveLocation: o.archive.display, libraryId: manifest.library.id };
  const probe = await o.target.probe();
  let resume = false;
  if (!probe.empty) {
    // A restore of this archive that was interrupted (no lib.json yet) is continued; anything else is refused.
    const pending = await o.target.readBytes(RESTORE_PENDING_KEY);
    resume =
      pending !== undefined &&
      pending.toString('utf8').trim() === JSON.stringify(marker) &&
      (await o.target.head(LIB_KEY)) === undefined;
    if (!resume) {
      throw new ClaasError('NOT_A_LIBRARY', `${o.target.display} is not empty`, {
        input: o.target.display,
        hint: 'restore into a new, empty location; to restore into the library itself, omit --to',
      });
    }
  } else {
    await o.target.put(
      RESTORE_PENDING_KEY,
      { kind: 'bytes', data: Buffer.from(`${JSON.stringify(marker)}\n`) },
      META,
    );
  }
  const files = manifest.files.filter((f) => f.kind === 'file');
  await mapLimited(
    files,
    o.concurrency ?? 4,
    async (f, signal) => {
      const method = await copyObject(
        o.archive,
        `${o.id}/${f.key}`,
        o.target,
        f.key,
        { sha256: f.sha256, size: f.size },
        { ...(o.write === undefined ? {} : { write: o.write }), skipPresent: resume, signal },
      );
      o.onEvent?.({ type: 'archive-file', key: f.key, size: f.size, method });
    },
    o.signal,
  );
  const rank = (key: string): number =>
    key.startsWith('.claas/') ? 0 : key === LIB_KEY ? 3 : /^items-\d+\.json$/.test(key) ? 2 : 1;
  const docs = manifest.files.filter((f) => f.kind === 'document').sort((a, b) => rank(a.key) - rank(b.key));
  for (const d of docs) {
    const bytes = await o.archive.readBytes(`${o.id}/${d.key}`);
    if (bytes === undefined || sha256(bytes) !== d.sha256) {
      throw new ClaasError('INTEGRITY', `archive ${o.id}: ${d.key} is missing or altered`, {
        input: `${o.archive.display}/${o.id}/${d.key}`,
        hint: `run \`claas archive verify ${o.id}\``,
      });
    }
    await o.target.put(d.key, { kind: 'bytes', data: bytes }, { ...META, sha256: d.sha256 });
  }
  await o.target.delete([RESTORE_PENDING_KEY]);
  const audit = await appendAudit(o.target, {
    action: 'restore',
    actor: o.actor,
    library: { id: manifest.library.id, name: manifest.library.name, version: manifest.library.version },
    summary: `library version ${manifest.library.version} restored from archive ${o.id} (${o.archive.display})`,
    details: { archiveId: o.id, archiveLocation: o.archive.display },
  });
  return {
    id: o.id,
    location: o.target.display,
    library: manifest.library,
    files: manifest.totals.files,
    bytes: manifest.totals.bytes,
    auditKey: audit.key,
  };
}
