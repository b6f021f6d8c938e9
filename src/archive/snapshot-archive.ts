// Archives: a copy of one library version at an archive location, with a manifest naming every file with its
// size and SHA-256 (the layout is in manifest.ts). An archive is itself a complete claas library at that
// version (same ids and versions), so it can be verified and restored without claas's help too. File bytes
// go with the requested storage class (GLACIER, DEEP_ARCHIVE...), the small JSON documents and the manifest
// stay in STANDARD so listing and planning a restore never need a thaw. Copies go through the copy engine:
// server-side where library and archive share an S3 endpoint, streamed otherwise.
// Verifying an archive is in verify.ts, restoring one in restore.ts; both are exported from here as well.

import type { ObjectStore, WriteSettings } from '../store/types.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import { serializeJson } from '../vcsp/build.js';
import { ClaasError } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import { LIB_KEY, snapshotKey } from '../publish/layout.js';
import { readLibraryState } from '../publish/state.js';
import { appendAudit } from '../publish/audit.js';
import type { Actor } from '../publish/identity.js';
import { copyFiles } from './copy-files.js';
import {
  ARCHIVE_FORMAT,
  MANIFEST_NAME,
  META,
  PENDING_NAME,
  archiveId,
  json,
  listArchives,
  sha256,
  versionKeys,
} from './manifest.js';
import type { ArchiveEvent, ArchiveFile, ArchiveManifest, ArchiveSummary, CopyMethod } from './manifest.js';

export {
  ARCHIVE_FORMAT,
  DEFAULT_ARCHIVE_DIR,
  MANIFEST_NAME,
  PENDING_NAME,
  RESTORE_PENDING_KEY,
  archiveId,
  listArchives,
  readManifest,
  versionKeys,
} from './manifest.js';
export type { ArchiveEvent, ArchiveFile, ArchiveManifest, ArchiveSummary, CopyMethod } from './manifest.js';
export { verifyArchive } from './verify.js';
export type { ArchiveProblem, ArchiveVerifyReport } from './verify.js';
export { restoreAsNewVersion, restoreToLocation } from './restore.js';
export type { RestoreAsVersionOptions, RestoreToLocationOptions } from './restore.js';

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

const NO_COPIES: Record<CopyMethod, number> = { present: 0, 'server-side': 0, file: 0, stream: 0 };

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
  const existing = await listArchives(o.archive);
  const done = o.force === true ? undefined : archivedAlready(existing, s);
  if (done?.manifest !== undefined) {
    return {
      id: done.id,
      location: o.archive.display,
      skipped: true,
      resumed: false,
      library: done.manifest.library,
      files: done.manifest.totals.files,
      bytes: done.manifest.totals.bytes,
      copies: { ...NO_COPIES },
      manifestSha256: done.manifestSha256 ?? '',
    };
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
  const copies = await copyFiles(
    o.library,
    o.archive,
    files.map((f) => ({ ...f, fromKey: f.key, toKey: `${id}/${f.key}` })),
    {
      write: {
        ...(o.write ?? {}),
        ...(o.storageClass === undefined ? {} : { storageClass: o.storageClass }),
      },
      skipPresent: interrupted !== undefined,
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      ...(o.multipartCopyThreshold === undefined ? {} : { multipartCopyThreshold: o.multipartCopyThreshold }),
      ...(o.copyPartSize === undefined ? {} : { copyPartSize: o.copyPartSize }),
      ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    },
  );
  const docs = await archiveDocuments(o.library, o.archive, id, s, documents);
  const manifest = manifestOf(o, id, s, [
    ...files.map((f) => ({ ...f, kind: 'file' as const })),
    ...docs.sort((a, b) => (a.key < b.key ? -1 : 1)),
  ]);
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
    library: manifest.library,
    files: manifest.totals.files,
    bytes: manifest.totals.bytes,
    copies,
    manifestSha256,
    auditKey: audit.key,
  };
}

/** A complete archive of this library version, if there is one. */
function archivedAlready(existing: ArchiveSummary[], s: VersionSnapshot): ArchiveSummary | undefined {
  const version = Number(s.lib.version);
  return existing.find(
    (a) => a.complete && a.manifest?.library.id === s.lib.id && a.manifest.library.version === version,
  );
}

/**
 * Writes the version's JSON documents into the archive: immutable ones as they are, lib.json and the snapshot
 * as version N recorded them (the library's lib.json may already name a newer version).
 */
async function archiveDocuments(
  library: ObjectStore,
  archive: ObjectStore,
  id: string,
  s: VersionSnapshot,
  documents: string[],
): Promise<ArchiveFile[]> {
  const version = Number(s.lib.version);
  const docBytes = new Map<string, Buffer>();
  docBytes.set(LIB_KEY, Buffer.from(serializeJson(s.lib)));
  const snapBytes = await library.readBytes(snapshotKey(version));
  if (snapBytes === undefined)
    throw new ClaasError('CONFLICT', `the snapshot of version ${version} vanished`);
  docBytes.set(snapshotKey(version), snapBytes);
  await mapLimited(documents, 8, async (key) => {
    const bytes = await library.readBytes(key);
    if (bytes === undefined) {
      throw new ClaasError('NOT_FOUND', `${library.display}/${key} (part of version ${version}) is missing`, {
        input: `${library.display}/${key}`,
        hint: 'run `claas verify --deep` on the library',
      });
    }
    docBytes.set(key, bytes);
  });
  const docs: ArchiveFile[] = [];
  for (const [key, bytes] of docBytes) {
    await archive.put(`${id}/${key}`, { kind: 'bytes', data: bytes }, { ...META, sha256: sha256(bytes) });
    docs.push({ key, size: bytes.length, sha256: sha256(bytes), kind: 'document' });
  }
  return docs;
}

function manifestOf(
  o: SnapshotOptions,
  id: string,
  s: VersionSnapshot,
  files: ArchiveFile[],
): ArchiveManifest {
  const sse = o.write?.sse;
  return {
    format: ARCHIVE_FORMAT,
    id,
    library: { id: s.lib.id, name: s.lib.name, version: Number(s.lib.version), committedAt: s.committedAt },
    source: o.library.display,
    createdAt: (o.now ?? (() => new Date()))().toISOString(),
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
    files,
    totals: { files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) },
  };
}
