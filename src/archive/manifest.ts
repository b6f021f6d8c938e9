// What an archive is, on the archive location: one folder per archived library version, a complete claas
// library at that version plus a manifest naming every file with its size and SHA-256:
//
//   <archive>/<id>/lib.json, items-<N>.json, <item>/item-<v>.json, <item>/<sha256>/<file>   the version
//   <archive>/<id>/.claas/versions/<N>.json                                                 its snapshot
//   <archive>/<id>/.claas/pending.json      written first: which library and version (resume)
//   <archive>/<id>/.claas/archive.json      the manifest, written last: the archive exists from then on
//
// id = v<N>-<YYYYMMDDTHHMMSSZ>. Listing archives, reading a manifest, and the keys a version consists of.

import { createHash } from 'node:crypto';
import type { CopyMethod as EngineCopyMethod } from '../store/transfer.js';
import type { ObjectStore } from '../store/types.js';
import type { VersionSnapshot } from '../vcsp/types.js';
import { hrefToKey } from '../vcsp/hrefs.js';
import { ClaasError, badInput } from '../errors.js';
import { mapLimited } from '../util/pool.js';
import type { Actor } from '../publish/identity.js';

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

/** How an archived file got there: the copy engine's methods, and 'file' for a stream from a local file. */
export type CopyMethod = EngineCopyMethod | 'file';

export type ArchiveEvent =
  | { type: 'archive-file'; key: string; size: number; method: CopyMethod }
  | { type: 'verify-file'; key: string; size: number; ok: boolean };

export function sha256(data: Uint8Array): string {
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

export function assertId(id: string): void {
  if (!ID_RE.test(id)) {
    throw badInput(
      `"${id}" is not an archive id`,
      id,
      'archive ids look like v12-20260115T101502Z (claas archive list)',
    );
  }
}

/** JSON documents: the store's encryption, never its (archive) storage class. */
export const META = { contentType: 'application/json', role: 'metadata' as const };

export function json(doc: unknown) {
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
