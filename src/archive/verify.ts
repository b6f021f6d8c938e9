// `claas archive verify`: every archived file read again and checked against the manifest's size and SHA-256,
// files the manifest does not name reported, and the manifest's own hash compared with the one the library's
// audit log recorded when the archive was made.

import { createHash } from 'node:crypto';
import type { ObjectStore } from '../store/types.js';
import { mapLimited } from '../util/pool.js';
import { readAudit } from '../publish/audit.js';
import { MANIFEST_NAME, PENDING_NAME, readManifest } from './manifest.js';
import type { ArchiveEvent, ArchiveManifest } from './manifest.js';

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

export interface VerifyOptions {
  concurrency?: number;
  /** The library whose audit log recorded the archive (its manifest hash is compared). */
  library?: ObjectStore;
  onEvent?: (e: ArchiveEvent) => void;
  signal?: AbortSignal;
}

/** Re-reads every archived file and checks its size and SHA-256 against the manifest. */
export async function verifyArchive(
  archive: ObjectStore,
  id: string,
  o: VerifyOptions = {},
): Promise<ArchiveVerifyReport> {
  const { manifest, sha256: manifestSha256 } = await readManifest(archive, id);
  const problems: ArchiveProblem[] = [];
  let checked = 0;
  await mapLimited(
    manifest.files,
    o.concurrency ?? 4,
    async (f, signal) => {
      const found = await checkFile(archive, id, f, signal);
      if (found.read) checked += 1;
      if (found.problem !== undefined) problems.push(found.problem);
      o.onEvent?.({ type: 'verify-file', key: f.key, size: f.size, ok: found.problem === undefined });
    },
    o.signal,
  );
  problems.push(...(await extraFiles(archive, id, manifest)));
  const audit =
    o.library === undefined ? undefined : await auditCheck(o.library, archive, id, manifestSha256);
  if (audit?.problem !== undefined) problems.push(audit.problem);
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
    ...(audit?.match === undefined ? {} : { auditMatch: audit.match }),
    problems,
  };
}

/** One archived file against its manifest entry: whether it could be read, and what is wrong with it. */
async function checkFile(
  archive: ObjectStore,
  id: string,
  f: ArchiveManifest['files'][number],
  signal: AbortSignal,
): Promise<{ read: boolean; problem?: ArchiveProblem }> {
  const key = `${id}/${f.key}`;
  if ((await archive.head(key)) === undefined) {
    return { read: false, problem: { key: f.key, problem: 'missing', message: `${f.key} is missing` } };
  }
  let got: { size: number; sha256: string };
  try {
    got = await hashStored(archive, key, signal);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      read: false,
      problem: {
        key: f.key,
        problem: 'unreadable',
        message: `${f.key} cannot be read (${why}); objects in GLACIER or DEEP_ARCHIVE must be restored first`,
      },
    };
  }
  const differs = (
    problem: 'size' | 'sha256',
    what: string,
    expected: string | number,
    actual: string | number,
  ) => ({
    read: true,
    problem: {
      key: f.key,
      problem,
      message: `${f.key} has ${what}, the manifest says ${expected}`,
      expected,
      actual,
    },
  });
  if (got.size !== f.size) return differs('size', `${got.size} bytes`, f.size, got.size);
  if (got.sha256 !== f.sha256) return differs('sha256', `SHA-256 ${got.sha256}`, f.sha256, got.sha256);
  return { read: true };
}

/** Objects in the archive's folder the manifest does not name. */
async function extraFiles(
  archive: ObjectStore,
  id: string,
  manifest: ArchiveManifest,
): Promise<ArchiveProblem[]> {
  const listed = new Set(manifest.files.map((f) => f.key));
  const extra: ArchiveProblem[] = [];
  for await (const obj of archive.list(`${id}/`)) {
    const rel = obj.key.slice(id.length + 1);
    if (rel === MANIFEST_NAME || rel === PENDING_NAME || listed.has(rel)) continue;
    extra.push({ key: rel, problem: 'extra', message: `${rel} is in the archive but not in its manifest` });
  }
  return extra;
}

/** The manifest's hash against the library's audit entry for this archive (undefined match: no entry). */
async function auditCheck(
  library: ObjectStore,
  archive: ObjectStore,
  id: string,
  manifestSha256: string,
): Promise<{ match?: boolean; problem?: ArchiveProblem }> {
  const entry = (await readAudit(library, { actions: ['archive'] })).entries.find(
    (e) => e.details?.archiveId === id && e.details.location === archive.display,
  );
  if (entry === undefined) return {};
  const recorded = String(entry.details?.manifestSha256);
  if (entry.details?.manifestSha256 === manifestSha256) return { match: true };
  return {
    match: false,
    problem: {
      key: MANIFEST_NAME,
      problem: 'manifest',
      message: `the manifest's SHA-256 ${manifestSha256} differs from the one the library's audit log recorded when the archive was made (${recorded})`,
      expected: recorded,
      actual: manifestSha256,
    },
  };
}

/** SHA-256 and size of a stored object, read in full. */
export async function hashStored(
  store: ObjectStore,
  key: string,
  signal?: AbortSignal,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = await store.read(key);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    signal?.throwIfAborted();
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}
